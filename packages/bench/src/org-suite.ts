import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OrganizationScenario, type ScenarioAccount, startSandbox } from "@keyrotate/sandbox";
import { SANDBOX_REPORT_GENERATION_MS, sumCalls } from "./account-suite.js";
import { runChild } from "./child.js";
import { bundleChildren } from "./child-bundle.js";
import type { KeyrotateChildInput, KeyrotateChildResult } from "./keyrotate-child.js";
import type { BenchOptions } from "./options.js";
import type { OrgChildInput, OrgChildResult } from "./org-child.js";
import { BENCH_NOW, benchScenario, dueCount } from "./scenario.js";

/** The role each member account holds for the run. */
export const BENCH_ORG_ROLE = "KeyrotateBench";
/**
 * The member accounts run alone, one after the other, as the single-account reference (the
 * median of their times: one throttled retry more or less moves a one-second run a lot); never
 * in the org run.
 */
export const REFERENCE_ACCOUNTS = ["099999999997", "099999999998", "099999999999"] as const;

const memberId = (i: number): string => String(100_000_000_001 + i);

/** The organisation suite's figures. */
export interface OrgResult {
  readonly accounts: number;
  readonly usersPerAccount: number;
  readonly duePerAccount: number;
  readonly concurrency: number;
  readonly seedMs: number;
  /** The organisation run: wall time, status, memory of the whole local fan-out. */
  readonly wallMs: number;
  readonly status: string;
  readonly completed: number;
  readonly rotated: number;
  readonly maxRssBytes: number;
  /** Accounts' own times inside the run (AssumeRole to the end of the account's run). */
  readonly accountMs: { readonly min: number; readonly median: number; readonly max: number };
  /** The reference twins' own times alone, in the order they ran. */
  readonly singleRunsMs: ReadonlyArray<number>;
  /** The median reference twin run alone in its own process: a worker's time, calls and memory. */
  readonly single: {
    readonly wallMs: number;
    readonly reportMs: number;
    readonly iamAnswered: number;
    readonly answered: Readonly<Record<string, number>>;
    readonly failedAttempts: number;
    readonly maxRssBytes: number;
  };
  /** ceil(accounts / concurrency): the waves of accounts the run needs at least. */
  readonly waves: number;
  /** waves × the single account's own time: the least the run can take at this concurrency. */
  readonly idealMs: number;
  /** waves × the single account's throttle bound (answered IAM calls / rate). */
  readonly throttleBoundMs: number;
  /** Accounts whose answered calls equal the single run's, operation by operation. */
  readonly sameCalls: number;
  /** Throttled attempts over all accounts (retries: not in the answered calls). */
  readonly throttledAttempts: number;
  readonly reportBytes: number;
  readonly mergeHeapBytes: number;
  readonly mergeMs: number;
  /** CPU time of the organisation run's process (every account's clients and work), in ms. */
  readonly cpuMs: number;
}

const sameCalls = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
};

/**
 * One run of the organisation suite: a sandbox organisation of `orgAccounts` member accounts of
 * `orgUsers` users each (a share due), each account with its own IAM token bucket and latency,
 * plus twin accounts run alone as the single-account reference; then one `runOrganization` at
 * `concurrency` in a child process.
 */
export const runOrgSuite = async (
  options: BenchOptions,
  concurrency: number,
  progress: (line: string) => void = () => {},
): Promise<OrgResult> => {
  const scratch = mkdtempSync(join(tmpdir(), "keyrotate-bench-org-"));
  const { now: _now, ...scenario } = benchScenario(options.orgUsers, options.actionRate);
  const faults = {
    latencyMs: options.latencyMs,
    throttle: { iam: { ratePerSecond: options.iamRate, burst: options.iamBurst } },
  };
  const account = (id: string): ScenarioAccount => ({ id, name: `member-${id}`, scenario, faults });
  const organization: OrganizationScenario = {
    memberRole: { name: BENCH_ORG_ROLE },
    management: { role: null },
    accounts: [
      ...REFERENCE_ACCOUNTS.map(account),
      ...Array.from({ length: options.orgAccounts }, (_, i) => account(memberId(i))),
    ],
  };
  const t = performance.now();
  const sandbox = await startSandbox({
    now: BENCH_NOW,
    randomSeed: 1,
    reportGenerationMs: SANDBOX_REPORT_GENERATION_MS,
    seed: { organization },
  });
  try {
    const seedMs = performance.now() - t;
    progress(
      `${options.orgAccounts} accounts × ${options.orgUsers} users (+1 reference): seeded in ${(seedMs / 1000).toFixed(1)} s`,
    );
    const children = await bundleChildren(scratch);
    const today = sandbox.clock.now().toISOString().slice(0, 10);
    const singles: KeyrotateChildResult[] = [];
    for (const id of REFERENCE_ACCOUNTS) {
      const ref = sandbox.account(id).clientConfig();
      singles.push(
        await runChild<KeyrotateChildResult>(children["keyrotate-child"], {
          endpoint: ref.endpoint,
          region: ref.region,
          credentials: ref.credentials,
          today,
        } satisfies KeyrotateChildInput),
      );
    }
    const single = [...singles].sort((a, b) => a.wallMs - b.wallMs)[
      Math.floor(singles.length / 2)
    ] as KeyrotateChildResult;
    progress(
      `reference accounts alone: ${singles.map((r) => `${(r.wallMs / 1000).toFixed(1)} s`).join(", ")}`,
    );
    const { endpoint, region, credentials } = sandbox.clientConfig();
    const run = await runChild<OrgChildResult>(children["org-child"], {
      endpoint,
      region,
      credentials,
      today,
      roleName: BENCH_ORG_ROLE,
      concurrency,
      excludeAccounts: [
        ...REFERENCE_ACCOUNTS,
        ...sandbox
          .accounts()
          .slice(0, 1)
          .map((a) => a.id),
      ],
    } satisfies OrgChildInput);
    progress(
      `organization run: ${run.accounts.length} accounts in ${(run.wallMs / 1000).toFixed(1)} s at ${concurrency} at a time`,
    );
    const times = run.accounts.map((a) => a.ms).sort((a, b) => a - b);
    const waves = Math.ceil(options.orgAccounts / concurrency);
    const iamAnswered = sumCalls(single.outcomes.answered, (op) => op.startsWith("iam:"));
    return {
      accounts: options.orgAccounts,
      usersPerAccount: options.orgUsers,
      duePerAccount: dueCount(options.orgUsers, options.actionRate),
      concurrency,
      seedMs,
      wallMs: run.wallMs,
      status: run.status,
      completed: run.accounts.filter((a) => a.status === "completed").length,
      rotated: run.accounts.reduce((n, a) => n + a.rotated, 0),
      maxRssBytes: run.maxRssBytes,
      accountMs: {
        min: times[0] ?? 0,
        median: times[Math.floor(times.length / 2)] ?? 0,
        max: times.at(-1) ?? 0,
      },
      singleRunsMs: singles.map((r) => r.wallMs),
      single: {
        wallMs: single.wallMs,
        reportMs: single.reportMs,
        iamAnswered,
        answered: single.outcomes.answered,
        failedAttempts: sumCalls(single.outcomes.failed),
        maxRssBytes: single.maxRssBytes,
      },
      waves,
      idealMs: waves * single.wallMs,
      throttleBoundMs: waves * (iamAnswered / options.iamRate) * 1000,
      sameCalls: run.accounts.filter((a) =>
        sameCalls(a.outcomes.answered, single.outcomes.answered),
      ).length,
      throttledAttempts: run.accounts.reduce((n, a) => n + sumCalls(a.outcomes.failed), 0),
      reportBytes: run.reportBytes,
      mergeHeapBytes: run.mergeHeapBytes,
      mergeMs: run.mergeMs,
      cpuMs: run.cpuMs,
    };
  } finally {
    await sandbox.close();
    rmSync(scratch, { recursive: true, force: true });
  }
};
