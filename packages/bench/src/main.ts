/**
 * `pnpm bench`: runs keyrotate's benchmarks, prints a table and writes `bench/results.json` and
 * `bench/RESULTS.md`. `pnpm bench --help` lists the options.
 */
import { relative } from "node:path";
import { runBench, writeResults } from "./bench.js";
import { parseArgs, repoRoot, UsageError, usage } from "./options.js";
import { renderTable } from "./render.js";

const argv = process.argv.slice(2);
let parsed: ReturnType<typeof parseArgs>;
try {
  parsed = parseArgs(argv);
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`${e.message}\n\n${usage}`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const command = ["pnpm bench", ...argv].join(" ");
const results = await runBench(parsed.options, command, (line) => console.log(line));
const written = writeResults(results, parsed.options.outDir);
console.log(`\n${renderTable(results)}`);
const shown = (path: string): string =>
  relative(repoRoot, path).startsWith("..") ? path : relative(repoRoot, path);
console.log(`wrote ${shown(written.json)} and ${shown(written.markdown)}`);
