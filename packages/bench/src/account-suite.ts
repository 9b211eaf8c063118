import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MUTATING_OPERATIONS } from "@keyrotate/aws-adapter";
import { type FaultSettings, startSandbox } from "@keyrotate/sandbox";
import type { BaselineChildInput, BaselineChildResult } from "./baseline-child.js";
import { runChild } from "./child.js";
import { bundleChildren, type ChildEntry } from "./child-bundle.js";
import type { KeyrotateChildInput, KeyrotateChildResult } from "./keyrotate-child.js";
import type { BenchOptions } from "./options.js";
import { BUCKET, benchScenario, dueCount } from "./scenario.js";

export { MUTATING_OPERATIONS };

/** Calls by `service:Operation`. */
export type Calls = Readonly<Record<string, number>>;

/** The sum of some calls: all of them, or those `keep` selects. */
export const sumCalls = (calls: Calls, keep: (op: string) => boolean = () => true): number =>
  Object.entries(calls).reduce((n, [op, c]) => (keep(op) ? n + c : n), 0);

const isIam = (op: string): boolean => op.startsWith("iam:");
const isRead = (op: string): boolean => !MUTATING_OPERATIONS.includes(op);

/** keyrotate's run at one size. */
export interface KeyrotateFigures {
  readonly status: string;
  /** Requests the sandbox received, by operation (throttled attempts included). */
  readonly calls: Calls;
  readonly totalCalls: number;
  readonly readCalls: number;
  readonly iamCalls: number;
  /** IAM attempts that were answered (the throttle let them through). */
  readonly iamAnswered: number;
  /** Attempts that failed (throttled), all services. */
  readonly failedAttempts: number;
  /** Failed attempts by `service:Operation:ErrorCode`. */
  readonly failures: Calls;
  readonly wallMs: number;
  /** Time to the credential report read and triaged (includes the adapter's first poll wait). */
  readonly reportMs: number;
  /** Answered IAM calls / IAM rate: the least time the throttle allows, in ms. */
  readonly throttleBoundMs: number;
  /** The same less the burst: the least time with a full bucket at the start, in ms. */
  readonly throttleBoundWithBurstMs: number;
  readonly maxRssBytes: number;
  readonly idleRssBytes: number;
  readonly selected: number;
  readonly rotated: number;
  readonly failed: number;
  /** Checked in the sandbox afterwards: users holding a second key, secrets stored, emails sent. */
  readonly usersWithNewKey: number;
  readonly secretsStored: number;
  readonly emailsSent: number;
}

/** The baseline at one size, measured and, beyond its time limit, extrapolated. */
export interface BaselineFigures {
  /** Whether the time limit cut it off, so that calls and time are extrapolated. */
  readonly extrapolated: boolean;
  readonly usersRead: number;
  /** Requests the sandbox received while it ran, by operation. */
  readonly measuredCalls: Calls;
  readonly measuredMs: number;
  /** For the whole account: measured, or calls per user × users (ListUsers: one per 100). */
  readonly calls: Calls;
  readonly totalCalls: number;
  readonly readCalls: number;
  readonly failedAttempts: number;
  /** Failed attempts by `service:Operation:ErrorCode` (measured). */
  readonly failures: Calls;
  /** For the whole account: measured, or time per user × users. */
  readonly wallMs: number;
  readonly maxRssBytes: number;
}

/** The account suite at one size. */
export interface AccountSizeResult {
  readonly users: number;
  readonly due: number;
  readonly seedMs: number;
  readonly keyrotate: KeyrotateFigures;
  readonly baseline: BaselineFigures;
  /** Baseline calls / keyrotate calls, all calls. */
  readonly callRatio: number;
  /** Baseline calls / keyrotate's reads: the same work, reading the account. */
  readonly readRatio: number;
}

/**
 * Scales a cut-off baseline to the whole account: every operation per user read × users, and
 * `ListUsers` one page per 100 users as the original pages.
 */
export const extrapolateCalls = (measured: Calls, usersRead: number, users: number): Calls => {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(measured)) {
    out[op] = op === "iam:ListUsers" ? Math.ceil(users / 100) : Math.round((n * users) / usersRead);
  }
  return out;
};

/** Real ms the sandbox takes to generate a credential report (its default). */
export const SANDBOX_REPORT_GENERATION_MS = 20;

const faultsOf = (options: BenchOptions): FaultSettings => ({
  latencyMs: options.latencyMs,
  throttle: { iam: { ratePerSecond: options.iamRate, burst: options.iamBurst } },
});

/**
 * The account suite at one size: a sandbox seeded with `users` users (a share needing action),
 * the baseline's read in one child process, then keyrotate's run in another, each with a fresh
 * token bucket, each counted by the sandbox.
 */
export const runAccountSize = async (
  options: BenchOptions,
  children: Readonly<Record<ChildEntry, string>>,
  users: number,
  progress: (line: string) => void = () => {},
): Promise<AccountSizeResult> => {
  const sandbox = await startSandbox({
    randomSeed: 1,
    reportGenerationMs: SANDBOX_REPORT_GENERATION_MS,
  });
  try {
    let t = performance.now();
    sandbox.seed(benchScenario(users, options.actionRate));
    const seedMs = performance.now() - t;
    const due = dueCount(users, options.actionRate);
    const { endpoint, region, credentials } = sandbox.clientConfig();
    progress(`${users} users (${due} due): seeded in ${(seedMs / 1000).toFixed(1)} s`);

    sandbox.setFaults(faultsOf(options));
    sandbox.resetCalls();
    t = performance.now();
    const base = await runChild<BaselineChildResult>(children["baseline-child"], {
      endpoint,
      region,
      credentials,
      limitMs: options.baselineLimitS * 1000,
    } satisfies BaselineChildInput);
    const measuredCalls = sandbox.calls();
    progress(
      `${users} users: baseline read ${base.usersRead} users in ${((performance.now() - t) / 1000).toFixed(1)} s${base.complete ? "" : " (time limit; extrapolated)"}`,
    );
    const baselineCalls = base.complete
      ? measuredCalls
      : extrapolateCalls(measuredCalls, base.usersRead, users);
    const baseline: BaselineFigures = {
      extrapolated: !base.complete,
      usersRead: base.usersRead,
      measuredCalls,
      measuredMs: base.elapsedMs,
      calls: baselineCalls,
      totalCalls: sumCalls(baselineCalls),
      readCalls: sumCalls(baselineCalls, isRead),
      failedAttempts: sumCalls(base.outcomes.failed),
      failures: base.outcomes.failed,
      wallMs: base.complete ? base.elapsedMs : (base.elapsedMs * users) / base.usersRead,
      maxRssBytes: base.maxRssBytes,
    };

    sandbox.setFaults(faultsOf(options)); // a full bucket again
    sandbox.resetCalls();
    const run = await runChild<KeyrotateChildResult>(children["keyrotate-child"], {
      endpoint,
      region,
      credentials,
      today: sandbox.clock.now().toISOString().slice(0, 10),
    } satisfies KeyrotateChildInput);
    const calls = sandbox.calls();
    const iamAnswered = sumCalls(run.outcomes.answered, isIam);
    const keyrotate: KeyrotateFigures = {
      status: run.status,
      calls,
      totalCalls: sumCalls(calls),
      readCalls: sumCalls(calls, isRead),
      iamCalls: sumCalls(calls, isIam),
      iamAnswered,
      failedAttempts: sumCalls(run.outcomes.failed),
      failures: run.outcomes.failed,
      wallMs: run.wallMs,
      reportMs: run.reportMs,
      throttleBoundMs: (iamAnswered / options.iamRate) * 1000,
      throttleBoundWithBurstMs:
        (Math.max(0, iamAnswered - options.iamBurst) / options.iamRate) * 1000,
      maxRssBytes: run.maxRssBytes,
      idleRssBytes: run.idleRssBytes,
      selected: run.selected,
      rotated: run.rotated,
      failed: run.failed,
      usersWithNewKey: sandbox.users().filter((u) => u.keys.length === 2).length,
      secretsStored: sandbox.objects(BUCKET).length,
      emailsSent: sandbox.emails().length,
    };
    progress(
      `${users} users: keyrotate ${keyrotate.totalCalls} calls in ${(run.wallMs / 1000).toFixed(1)} s, ${keyrotate.rotated} rotated, peak RSS ${(run.maxRssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
    return {
      users,
      due,
      seedMs,
      keyrotate,
      baseline,
      callRatio: baseline.totalCalls / keyrotate.totalCalls,
      readRatio: baseline.totalCalls / keyrotate.readCalls,
    };
  } finally {
    await sandbox.close();
  }
};

/**
 * The account suite: bundles the child processes, then runs every size of `options.sizes` in
 * turn, each on a fresh sandbox.
 */
export const runAccountSuite = async (
  options: BenchOptions,
  progress: (line: string) => void = () => {},
): Promise<AccountSizeResult[]> => {
  const scratch = mkdtempSync(join(tmpdir(), "keyrotate-bench-"));
  try {
    const children = await bundleChildren(scratch);
    const results: AccountSizeResult[] = [];
    for (const users of options.sizes) {
      results.push(await runAccountSize(options, children, users, progress));
    }
    return results;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};
