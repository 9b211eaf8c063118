/**
 * The chaos simulation: keyrotate runs once a day against the sandbox for many simulated days,
 * with faults on a share of calls, IAM's eventual consistency, and runs aborted at random calls
 * and then rerun. After every day the sandbox's state is checked (see `invariants.ts`); after the
 * last, faults stop and one more day must bring full convergence.
 */
import {
  type AttemptMiddleware,
  type AwsClients,
  createAwsClients,
  type LogEntry,
  MUTATING_OPERATIONS,
  type RunReport,
  runKeyrotate,
} from "@keyrotate/aws-adapter";
import { type CalendarDate, decodeSettings, type Settings } from "@keyrotate/core";
import {
  emailTexts,
  type FaultSettings,
  type Sandbox,
  scanForSecrets,
  startSandbox,
} from "@keyrotate/sandbox";
import * as E from "fp-ts/lib/Either.js";
import {
  announcedKeys,
  type CheckSettings,
  checkConverged,
  checkDay,
  checkKeyAges,
  type DayRecord,
  type Violation,
} from "./invariants.js";
import { ORIGINAL, type Profile, population, STRICT, seededRandom } from "./population.js";

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
}

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

const SENDER = "keyrotate@example.com";
const START = new Date("2026-01-05T09:00:00Z");
const BUCKET = "keyrotate-credentials";
// Changing calls but mail: every run mails its admin summary, and user notices are counted apart.
const MUTATING = MUTATING_OPERATIONS.filter((op) => !op.startsWith("ses:"));

/** Thrown by the crash switch: not an AWS error, so the SDK never retries it. */
const crashed = (): never => {
  throw Object.assign(new Error("the keyrotate process was killed (simulated crash)"), {
    name: "SimulatedCrash",
  });
};

/**
 * A process that dies after its `k`-th call attempt: nothing it sends afterwards arrives.
 * With `lostReply`, the `k`-th call takes effect but its answer never comes back.
 */
export const crashSwitch = (k: number, lostReply: boolean) => {
  let made = 0;
  let dead = false;
  const middleware: AttemptMiddleware = () => {
    if (dead) crashed();
    made += 1;
    if (made === k && lostReply) {
      dead = true;
      return crashed;
    }
    if (made > k) {
      dead = true;
      crashed();
    }
    return undefined;
  };
  return { middleware, fired: () => dead };
};

/**
 * Keeps the SDK's retry decisions (throttling and transient errors, 5xx and resets included, up
 * to `maxAttempts` attempts) but drops its backoff sleeps: simulated time, as the sandbox's
 * clock is. Without it, a 180-day run spends hours in exponential backoff.
 */
export const withoutBackoff = (clients: AwsClients, maxAttempts = 5): AwsClients => {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  const strategy = {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (
      previous: { getRetryCount(): number },
      info: { readonly errorType: string },
    ) => {
      const retryable = info.errorType === "THROTTLING" || info.errorType === "TRANSIENT";
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts) throw new Error("no retry");
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => {},
  };
  for (const client of [clients.iam, clients.s3, clients.ses]) {
    (client.config as { retryStrategy: unknown }).retryStrategy = async () => strategy;
  }
  return clients;
};

const sum = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((a, b) => a + b, 0);

/** One profile's account: a sandbox, its users, settings and clients. */
class Account {
  readonly violations: Violation[] = [];
  runs = 0;
  crashes = 0;
  reruns = 0;
  resent = 0;
  failedUserRuns = 0;
  checks = 0;
  private lastCalls = 20;
  /** Age when first seen, of keys first seen Active (invariant 7 bounds only those). */
  private readonly firstSeenAge = new Map<string, number>();
  private readonly seenInactive = new Set<string>();
  /** New keys named by a Rotated notice so far, kept as the mail comes in. */
  private readonly announced = new Set<string>();
  private readonly logs: LogEntry[] = [];

  private constructor(
    readonly profile: Profile,
    readonly sandbox: Sandbox,
    readonly settings: Settings,
    readonly clients: AwsClients,
    readonly users: ReturnType<typeof population>,
    readonly seeded: ReadonlySet<string>,
    private readonly random: () => number,
    private readonly options: Required<Omit<ChaosOptions, "onDay" | "profiles">>,
  ) {}

  static async start(
    profile: Profile,
    count: number,
    seed: number,
    options: Required<Omit<ChaosOptions, "onDay" | "profiles">>,
  ): Promise<Account> {
    const random = seededRandom(seed);
    const now = START;
    const users = population(profile, count, random, now);
    const sandbox = await startSandbox({
      now,
      randomSeed: seed,
      reportGenerationMs: 2,
      seed: {
        verifiedEmails: [SENDER],
        buckets: [BUCKET],
        users: users.map((u) => u.scenario),
      },
    });
    const decoded = decodeSettings({
      SES_EMAIL: SENDER,
      SES_REGION: sandbox.region,
      S3_CSV_BUCKET: BUCKET,
      ...profile.env,
    });
    if (E.isLeft(decoded))
      throw new Error(`bad profile ${profile.id}: ${JSON.stringify(decoded.left)}`);
    const seeded = new Set(sandbox.users().flatMap((u) => u.keys.map((k) => k.accessKeyId)));
    const account = new Account(
      profile,
      sandbox,
      decoded.right,
      Account.clientsFor(sandbox, decoded.right, []),
      users,
      seeded,
      random,
      options,
    );
    return account;
  }

  private static clientsFor(
    sandbox: Sandbox,
    settings: Settings,
    middleware: AttemptMiddleware[],
  ): AwsClients {
    const { endpoint, region, credentials } = sandbox.clientConfig();
    // The production clients (5 attempts), their backoff sleeps skipped.
    return withoutBackoff(
      createAwsClients({ settings, endpoint, region, credentials, middleware }),
    );
  }

  get checkSettings(): CheckSettings {
    const s = this.settings;
    return {
      bucket: BUCKET,
      lastCheckDateTagKey: s.lastCheckDateTagKey,
      lastCheckOldKeyTagKey: s.lastCheckOldKeyTagKey,
      stateTagKey: s.stateTagKey,
      overdueDays: s.overdueDays,
      deactivateDays: s.deactivateDays,
      deletionDays: s.deletionDays,
      minNoticeDays: s.minNoticeDays,
      inUseDelayDays: s.inUseDelayDays,
      ...(s.adminEmail === undefined ? {} : { adminEmail: s.adminEmail }),
    };
  }

  private faults(): FaultSettings {
    const f = this.options.faultRate;
    return {
      throttleRate: f * 0.4,
      errorRate: f * 0.35,
      resetRate: f * 0.25,
      latencyJitterMs: this.options.latencyJitterMs,
      consistencyDelayMs: this.options.consistencyDelayMs,
    };
  }

  private today(): CalendarDate {
    return this.sandbox.clock.now().toISOString().slice(0, 10) as CalendarDate;
  }

  private async run(clients: AwsClients): Promise<RunReport> {
    this.runs += 1;
    const report = await runKeyrotate({
      clients,
      settings: this.settings,
      today: this.today(),
      polling: { initialDelayMs: 5, maxDelayMs: 20, timeoutMs: 30_000 },
      log: (entry) => {
        this.logs.push(entry);
      },
      now: () => this.sandbox.clock.now(),
      // One runner in one process: its crash switch would also fail the lease's release and
      // block the next run until the lease expires. Two runs at once are the real-process
      // tests' (concurrency.integration.test.ts).
      lease: false,
    });
    this.failedUserRuns += report.counts.failed;
    return report;
  }

  private useKeys(): void {
    const works = new Set(this.users.filter((u) => u.works).map((u) => u.scenario.name));
    for (const u of this.sandbox.users()) {
      if (!works.has(u.name)) continue;
      const newest = u.keys
        .filter((k) => k.status === "Active")
        .sort((a, b) => b.createDate.getTime() - a.createDate.getTime())[0];
      if (newest !== undefined) this.sandbox.useKey(newest.accessKeyId);
    }
  }

  private userNoticesSince(index: number): number {
    const admin = this.settings.adminEmail;
    return this.sandbox
      .emails()
      .slice(index)
      .filter((e) => admin === undefined || !e.destinations.to.includes(admin)).length;
  }

  private mutatingCallsSince(before: Readonly<Record<string, number>>): number {
    const after = this.sandbox.calls();
    return MUTATING.reduce((n, op) => n + (after[op] ?? 0) - (before[op] ?? 0), 0);
  }

  /** One simulated day: runs (maybe aborted and rerun), then every check. */
  async day(day: number, final: boolean): Promise<{ calls: number; crashed: boolean }> {
    const sb = this.sandbox;
    // Every day's first run at 09:00 UTC: reruns (+60 s, +1 h) must not drift past midnight.
    sb.clock.set(new Date(START.getTime() + day * 86_400_000));
    this.useKeys();
    const before = sb.users();
    const today = sb.clock.now();
    for (const u of before) {
      for (const k of u.keys) {
        if (!this.firstSeenAge.has(k.accessKeyId) && !this.seenInactive.has(k.accessKeyId)) {
          if (k.status !== "Active") {
            this.seenInactive.add(k.accessKeyId);
            continue;
          }
          const age = Math.floor((today.getTime() - k.createDate.getTime()) / 86_400_000);
          this.firstSeenAge.set(k.accessKeyId, age);
        }
      }
    }
    const eventsAt = sb.keyEvents().length;
    const emailsAt = sb.emails().length;
    const callsAt = sum(sb.calls());
    sb.setFaults(final ? {} : this.faults());
    let last: RunReport;
    let didCrash = false;
    const crashAfterNotice = new Set<string>();
    const unsettled = new Set<string>();
    if (!final && this.random() < this.options.crashRate) {
      const k = 1 + Math.floor(this.random() * Math.max(4, this.lastCalls));
      const crash = crashSwitch(k, this.random() < 0.5);
      const crashClients = Account.clientsFor(sb, this.settings, [crash.middleware]);
      const aborted = await this.run(crashClients);
      crashClients.iam.destroy();
      crashClients.s3.destroy();
      crashClients.ses.destroy();
      last = aborted;
      if (crash.fired()) {
        didCrash = true;
        this.crashes += 1;
        const live = new Map(sb.users().map((u) => [u.name, u]));
        // Every notice is recorded only after it is sent (a warning's record, the end of a
        // pending Rotated or Deactivated notice) or sent before its change (Deleted): a crash
        // between the send and its record makes the rerun send it again (at-least-once,
        // RELIABILITY.md). A notice whose record the crash did not stop is not excused.
        const today = sb.clock.now().toISOString().slice(0, 10);
        for (const e of sb.emails().slice(emailsAt)) {
          const name = (e.destinations.to[0] ?? "").replace(/@.*/, "");
          const user = live.get(name);
          const marker = user?.tags.find((t) => t.key === this.settings.stateTagKey)?.value ?? "";
          const items = marker.split(" ");
          const has = (prefix: string) => items.some((i) => i.startsWith(prefix));
          const subject = e.subject ?? "";
          const deletedKey = /key (AKIA\w+) was deleted/.exec(subject)?.[1];
          const unrecorded = /will be rotated on|two active access keys/.test(subject)
            ? !items.some((i) => i.startsWith(`warned:${today}`))
            : /was rotated: new key/.test(subject)
              ? has("rotated:") || has("rotating:")
              : /was deactivated/.test(subject)
                ? has("deactivating:")
                : deletedKey !== undefined
                  ? user?.keys.some((k) => k.accessKeyId === deletedKey) === true
                  : /still in use/.test(subject)
                    ? !items.includes(`in-use:${today}`)
                    : false;
          if (unrecorded) crashAfterNotice.add(name);
        }
        sb.clock.advanceMs(this.options.rerunAfterMs);
        last = await this.run(this.clients);
      }
    } else {
      last = await this.run(this.clients);
    }
    if (last.status === "failed") for (const u of before) unsettled.add(u.name);
    for (const u of last.users)
      if (u.status !== "ok" && u.status !== "planned") unsettled.add(u.userName);
    this.lastCalls = Math.max(4, sum(last.apiCalls));

    let rerun = { mutatingCalls: 0, userNotices: 0 };
    if (final || (day % 7 === 3 && unsettled.size === 0 && last.status === "completed")) {
      // Invariant 6: a second run the same day changes nothing and sends nothing.
      sb.clock.advanceMs(3_600_000);
      const calls = sb.calls();
      const mails = sb.emails().length;
      await this.run(this.clients);
      rerun = {
        mutatingCalls: this.mutatingCallsSince(calls),
        userNotices: this.userNoticesSince(mails),
      };
      this.reruns += 1;
      if (!final && (rerun.mutatingCalls > 0 || rerun.userNotices > 0)) {
        this.violations.push({
          check: "not-converged",
          day,
          userName: "*",
          message: `a second run the same day made ${rerun.mutatingCalls} changing calls and sent ${rerun.userNotices} user notices`,
        });
      }
    }

    const emailsToday = sb.emails().slice(emailsAt);
    for (const id of announcedKeys(emailsToday)) this.announced.add(id);
    const record: DayRecord = {
      day,
      before,
      after: {
        users: sb.users(),
        objects: sb.objects(BUCKET),
        emails: [],
        announced: this.announced,
        secretOf: (id) => sb.secretOf(id),
      },
      emailsToday,
      keyEventsToday: sb.keyEvents().slice(eventsAt),
      seededKeyIds: this.seeded,
      unsettled,
      crashAfterNotice,
    };
    const s = this.checkSettings;
    const found = [
      ...checkDay(s, record),
      ...checkKeyAges(s, record, {
        today,
        bounded: new Set(this.users.filter((u) => u.bounded).map((u) => u.scenario.name)),
        firstSeenAge: this.firstSeenAge,
        slackDays: 1,
      }),
      ...(final ? checkConverged(s, record, rerun) : []),
    ];
    this.checks += 1;
    this.violations.push(...found);
    this.resent += countResent(record);
    // Secret hygiene: today's logs, the last report and today's notices hold no secret.
    const leaks = scanForSecrets(sb.issuedSecrets(), {
      logs: this.logs.splice(0),
      report: last,
      ...emailTexts(record.emailsToday),
    });
    for (const leak of leaks) {
      this.violations.push({
        check: "secret-lost",
        day,
        userName: "*",
        message: `secret of ${leak.accessKeyId} found in ${leak.where} (${leak.form})`,
      });
    }
    this.secretLeaks += leaks.length;
    return { calls: sum(sb.calls()) - callsAt, crashed: didCrash };
  }

  secretLeaks = 0;

  async close(): Promise<void> {
    this.clients.iam.destroy();
    this.clients.s3.destroy();
    this.clients.ses.destroy();
    await this.sandbox.close();
  }
}

/** Same-recipient, same-subject notices sent more than once today (tolerated after a crash). */
const countResent = (d: DayRecord): number => {
  const seen = new Map<string, number>();
  for (const e of d.emailsToday) {
    const id = `${e.destinations.to.join(",")}\u0000${e.subject ?? ""}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  let n = 0;
  for (const [id, count] of seen) {
    const user = (id.split("\u0000")[0] ?? "").replace(/@.*/, "");
    if (count > 1 && d.crashAfterNotice.has(user)) n += count - 1;
  }
  return n;
};

/**
 * Runs the chaos simulation and returns its figures. Deterministic in its choices (users, ages,
 * crash points, fault dice) for a given seed; the interleaving of concurrent calls is not.
 */
export const runChaos = async (options: ChaosOptions): Promise<ChaosResult> => {
  const started = Date.now();
  const full: Required<Omit<ChaosOptions, "onDay" | "profiles">> = {
    users: options.users,
    days: options.days,
    faultRate: options.faultRate,
    seed: options.seed,
    crashRate: options.crashRate ?? 0.25,
    consistencyDelayMs: options.consistencyDelayMs ?? 5_000,
    rerunAfterMs: options.rerunAfterMs ?? 60_000,
    latencyJitterMs: options.latencyJitterMs ?? 4,
  };
  const profiles = options.profiles ?? [ORIGINAL, STRICT];
  const accounts: Account[] = [];
  try {
    for (const [i, profile] of profiles.entries()) {
      const share =
        Math.floor(full.users / profiles.length) + (i < full.users % profiles.length ? 1 : 0);
      accounts.push(await Account.start(profile, share, full.seed * 31 + i, full));
    }
    // The profiles' accounts are independent: each lives its days in turn, in parallel.
    await Promise.all(
      accounts.map(async (account) => {
        for (let day = 0; day <= full.days; day++) {
          const final = day === full.days;
          const { calls, crashed } = await account.day(day, final);
          options.onDay?.({
            profile: account.profile.id,
            day,
            days: full.days,
            calls,
            crashed,
            violations: account.violations.length,
          });
        }
      }),
    );
    const calls: Record<string, number> = {};
    const states: Record<string, number> = {};
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
      for (const u of a.users) states[u.kind] = (states[u.kind] ?? 0) + 1;
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
      runs: accounts.reduce((n, a) => n + a.runs, 0),
      calls,
      totalCalls: sum(calls),
      faults: { throttled, errors, resets, total: throttled + errors + resets },
      crashes: accounts.reduce((n, a) => n + a.crashes, 0),
      idempotencyReruns: accounts.reduce((n, a) => n + a.reruns, 0),
      keysCreated: created,
      keysDeactivated: deactivated,
      keysDeleted: deleted,
      userNotices: notices,
      resentAfterCrash: accounts.reduce((n, a) => n + a.resent, 0),
      failedUserRuns: accounts.reduce((n, a) => n + a.failedUserRuns, 0),
      secretsIssued: secrets,
      secretLeaks: accounts.reduce((n, a) => n + a.secretLeaks, 0),
      checks: accounts.reduce((n, a) => n + a.checks, 0),
      violations,
      violationsByCheck: byCheck,
      converged: !violations.some((v) => v.check === "not-converged" && v.day === full.days),
      durationMs: Date.now() - started,
    };
  } finally {
    await Promise.all(accounts.map((a) => a.close()));
  }
};
