import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { DEFAULT_IAM_PACING } from "@keyrotate/aws-adapter";
import {
  type AccountSizeResult,
  runAccountSuite,
  SANDBOX_REPORT_GENERATION_MS,
} from "./account-suite.js";
import { type CoreResult, runCoreSuite } from "./core-suite.js";
import { type LambdaResult, runLambdaSuite } from "./lambda-suite.js";
import { currentLoad, describeMachine, type Machine } from "./machine.js";
import { type BenchOptions, repoRoot } from "./options.js";
import { type OrgResult, runOrgSuite } from "./org-suite.js";
import { renderMarkdown } from "./render.js";
import { judgeTargets, type Target } from "./targets.js";

/** Version of the shape of `results.json`. */
export const RESULTS_SCHEMA_VERSION = 2;

/** Everything a run measured, as written to `results.json`. */
export interface BenchResults {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  /** When the run started (ISO 8601). */
  readonly date: string;
  readonly durationMs: number;
  /** The command that reproduces the run. */
  readonly command: string;
  readonly machine: Machine;
  readonly options: Omit<BenchOptions, "outDir">;
  /** Fixed conditions of the account suite, stated in the results. */
  readonly conditions: {
    readonly sandboxReportGenerationMs: number;
    readonly clients: string;
    readonly polling: string;
    readonly baseline: string;
  };
  readonly account?: ReadonlyArray<AccountSizeResult>;
  readonly core?: CoreResult;
  readonly lambda?: LambdaResult;
  /** One organisation run per concurrency of `options.orgConcurrencies`, in that order. */
  readonly org?: ReadonlyArray<OrgResult>;
  readonly targets: ReadonlyArray<Target>;
}

/**
 * Runs the suites `options.suites` names, in the order account, core, Lambda, org, and judges the
 * targets. `progress` hears a line at each step.
 */
export const runBench = async (
  options: BenchOptions,
  command: string,
  progress: (line: string) => void = () => {},
): Promise<BenchResults> => {
  const loadAtStart = currentLoad();
  const date = new Date().toISOString();
  const start = performance.now();
  let account: AccountSizeResult[] | undefined;
  let core: CoreResult | undefined;
  let lambda: LambdaResult | undefined;
  let org: OrgResult[] | undefined;
  if (options.suites.includes("account")) {
    progress("account suite");
    account = await runAccountSuite(options, (line) => progress(`  ${line}`));
  }
  if (options.suites.includes("core")) {
    progress(`core suite: ${options.coreUsers.toLocaleString("en-US")} users`);
    core = await runCoreSuite(options.coreUsers);
  }
  if (options.suites.includes("lambda")) {
    progress(`lambda suite: bundle, ${options.coldStarts} cold starts`);
    lambda = await runLambdaSuite(options.coldStarts);
  }
  if (options.suites.includes("org")) {
    org = [];
    for (const concurrency of options.orgConcurrencies) {
      progress(
        `org suite: ${options.orgAccounts} accounts × ${options.orgUsers} users, ${concurrency} at a time`,
      );
      org.push(await runOrgSuite(options, concurrency, (line) => progress(`  ${line}`)));
    }
  }
  const { outDir: _outDir, ...stated } = options;
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    date,
    durationMs: performance.now() - start,
    command,
    machine: describeMachine(loadAtStart),
    options: stated,
    conditions: {
      sandboxReportGenerationMs: SANDBOX_REPORT_GENERATION_MS,
      clients: `the adapter's createAwsClients defaults, for keyrotate and the baseline alike: IAM paced by its learning token bucket (${DEFAULT_IAM_PACING.ratePerSecond} calls/s start, burst ${DEFAULT_IAM_PACING.burst}) with standard retries (a first throttled retry waits only for the bucket), S3 and SES adaptive retries, 5 attempts`,
      polling:
        "the adapter's default credential-report polling (first check 100 ms after a STARTED generation, then doubling up to 2 s)",
      baseline:
        "reads only, one user after the other: GetUser per tag read (email twice, last-check-date, old-key when tracked) and ListAccessKeys; every ListUsers page (100 users)",
    },
    ...(account === undefined ? {} : { account }),
    ...(core === undefined ? {} : { core }),
    ...(lambda === undefined ? {} : { lambda }),
    ...(org === undefined ? {} : { org }),
    targets: judgeTargets({
      ...(account === undefined ? {} : { account }),
      ...(core === undefined ? {} : { core }),
      ...(lambda === undefined ? {} : { lambda }),
      ...(org === undefined ? {} : { org }),
    }),
  };
};

/**
 * Formats results written inside the repository with its Biome, so that committed results pass
 * `pnpm run lint`. Skipped outside the repository or without Biome: the files are valid anyway.
 */
const formatWithBiome = (paths: ReadonlyArray<string>): void => {
  const inside = paths.filter((p) => !relative(repoRoot, p).startsWith(".."));
  if (inside.length === 0) return;
  try {
    const pkg = createRequire(join(repoRoot, "package.json")).resolve(
      "@biomejs/biome/package.json",
    );
    execFileSync(
      process.execPath,
      [join(dirname(pkg), "bin/biome"), "format", "--write", ...inside],
      {
        cwd: repoRoot,
        stdio: "ignore",
      },
    );
  } catch {
    // Unformatted results are still complete and valid.
  }
};

/** Writes `results.json` and `RESULTS.md` into `outDir`, formatted; returns their paths. */
export const writeResults = (
  results: BenchResults,
  outDir: string,
): { readonly json: string; readonly markdown: string } => {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, "results.json");
  const markdown = join(outDir, "RESULTS.md");
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(results));
  formatWithBiome([json, markdown]);
  return { json, markdown };
};
