import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliResult, cli } from "./harness.js";

/** Runs `keyrotate demo --days <days>` into a fresh temporary folder. */
export const runDemoInTemp = async (days: number): Promise<CliResult & { dir: string }> => {
  const dir = join(await mkdtemp(join(tmpdir(), "keyrotate-demo-")), "out");
  const result = await cli(["demo", "--days", String(days), "--out", dir, "--start", "2026-03-01"]);
  return { ...result, dir };
};
