import type { AccountSizeResult } from "./account-suite.js";
import type { OrgResult } from "./org-suite.js";

/**
 * Published prices the model uses (US East (N. Virginia), on-demand, no free tier): Step
 * Functions Standard Workflows $0.025 per 1,000 state transitions (aws.amazon.com/step-functions/
 * pricing), Lambda x86 $0.0000166667 per GB-second (first 6 billion GB-s a month) and $0.20 per
 * million requests (aws.amazon.com/lambda/pricing).
 */
export const PRICES = {
  stateTransitionUsd: 0.025 / 1000,
  lambdaGbSecondUsd: 0.0000166667,
  lambdaRequestUsd: 0.2 / 1_000_000,
} as const;

/** What the model assumes beyond the measured figures. */
export const ASSUMED = {
  accounts: 1_000,
  usersPerAccount: 5_000,
  /** Worker memory: above the measured peak RSS of one account's run, the smallest size we use. */
  workerMemoryMb: 256,
  /** State transitions per account: the child execution's start, its Task, its end, one retry. */
  transitionsPerAccount: 4,
  /** The parent's own transitions: list, the Map run, summarise, the end, and a few retries. */
  parentTransitions: 10,
  /** The list and summarise Lambdas: a few seconds each at 512 MB. */
  listAndSummariseGbSeconds: 2 * 5 * 0.5,
  /** Per-account overhead beyond keyrotate's own run: cold start, AssumeRole, writing the result. */
  overheadMsPerAccount: 500,
  concurrencies: [100, 250, 1_000] as const,
} as const;

/** The model's figures at one Map concurrency. */
export interface ModelRow {
  readonly concurrency: number;
  readonly waves: number;
  readonly wallMs: number;
}

/** The model of a 1,000 × 5,000 organisation on Step Functions. */
export interface OrgModel {
  /** A worker's duration per account and where it comes from. */
  readonly accountMs: number;
  readonly accountMsSource: string;
  readonly rows: ReadonlyArray<ModelRow>;
  readonly lambdaGbSeconds: number;
  readonly lambdaUsd: number;
  readonly transitions: number;
  readonly stepFunctionsUsd: number;
  readonly totalUsd: number;
}

/**
 * Models a run over {@link ASSUMED}.accounts accounts of {@link ASSUMED}.usersPerAccount users on
 * Step Functions (a Distributed Map of one worker Lambda per account) from the measured figures:
 * the account suite's run at 5,000 users when the run has one, else the org suite's account
 * scaled by users. Each account has its own IAM throttle, so accounts do not slow each other and
 * the wall time is waves × one account's time.
 */
export const modelOrganization = (
  account: ReadonlyArray<AccountSizeResult> | undefined,
  org: OrgResult | undefined,
): OrgModel | undefined => {
  const measured = account?.find((r) => r.users === ASSUMED.usersPerAccount);
  let runMs: number;
  let source: string;
  if (measured !== undefined) {
    runMs = measured.keyrotate.wallMs;
    source = `the account suite's run at ${ASSUMED.usersPerAccount.toLocaleString("en-US")} users`;
  } else if (org !== undefined) {
    runMs = (org.single.wallMs * ASSUMED.usersPerAccount) / org.usersPerAccount;
    source = `the org suite's single account (${org.usersPerAccount} users) scaled by users`;
  } else return undefined;
  const accountMs = runMs + ASSUMED.overheadMsPerAccount;
  const rows = ASSUMED.concurrencies.map((concurrency) => {
    const waves = Math.ceil(ASSUMED.accounts / concurrency);
    return { concurrency, waves, wallMs: waves * accountMs };
  });
  const lambdaGbSeconds =
    (ASSUMED.accounts * accountMs * ASSUMED.workerMemoryMb) / 1024 / 1000 +
    ASSUMED.listAndSummariseGbSeconds;
  const lambdaUsd =
    lambdaGbSeconds * PRICES.lambdaGbSecondUsd + (ASSUMED.accounts + 2) * PRICES.lambdaRequestUsd;
  const transitions = ASSUMED.accounts * ASSUMED.transitionsPerAccount + ASSUMED.parentTransitions;
  const stepFunctionsUsd = transitions * PRICES.stateTransitionUsd;
  return {
    accountMs,
    accountMsSource: source,
    rows,
    lambdaGbSeconds,
    lambdaUsd,
    transitions,
    stepFunctionsUsd,
    totalUsd: lambdaUsd + stepFunctionsUsd,
  };
};
