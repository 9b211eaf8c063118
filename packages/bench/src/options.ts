import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory (where `pnpm bench` runs). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Everything a benchmark run is parameterised by; the results state every one of them. */
export interface BenchOptions {
  /** Account sizes (users) of the account suite. */
  readonly sizes: ReadonlyArray<number>;
  /** Share of users who need action (an overdue key: a rotation). */
  readonly actionRate: number;
  /** Latency the sandbox adds to every call, in ms. */
  readonly latencyMs: number;
  /** The sandbox's IAM token bucket: sustained calls per second. */
  readonly iamRate: number;
  /** The IAM token bucket's size (calls that may arrive at once). */
  readonly iamBurst: number;
  /** Wall-time cap of the baseline per size, in s; beyond it the figures are extrapolated. */
  readonly baselineLimitS: number;
  /** Users the core suite decides. */
  readonly coreUsers: number;
  /** Fresh processes whose import time gives the Lambda cold start (median). */
  readonly coldStarts: number;
  /** Member accounts of the organisation suite. */
  readonly orgAccounts: number;
  /** Users in each of them. */
  readonly orgUsers: number;
  /** Accounts the organisation run works on at once: one run (on a fresh organisation) per value. */
  readonly orgConcurrencies: ReadonlyArray<number>;
  /** Where results.json and RESULTS.md go. */
  readonly outDir: string;
  /** Which suites run. */
  readonly suites: ReadonlyArray<SuiteName>;
}

/** The suites of a run. */
export type SuiteName = "account" | "core" | "lambda" | "org";

const SUITES: ReadonlyArray<SuiteName> = ["account", "core", "lambda", "org"];

/** The full run of issue 7. */
export const defaultOptions: BenchOptions = {
  sizes: [1_000, 10_000, 100_000],
  actionRate: 0.01,
  latencyMs: 20,
  iamRate: 20,
  iamBurst: 20,
  baselineLimitS: 60,
  coreUsers: 1_000_000,
  coldStarts: 10,
  orgAccounts: 200,
  orgUsers: 500,
  orgConcurrencies: [10, 25],
  outDir: resolve(repoRoot, "bench"),
  suites: SUITES,
};

/** `--quick`: every suite at smoke-test sizes, in well under a minute. */
export const quickOptions: Partial<BenchOptions> = {
  sizes: [300],
  baselineLimitS: 10,
  coreUsers: 20_000,
  coldStarts: 3,
  orgAccounts: 10,
  orgUsers: 100,
};

export const usage = `Usage: pnpm bench [options]

Runs keyrotate's benchmarks and writes bench/results.json and bench/RESULTS.md.

Suites:
  account  keyrotate (runKeyrotate, applied) beside a baseline that reads the account the way the
           original function does, on the sandbox: API calls by operation, wall time, peak memory
  core     decisions per second over generated users (packages/core/bench/decide.bench.ts)
  lambda   bundle size and cold start (import plus client construction, median)
  org      runOrganization over a sandbox organisation (each account its own IAM throttle and
           latency) beside one twin account run alone: wall time, calls per account, memory

Options:
  --sizes LIST            account sizes in users (default ${defaultOptions.sizes.join(",")})
  --action-rate R         share of users needing action, 0..1 (default ${defaultOptions.actionRate})
  --latency-ms N          latency added to every sandbox call (default ${defaultOptions.latencyMs})
  --iam-rate N            IAM throttle, calls per second (default ${defaultOptions.iamRate})
  --iam-burst N           IAM token-bucket size (default ${defaultOptions.iamBurst}, the rate)
  --baseline-limit-s N    time cap of the baseline per size; its figures are extrapolated
                          (calls and time per user x users) beyond it (default ${defaultOptions.baselineLimitS})
  --core-users N          users the core suite decides (default ${defaultOptions.coreUsers})
  --cold-starts N         fresh processes for the cold-start median (default ${defaultOptions.coldStarts})
  --org-accounts N        member accounts of the org suite (default ${defaultOptions.orgAccounts})
  --org-users N           users per member account (default ${defaultOptions.orgUsers})
  --org-concurrency LIST  accounts run at once, one org run per value (default ${defaultOptions.orgConcurrencies.join(",")})
  --suites LIST           which suites to run: account,core,lambda,org (default all)
  --quick                 smoke sizes: 300 users, baseline cap 10 s, 20,000 core users, 3 cold
                          starts, an organisation of 10 accounts x 100 users
  --out DIR               where results go (default <repo>/bench)
  -h, --help              this help
`;

/** A command line that cannot be run. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The flags that take a whole number > 0, and the option each sets. */
const COUNT_FLAGS: Readonly<
  Record<string, "coreUsers" | "coldStarts" | "orgAccounts" | "orgUsers">
> = {
  "--core-users": "coreUsers",
  "--cold-starts": "coldStarts",
  "--org-accounts": "orgAccounts",
  "--org-users": "orgUsers",
};

const positiveInt = (flag: string, value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: expected a whole number > 0`);
  return n;
};

const nonNegative = (flag: string, value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag}: expected a number >= 0`);
  return n;
};

/**
 * Parses the command line into options (`help: true` for `-h`/`--help`). `--quick` sets smoke
 * sizes first, so that explicit flags win whatever their order.
 *
 * @example parseArgs(["--sizes", "1000,10000", "--latency-ms", "0"])
 */
export const parseArgs = (
  argv: ReadonlyArray<string>,
  cwd = process.cwd(),
): { readonly help: boolean; readonly options: BenchOptions } => {
  let options: BenchOptions = argv.includes("--quick")
    ? { ...defaultOptions, ...quickOptions }
    : defaultOptions;
  let burstGiven = false;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] as string;
    if (flag === "-h" || flag === "--help") return { help: true, options };
    if (flag === "--quick") continue;
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag}: needs a value, or is unknown`);
    i += 1;
    switch (flag) {
      case "--sizes":
        options = { ...options, sizes: value.split(",").map((s) => positiveInt(flag, s)) };
        break;
      case "--action-rate": {
        const rate = nonNegative(flag, value);
        if (rate > 1) throw new UsageError(`${flag}: expected a share from 0 to 1`);
        options = { ...options, actionRate: rate };
        break;
      }
      case "--latency-ms":
        options = { ...options, latencyMs: nonNegative(flag, value) };
        break;
      case "--iam-rate": {
        const rate = nonNegative(flag, value);
        if (rate === 0) throw new UsageError(`${flag}: expected a rate > 0`);
        options = { ...options, iamRate: rate };
        break;
      }
      case "--iam-burst": {
        const burst = nonNegative(flag, value);
        if (burst < 1) throw new UsageError(`${flag}: expected a bucket of at least 1`);
        options = { ...options, iamBurst: burst };
        burstGiven = true;
        break;
      }
      case "--baseline-limit-s":
        options = { ...options, baselineLimitS: nonNegative(flag, value) };
        break;
      case "--suites": {
        const suites = value.split(",");
        const unknown = suites.filter((s) => !(SUITES as string[]).includes(s));
        if (unknown.length > 0)
          throw new UsageError(`${flag}: unknown suite ${unknown.join(", ")}`);
        options = { ...options, suites: suites as SuiteName[] };
        break;
      }
      case "--org-concurrency":
        options = {
          ...options,
          orgConcurrencies: value.split(",").map((s) => positiveInt(flag, s)),
        };
        break;
      case "--out":
        options = { ...options, outDir: resolve(cwd, value) };
        break;
      default: {
        const key = COUNT_FLAGS[flag];
        if (key === undefined) throw new UsageError(`unknown option ${flag}`);
        options = { ...options, [key]: positiveInt(flag, value) };
      }
    }
  }
  // The bucket holds one second of calls unless told otherwise (the sandbox's own default).
  if (!burstGiven) options = { ...options, iamBurst: Math.max(1, options.iamRate) };
  return { help: false, options };
};
