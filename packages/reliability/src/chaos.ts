/**
 * The chaos simulation: keyrotate runs once a day against the sandbox for many simulated days,
 * with faults on a share of calls, IAM's eventual consistency, and runs aborted at random calls
 * and then rerun. After every day the sandbox's state is checked (see `invariants.ts`); after the
 * last, faults stop and one more day must bring full convergence.
 */

import { CreateAccessKeyCommand, TagUserCommand } from "@aws-sdk/client-iam";
import { MessageRejected } from "@aws-sdk/client-ses";
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
  type SandboxUser,
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
  checkNoticesSent,
  type DayRecord,
  indexNotices,
  type NeededNotice,
  type NoticeIndex,
  noticesNeeded,
  readNotice,
  rotatedNoticesNeeded,
  type SeenNotice,
  stateItems,
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

/** A number in [0, 1) from a string (FNV-1a): the same dice for the same notice, in any order. */
const dice = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  return (h >>> 0) / 4_294_967_296;
};

const UNHANDLED = new Set(["no-email", "bad-email", "exempt", "exempt-until", "bad-exempt"]);
const handled = (kind: string): boolean => !UNHANDLED.has(kind);

type Options = Required<Omit<ChaosOptions, "onDay" | "profiles">>;

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
  /** Keys users made by hand, and users who acted on their keys (no longer held to invariant 7). */
  private readonly handMade = new Set<string>();
  private readonly acted = new Set<string>();
  private readonly notices: NoticeIndex = new Map();
  private readonly needed: NeededNotice[] = [];
  /** SES's answers: sends rejected per recipient user, today's day and whether SES is down. */
  private readonly rejectedFor = new Map<string, number>();
  private readonly outage = new Set<number>();
  private currentDay = 0;
  /** What the seeded tags say was sent before day 0 (see `DayRecord.beforeStart`). */
  private readonly beforeStart = {
    warned: new Map<string, string>(),
    rotated: new Set<string>(),
  };
  failedSends = 0;
  createFailureDays = 0;
  planted = 0;
  handKeys = 0;
  handKeysAfterFailure = 0;
  concurrentDays = 0;

  private constructor(
    readonly profile: Profile,
    readonly sandbox: Sandbox,
    readonly settings: Settings,
    readonly clients: AwsClients,
    readonly users: ReturnType<typeof population>,
    readonly seeded: ReadonlySet<string>,
    private readonly random: () => number,
    private readonly options: Options,
  ) {
    // SES outage windows: 1–3 days each, drawn up front so the rest of the dice stay put.
    for (let w = 0; w < options.sesOutages; w++) {
      const start = 1 + Math.floor(random() * Math.max(1, options.days - 3));
      const length = 1 + Math.floor(random() * 3);
      for (let d = start; d < start + length && d < options.days; d++) this.outage.add(d);
    }
  }

  static async start(
    profile: Profile,
    count: number,
    seed: number,
    options: Options,
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
    account.rejectSends(account.clients);
    const crashedRotations = new Set(
      users.filter((u) => u.kind === "crashed-rotation").map((u) => u.scenario.name),
    );
    for (const u of sandbox.users()) {
      const tags = new Map(u.tags.map((t) => [t.key, t.value]));
      if (crashedRotations.has(u.name)) {
        const newest = [...u.keys].sort(
          (a, b) => b.createDate.getTime() - a.createDate.getTime(),
        )[0];
        if (newest !== undefined) account.undeliveredSeeds.add(newest.accessKeyId);
      }
      const k = tags.get(decoded.right.lastCheckOldKeyTagKey);
      if (k !== undefined) account.beforeStart.rotated.add(k);
      for (const item of stateItems(tags.get(decoded.right.stateTagKey))) {
        const date = /^warned:(\d{4}-\d{2}-\d{2})/.exec(item)?.[1];
        if (date !== undefined)
          for (const key of u.keys) account.beforeStart.warned.set(key.accessKeyId, date);
      }
    }
    return account;
  }

  private static clientsFor(
    sandbox: Sandbox,
    settings: Settings,
    middleware: AttemptMiddleware[],
  ): AwsClients {
    const { endpoint, region, credentials } = sandbox.clientConfig();
    // The production clients (5 attempts), their backoff sleeps skipped; IAM unpaced for the
    // same reason: the faults here are random, not a rate, and pacing would only wait.
    return withoutBackoff(
      createAwsClients({ settings, endpoint, region, credentials, middleware, iamPacing: false }),
    );
  }

  /**
   * SES's refusals: a `SendEmail` is rejected (400 `MessageRejected`, never retried) on outage
   * days, and otherwise for a share of notices decided by day, recipient and subject, so the
   * same notice meets the same answer in a rerun that day, whatever the order of the calls.
   */
  private rejectSends(clients: AwsClients): AwsClients {
    type Input = {
      readonly Destination?: { readonly ToAddresses?: ReadonlyArray<string> };
      readonly Message?: { readonly Subject?: { readonly Data?: string } };
    };
    clients.ses.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "SendEmailCommand") {
          const input = args.input as Input;
          const to = input.Destination?.ToAddresses?.join(",") ?? "";
          const subject = input.Message?.Subject?.Data ?? "";
          const day = this.currentDay;
          const down = this.outage.has(day);
          const rate = day >= this.options.days ? 0 : this.options.sendFailureRate;
          if (down || dice(`${this.options.seed}|${day}|${to}|${subject}`) < rate) {
            this.failedSends += 1;
            const user = to.replace(/@.*/, "");
            this.rejectedFor.set(user, (this.rejectedFor.get(user) ?? 0) + 1);
            throw new MessageRejected({
              message: down
                ? "Sending paused for this account (simulated)"
                : "Email rejected (simulated)",
              $metadata: { httpStatusCode: 400 },
            });
          }
        }
        return next(args);
      },
      { step: "initialize", name: "chaosRejectSends" },
    );
    return clients;
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
      minNoticeDays: this.profile.minNoticeDays,
      inUseDelayDays: this.profile.inUseDelayDays,
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
      // With two runs at once, the run lease keeps them one after the other, as in production;
      // a short lifetime, so that a run the crash switch stops blocks the next for 2 s at most.
      // Alone, a runner needs none (its crash switch would only delay the next run).
      // Waiting passes on the sandbox's clock too, so that the settle pause after another run
      // outlasts the sandbox's IAM consistency delay as it outlasts IAM's.
      lease:
        this.options.concurrentRuns === true
          ? {
              ttlMs: 2_000,
              waitMs: 60_000,
              pollMs: 50,
              settleMs: this.options.consistencyDelayMs + 1_000,
              sleep: async (ms: number) => {
                this.sandbox.clock.advanceMs(ms);
                await new Promise((resolve) => setTimeout(resolve, 1));
              },
            }
          : false,
    });
    this.failedUserRuns += report.counts.failed;
    return report;
  }

  /** Planted values still as planted at the end (see `checkConverged`), counted in the figures. */
  plantedUnread(): Map<string, string> {
    const out = new Map<string, string>();
    for (const u of this.sandbox.users()) {
      const value = u.tags.find((t) => t.key === this.settings.stateTagKey)?.value;
      if (value !== undefined && this.plantedValue.get(u.name) === value) out.set(u.name, value);
    }
    return out;
  }
  private readonly plantedValue = new Map<string, string>();

  /** Whether a user can hold the secret of `keyId` (never an undelivered key keyrotate made). */
  private knows(keyId: string): boolean {
    return (
      (this.seeded.has(keyId) && !this.undeliveredSeeds.has(keyId)) ||
      this.handMade.has(keyId) ||
      this.announced.has(keyId)
    );
  }
  /** The new keys of the seeded crashed rotations: made by keyrotate, never delivered. */
  private readonly undeliveredSeeds = new Set<string>();

  /** Whether the state after a crash shows that `n` went out (so a rerun must not resend it). */
  private recorded(n: SeenNotice, u: SandboxUser): boolean {
    const today = this.today();
    const items = stateItems(u.tags.find((t) => t.key === this.settings.stateTagKey)?.value);
    const key = u.keys.find((k) => k.accessKeyId === n.keyId);
    switch (n.kind) {
      case "Warning":
      case "TwoActiveKeys":
        return items.some((i) => i.startsWith(`warned:${today}`));
      case "OldKeyInUse":
        return items.includes(`in-use:${today}`);
      case "Rotated":
        return !items.some((i) => /^(rotating|rotated):/.test(i));
      case "Deactivated":
      case "DeactivatedUnused":
        return !items.some((i) => i.startsWith(`deactivating:${n.keyId}:`));
      case "Deleted":
        return key === undefined;
    }
  }

  /** Each working user uses its keys as its usage profile says. */
  private useKeys(): void {
    const byName = new Map(this.users.map((u) => [u.scenario.name, u]));
    const now = this.sandbox.clock.now().getTime();
    for (const u of this.sandbox.users()) {
      const sim = byName.get(u.name);
      if (sim === undefined || !sim.works) continue;
      // Only keys the user can know: seeded ones, its own, and those a Rotated notice announced.
      const active = u.keys
        .filter((k) => k.status === "Active" && this.knows(k.accessKeyId))
        .sort((a, b) => a.createDate.getTime() - b.createDate.getTime());
      const [old, nw] = active;
      if (old === undefined) continue;
      if (nw === undefined) {
        this.sandbox.useKey(old.accessKeyId);
        continue;
      }
      const newAge = Math.floor((now - nw.createDate.getTime()) / 86_400_000);
      if (newAge < sim.usage.oldKeyDays) this.sandbox.useKey(old.accessKeyId);
      if (newAge >= sim.usage.newKeyAfterDays) this.sandbox.useKey(nw.accessKeyId);
    }
  }

  /**
   * What users do between runs (08:00, faults off): make a key by hand (some users, now and
   * then; and half of those whose rotation failed yesterday, as issue 12's bob did), and plant
   * values in keyrotate's state tag, as anyone allowed `iam:TagUser` could.
   */
  private async betweenRuns(): Promise<void> {
    const sb = this.sandbox;
    sb.setFaults({});
    const byName = new Map(this.users.map((u) => [u.scenario.name, u]));
    const iam = this.hand.iam;
    for (const u of sb.users()) {
      const sim = byName.get(u.name);
      if (sim === undefined) continue;
      const items = stateItems(
        u.tags.find((t) => t.key === this.settings.stateTagKey)?.value ?? undefined,
      );
      const failedRotation = items.some((i) => i.startsWith("rotating:"));
      const afterFailure = u.keys.length < 2 && failedRotation && sim.works && this.random() < 0.5;
      const makes =
        afterFailure ||
        (u.keys.length < 2 && sim.makesKeys && this.random() < this.options.handKeyRate);
      if (makes) {
        const out = await iam.send(new CreateAccessKeyCommand({ UserName: u.name }));
        const id = out.AccessKey?.AccessKeyId;
        if (id !== undefined) {
          this.handMade.add(id);
          this.acted.add(u.name);
          this.handKeys += 1;
          if (afterFailure) this.handKeysAfterFailure += 1;
        }
      }
      // Users keyrotate does not handle get no action at all (invariant 5): nothing to plant.
      if (this.random() >= this.options.plantRate || u.keys.length === 0 || !handled(sim.kind))
        continue;
      const hasState = u.tags.some((t) => t.key === this.settings.stateTagKey);
      if (!hasState && u.tags.length >= 50) continue; // IAM's 50 tags: no room to plant
      if (items.some((i) => /^(rotating|rotated|deactivating):/.test(i))) continue;
      const ids = u.keys.map((k) => k.accessKeyId);
      const older = ids[0] as string;
      const other = ids[ids.length - 1] as string;
      const value = [
        `rotating:${older}:2000-01-01`,
        `rotating:${other}:20000101T000000Z`,
        `rotated:${other}:stored`,
        `deactivating:AKIAPLANTED000000000:${START.toISOString().slice(0, 10)}`,
        `warned:${START.toISOString().slice(0, 10)} garbage`,
        "garbage",
        "rotating:",
      ][Math.floor(this.random() * 7)] as string;
      await iam.send(
        new TagUserCommand({
          UserName: u.name,
          Tags: [{ Key: this.settings.stateTagKey, Value: value }],
        }),
      );
      this.planted += 1;
      this.plantedValue.set(u.name, value);
      this.acted.add(u.name);
    }
  }

  get outageDays(): number {
    return this.outage.size;
  }

  private get hand(): AwsClients {
    this.handClients ??= Account.clientsFor(this.sandbox, this.settings, []);
    return this.handClients;
  }
  private handClients: AwsClients | undefined;

  private userNoticesSince(index: number, judged: (to: string) => boolean = () => true): number {
    const admin = this.settings.adminEmail;
    return this.sandbox
      .emails()
      .slice(index)
      .filter((e) => admin === undefined || !e.destinations.to.includes(admin))
      .filter((e) => judged(e.destinations.to[0] ?? "")).length;
  }

  /**
   * Changing calls since `before`. With the run lease on, S3 is judged by what changed under
   * `credential/` (`objectsBefore`, from {@link credentialObjects}): the lease's own put and
   * delete change nothing in the account.
   */
  private mutatingCallsSince(
    before: Readonly<Record<string, number>>,
    objectsBefore: ReadonlySet<string>,
  ): number {
    const after = this.sandbox.calls();
    const lease = this.options.concurrentRuns === true;
    const calls = MUTATING.filter((op) => !(lease && op.startsWith("s3:"))).reduce(
      (n, op) => n + (after[op] ?? 0) - (before[op] ?? 0),
      0,
    );
    if (!lease) return calls;
    const now = this.credentialObjects();
    const changed =
      [...now].filter((k) => !objectsBefore.has(k)).length +
      [...objectsBefore].filter((k) => !now.has(k)).length;
    return calls + changed;
  }

  /** The bucket's secret files (key, time written, size), to see what a run changed there. */
  private credentialObjects(): Set<string> {
    return new Set(
      this.sandbox
        .objects()
        .filter((o) => o.key.startsWith("credential/"))
        .map((o) => `${o.key} ${o.lastModified.getTime()} ${o.body.length}`),
    );
  }

  /** One simulated day: runs (maybe aborted and rerun), then every check. */
  async day(day: number, final: boolean): Promise<{ calls: number; crashed: boolean }> {
    const sb = this.sandbox;
    this.currentDay = day;
    if (!final) {
      // Users act at 08:00: an hour later IAM has long made their writes visible.
      sb.clock.set(new Date(START.getTime() + day * 86_400_000 - 3_600_000));
      await this.betweenRuns();
    }
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
    const failCreates = !final && this.random() < this.options.createFailureRate;
    if (failCreates) this.createFailureDays += 1;
    sb.setFaults(
      final
        ? {}
        : {
            ...this.faults(),
            ...(failCreates
              ? { failOperations: { "iam:CreateAccessKey": { count: 10, status: 500 } } }
              : {}),
          },
    );
    let last: RunReport;
    let didCrash = false;
    const crashAfterNotice = new Set<string>();
    const unsettled = new Set<string>();
    if (!final && this.random() < this.options.crashRate) {
      const k = 1 + Math.floor(this.random() * Math.max(4, this.lastCalls));
      const crash = crashSwitch(k, this.random() < 0.5);
      const crashClients = this.rejectSends(
        Account.clientsFor(sb, this.settings, [crash.middleware]),
      );
      const aborted = await this.run(crashClients);
      crashClients.iam.destroy();
      crashClients.s3.destroy();
      crashClients.ses.destroy();
      last = aborted;
      if (crash.fired()) {
        didCrash = true;
        this.crashes += 1;
        // A notice is recorded after it is sent (a warning's day in the state tag, a pending
        // item cleared, the deleted key gone): a crash in between makes the rerun send it again.
        const live = new Map(sb.users().map((u) => [u.name, u]));
        // Every notice is recorded only after it is sent (a warning's record, the end of a
        // pending Rotated or Deactivated notice) or sent before its change (Deleted): a crash
        // between the send and its record makes the rerun send it again (at-least-once,
        // RELIABILITY.md). A notice whose record the crash did not stop is not excused.
        for (const e of sb.emails().slice(emailsAt)) {
          const name = (e.destinations.to[0] ?? "").replace(/@.*/, "");
          const n = readNotice(e);
          const u = live.get(name);
          if (n !== undefined && u !== undefined && !this.recorded(n, u))
            crashAfterNotice.add(name);
        }
        sb.clock.advanceMs(this.options.rerunAfterMs);
        last = await this.run(this.clients);
      }
    } else if (
      !final &&
      this.options.concurrentRuns &&
      this.random() < this.options.concurrentRate
    ) {
      // Two runs started together (the scheduled Lambda and someone's `keyrotate run`).
      this.concurrentDays += 1;
      this.second ??= this.rejectSends(Account.clientsFor(sb, this.settings, []));
      const [a, b] = await Promise.all([this.run(this.clients), this.run(this.second)]);
      last = a;
      if (b.status === "failed") for (const u of before) unsettled.add(u.name);
      for (const u of b.users)
        if (u.status !== "ok" && u.status !== "planned") unsettled.add(u.userName);
    } else {
      last = await this.run(this.clients);
    }
    if (last.status === "failed") for (const u of before) unsettled.add(u.name);
    for (const u of last.users)
      if (u.status !== "ok" && u.status !== "planned") unsettled.add(u.userName);
    this.lastCalls = Math.max(4, sum(last.apiCalls));

    let rerun = { mutatingCalls: 0, userNotices: 0 };
    if (final || (day % 7 === 3 && last.status === "completed")) {
      // Invariant 6: a second run the same day changes nothing and sends nothing, for every user
      // whose first run settled (a user whose run failed may be finished now: not judged).
      // A user whose run failed after a notice, before recording it, gets it again (at least once).
      const live = new Map(sb.users().map((u) => [u.name, u]));
      for (const e of sb.emails().slice(emailsAt)) {
        const name = (e.destinations.to[0] ?? "").replace(/@.*/, "");
        const n = readNotice(e);
        const u = live.get(name);
        if (unsettled.has(name) && n !== undefined && u !== undefined && !this.recorded(n, u))
          crashAfterNotice.add(name);
      }
      sb.clock.advanceMs(3_600_000);
      const calls = sb.calls();
      const objects = this.credentialObjects();
      const mails = sb.emails().length;
      const again = await this.run(this.clients);
      const judged = (name: string) => final || !unsettled.has(name);
      rerun = {
        mutatingCalls: final
          ? this.mutatingCallsSince(calls, objects)
          : again.users
              .filter((u) => judged(u.userName))
              .reduce(
                (n, u) =>
                  n +
                  u.steps.filter((x) => x.status !== "skipped" && x.status !== "deferred").length,
                0,
              ),
        userNotices: this.userNoticesSince(mails, (to) => judged(to.replace(/@.*/, ""))),
      };
      this.reruns += 1;
      if (!final && (rerun.mutatingCalls > 0 || rerun.userNotices > 0)) {
        const acting = again.users
          .filter((u) => judged(u.userName) && u.steps.some((x) => x.status === "ok"))
          .map((u) => u.userName);
        this.violations.push({
          check: "not-converged",
          day,
          userName: acting.join(",") || "*",
          message: `a second run the same day made ${rerun.mutatingCalls} changes and sent ${rerun.userNotices} user notices to users whose first run had settled`,
        });
      }
    }

    const emailsToday = sb.emails().slice(emailsAt);
    for (const id of announcedKeys(emailsToday)) this.announced.add(id);
    indexNotices(emailsToday, this.notices);
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
      today,
      handMadeKeyIds: this.handMade,
      notices: this.notices,
      beforeStart: this.beforeStart,
    };
    this.needed.push(...noticesNeeded(this.checkSettings, record));
    const s = this.checkSettings;
    const found = [
      ...checkDay(s, record),
      ...checkKeyAges(s, record, {
        today,
        bounded: new Set(
          this.users
            .filter((u) => u.bounded && !this.acted.has(u.scenario.name))
            .map((u) => u.scenario.name),
        ),
        firstSeenAge: this.firstSeenAge,
        slackDays: 1,
        userSlackDays: (name) => this.rejectedFor.get(name) ?? 0,
      }),
      ...(final
        ? [
            ...checkConverged(s, record, rerun, this.plantedUnread()),
            ...checkNoticesSent(
              [...this.needed, ...rotatedNoticesNeeded(s, record)],
              this.notices,
              day,
            ),
          ]
        : []),
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
  private second: AwsClients | undefined;

  async close(): Promise<void> {
    for (const c of [this.handClients, this.second]) {
      c?.iam.destroy();
      c?.s3.destroy();
      c?.ses.destroy();
    }
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
  const full: Options = {
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
          const seen = account.violations.length;
          const { calls, crashed } = await account.day(day, final);
          options.onDay?.({
            profile: account.profile.id,
            day,
            days: full.days,
            calls,
            crashed,
            violations: account.violations.length,
            found: account.violations.slice(seen),
          });
        }
      }),
    );
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
      runs: accounts.reduce((n, a) => n + a.runs, 0),
      calls,
      totalCalls: sum(calls),
      faults: { throttled, errors, resets, total: throttled + errors + resets },
      crashes: accounts.reduce((n, a) => n + a.crashes, 0),
      failedSends: accounts.reduce((n, a) => n + a.failedSends, 0),
      sesOutageDays: accounts.reduce((n, a) => n + a.outageDays, 0),
      createFailureDays: accounts.reduce((n, a) => n + a.createFailureDays, 0),
      plantedMarkers: accounts.reduce((n, a) => n + a.planted, 0),
      handMadeKeys: accounts.reduce((n, a) => n + a.handKeys, 0),
      plantedLeftUnread: accounts.reduce((n, a) => n + a.plantedUnread().size, 0),
      handMadeAfterFailedRotation: accounts.reduce((n, a) => n + a.handKeysAfterFailure, 0),
      concurrentDays: accounts.reduce((n, a) => n + a.concurrentDays, 0),
      usage,
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
