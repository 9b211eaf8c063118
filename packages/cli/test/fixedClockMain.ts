/**
 * The `keyrotate` executable for tests that need a process of its own (real signals, a real
 * exit code): `main` on the process's arguments and `nodeIo()`, with the clock fixed at
 * `KEYROTATE_TEST_NOW` (the sandbox's now) so that no test depends on the real date.
 */
import { main } from "../src/cli.js";
import { nodeIo } from "../src/io.js";

const now = process.env.KEYROTATE_TEST_NOW;
if (now === undefined || Number.isNaN(Date.parse(now))) {
  throw new Error("KEYROTATE_TEST_NOW must be an ISO timestamp (the sandbox's now)");
}
process.exitCode = await main(process.argv.slice(2), {
  ...nodeIo(),
  now: () => new Date(now),
  polling: { initialDelayMs: 5, maxDelayMs: 50 },
});
