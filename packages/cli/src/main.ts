#!/usr/bin/env node
/**
 * The `keyrotate` executable: runs {@link main} on the process's arguments and sets the exit
 * code. Everything else lives in `cli.ts`, so that tests call `main` in-process.
 */
import { main } from "./cli.js";
import { nodeIo } from "./io.js";

process.exitCode = await main(process.argv.slice(2), nodeIo());
