/** What a chaos run is asked to simulate, with its defaults, and the account's fixed names. */
import { MUTATING_OPERATIONS } from "@keyrotate/aws-adapter";
import type { Violation } from "@keyrotate/sandbox/verify";
import type { Profile } from "../population.js";

/** What to simulate. */
export interface ChaosOptions {
  /** Users in all, split between the profiles. */
  readonly users: number;
  readonly days: number;
  /** Share of calls that fail (throttling, 5xx, resets), 0–1. */
  readonly faultRate: number;
  readonly seed: number;
  /** Share of days whose first run is aborted at a random call, then rerun (default 0.25). */
  readonly crashRate?: number;
  /** IAM's eventual consistency in ms (default 5,000). */
  readonly consistencyDelayMs?: number;
  /**
   * How long after an aborted run it is rerun, on the sandbox clock (default 60,000: Lambda's
   * first retry of an asynchronous invocation). Below `consistencyDelayMs` the rerun reads the
   * state from before the aborted run.
   */
  readonly rerunAfterMs?: number;
  /** Latency jitter on every call, ms (default 4). */
  readonly latencyJitterMs?: number;
  readonly profiles?: ReadonlyArray<Profile>;
  /** Share of `SendEmail` calls SES rejects (`MessageRejected`), default 0.03. */
  readonly sendFailureRate?: number;
  /** Windows of 1–3 days in which SES rejects every `SendEmail` (default: one per 60 days). */
  readonly sesOutages?: number;
  /** Share of days on which `CreateAccessKey` fails 10 times in a row (500), default 0.05. */
  readonly createFailureRate?: number;
  /** Per user and day, the chance that a state-tag value is planted before the run (default 0.004). */
  readonly plantRate?: number;
  /** Per user who makes keys, and day, the chance of making one by hand (default 0.01). */
  readonly handKeyRate?: number;
  /**
   * Two runs started together on the same account, on `concurrentRate` of the days (default
   * off: without a run lease they are expected to break promises).
   */
  readonly concurrentRuns?: boolean;
  readonly concurrentRate?: number;
  /** Where new secrets go (`SECRET_STORE`, default `s3`); the checks look there. */
  readonly secretStore?: "s3" | "secretsmanager";
  /** Called after each simulated day of each profile. */
  readonly onDay?: (progress: DayProgress) => void;
}

/** Progress after one day of one profile. */
export interface DayProgress {
  readonly profile: string;
  readonly day: number;
  readonly days: number;
  readonly calls: number;
  readonly crashed: boolean;
  readonly violations: number;
  /** The violations found that day. */
  readonly found: ReadonlyArray<Violation>;
}

/** Every option but the callbacks and the profiles, defaults filled in. */
export type Options = Required<Omit<ChaosOptions, "onDay" | "profiles">>;

/** The options with every default filled in. */
export const fullOptions = (options: ChaosOptions): Options => ({
  users: options.users,
  days: options.days,
  faultRate: options.faultRate,
  seed: options.seed,
  crashRate: options.crashRate ?? 0.25,
  consistencyDelayMs: options.consistencyDelayMs ?? 5_000,
  rerunAfterMs: options.rerunAfterMs ?? 60_000,
  latencyJitterMs: options.latencyJitterMs ?? 4,
  sendFailureRate: options.sendFailureRate ?? 0.03,
  sesOutages: options.sesOutages ?? Math.max(1, Math.round(options.days / 60)),
  createFailureRate: options.createFailureRate ?? 0.05,
  plantRate: options.plantRate ?? 0.004,
  handKeyRate: options.handKeyRate ?? 0.01,
  concurrentRuns: options.concurrentRuns ?? false,
  concurrentRate: options.concurrentRate ?? 0.2,
  secretStore: options.secretStore ?? "s3",
});

export const SENDER = "keyrotate@example.com";
export const START = new Date("2026-01-05T09:00:00Z");
export const BUCKET = "keyrotate-credentials";
// Changing calls but mail: every run mails its admin summary, and user notices are counted apart.
export const MUTATING = MUTATING_OPERATIONS.filter((op) => !op.startsWith("ses:"));
