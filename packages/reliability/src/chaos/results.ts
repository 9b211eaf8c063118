/** The figures of a chaos run, summed over its accounts. */
import type { Violation } from "@keyrotate/sandbox/verify";
import type { Account } from "./account.js";
import type { Options } from "./options.js";

/** The figures of a chaos run. */
export interface ChaosResult {
  readonly seed: number;
  readonly users: number;
  readonly days: number;
  readonly faultRate: number;
  readonly consistencyDelayMs: number;
  readonly rerunAfterMs: number;
  readonly profiles: ReadonlyArray<{
    readonly id: string;
    readonly description: string;
    readonly users: number;
  }>;
  readonly states: Readonly<Record<string, number>>;
  readonly runs: number;
  /** Every request the sandbox received (retries included), by `service:Operation`. */
  readonly calls: Readonly<Record<string, number>>;
  readonly totalCalls: number;
  readonly faults: {
    readonly throttled: number;
    readonly errors: number;
    readonly resets: number;
    readonly total: number;
  };
  readonly crashes: number;
  /** `SendEmail` calls SES rejected (failed sends), and the days SES rejected every send. */
  readonly failedSends: number;
  readonly sesOutageDays: number;
  /** Days on which CreateAccessKey failed 10 times in a row. */
  readonly createFailureDays: number;
  /** State-tag values planted between runs, keys users made by hand between runs. */
  readonly plantedMarkers: number;
  readonly handMadeKeys: number;
  /** Planted values still as planted at the end: keyrotate had no reason to read those users. */
  readonly plantedLeftUnread: number;
  /** Of those, made the day after a rotation failed (its `rotating:` marker still set). */
  readonly handMadeAfterFailedRotation: number;
  /** Days with two runs started together (0 unless `concurrentRuns`). */
  readonly concurrentDays: number;
  /** Users by usage profile. */
  readonly usage: Readonly<Record<string, number>>;
  /** Same-day reruns checked for idempotency (no change, no notice). */
  readonly idempotencyReruns: number;
  readonly keysCreated: number;
  readonly keysDeactivated: number;
  readonly keysDeleted: number;
  readonly userNotices: number;
  /** Notices sent again after a run crashed between sending them and clearing the marker. */
  readonly resentAfterCrash: number;
  /** Users a run reported failed (after the SDK's retries), summed over runs. */
  readonly failedUserRuns: number;
  readonly secretsIssued: number;
  readonly secretLeaks: number;
  readonly checks: number;
  readonly violations: ReadonlyArray<Violation>;
  readonly violationsByCheck: Readonly<Record<string, number>>;
  readonly converged: boolean;
  readonly durationMs: number;
}

export const sum = (r: Readonly<Record<string, number>>) =>
  Object.values(r).reduce((a, b) => a + b, 0);

/** The figures of a run whose accounts have lived all their days. */
export const summarise = (
  accounts: ReadonlyArray<Account>,
  full: Options,
  started: number,
): ChaosResult => {
  const calls: Record<string, number> = {};
  const states: Record<string, number> = {};
  const usage: Record<string, number> = {};
  let throttled = 0;
  let errors = 0;
  let resets = 0;
  let created = 0;
  let deactivated = 0;
  let deleted = 0;
  let notices = 0;
  let secrets = 0;
  for (const a of accounts) {
    for (const [op, n] of Object.entries(a.sandbox.calls())) calls[op] = (calls[op] ?? 0) + n;
    for (const u of a.users) {
      states[u.kind] = (states[u.kind] ?? 0) + 1;
      usage[u.usage.id] = (usage[u.usage.id] ?? 0) + 1;
    }
    const f = a.sandbox.faultCounts();
    throttled += f.throttled;
    errors += f.errors;
    resets += f.resets;
    for (const e of a.sandbox.keyEvents()) {
      if (e.operation === "CreateAccessKey") created++;
      if (e.operation === "UpdateAccessKey" && e.statusAfter === "Inactive") deactivated++;
      if (e.operation === "DeleteAccessKey") deleted++;
    }
    const admin = a.settings.adminEmail;
    notices += a.sandbox
      .emails()
      .filter((e) => admin === undefined || !e.destinations.to.includes(admin)).length;
    secrets += a.sandbox.issuedSecrets().length;
  }
  const violations = accounts.flatMap((a) => a.violations);
  const byCheck: Record<string, number> = {};
  for (const v of violations) byCheck[v.check] = (byCheck[v.check] ?? 0) + 1;
  return {
    seed: full.seed,
    users: full.users,
    days: full.days,
    faultRate: full.faultRate,
    consistencyDelayMs: full.consistencyDelayMs,
    rerunAfterMs: full.rerunAfterMs,
    profiles: accounts.map((a) => ({
      id: a.profile.id,
      description: a.profile.description,
      users: a.users.length,
    })),
    states,
    runs: accounts.reduce((n, a) => n + a.tally.runs, 0),
    calls,
    totalCalls: sum(calls),
    faults: { throttled, errors, resets, total: throttled + errors + resets },
    crashes: accounts.reduce((n, a) => n + a.tally.crashes, 0),
    failedSends: accounts.reduce((n, a) => n + a.tally.failedSends, 0),
    sesOutageDays: accounts.reduce((n, a) => n + a.outageDays, 0),
    createFailureDays: accounts.reduce((n, a) => n + a.tally.createFailureDays, 0),
    plantedMarkers: accounts.reduce((n, a) => n + a.tally.planted, 0),
    handMadeKeys: accounts.reduce((n, a) => n + a.tally.handKeys, 0),
    plantedLeftUnread: accounts.reduce((n, a) => n + a.plantedUnread().size, 0),
    handMadeAfterFailedRotation: accounts.reduce((n, a) => n + a.tally.handKeysAfterFailure, 0),
    concurrentDays: accounts.reduce((n, a) => n + a.tally.concurrentDays, 0),
    usage,
    idempotencyReruns: accounts.reduce((n, a) => n + a.tally.reruns, 0),
    keysCreated: created,
    keysDeactivated: deactivated,
    keysDeleted: deleted,
    userNotices: notices,
    resentAfterCrash: accounts.reduce((n, a) => n + a.tally.resent, 0),
    failedUserRuns: accounts.reduce((n, a) => n + a.tally.failedUserRuns, 0),
    secretsIssued: secrets,
    secretLeaks: accounts.reduce((n, a) => n + a.tally.secretLeaks, 0),
    checks: accounts.reduce((n, a) => n + a.tally.checks, 0),
    violations,
    violationsByCheck: byCheck,
    converged: !violations.some((v) => v.check === "not-converged" && v.day === full.days),
    durationMs: Date.now() - started,
  };
};
