/**
 * One profile's account in the chaos simulation: its sandbox, users, settings and clients, what
 * its users do between runs, and the bookkeeping the day's checks read.
 */
import { CreateAccessKeyCommand, TagUserCommand } from "@aws-sdk/client-iam";
import {
  type AwsClients,
  type LogEntry,
  type RunReport,
  runKeyrotate,
  SECRET_FILE_PREFIX,
  secretFiles,
  secretsManagerFormat,
} from "@keyrotate/aws-adapter";
import { type CalendarDate, decodeSettings, type Settings } from "@keyrotate/core";
import {
  type FaultSettings,
  type Sandbox,
  type SandboxUser,
  startSandbox,
} from "@keyrotate/sandbox";
import {
  type CheckSettings,
  type NeededNotice,
  type NoticeIndex,
  type SeenNotice,
  stateItems,
  type Violation,
} from "@keyrotate/sandbox/verify";
import * as E from "fp-ts/lib/Either.js";
import { type Profile, population, seededRandom } from "../population.js";
import { BUCKET, MUTATING, type Options, SENDER, START } from "./options.js";
import { chaosClients, dice, rejectSends } from "./sdkDoubles.js";

const UNHANDLED = new Set(["no-email", "bad-email", "exempt", "exempt-until", "bad-exempt"]);
const handled = (kind: string): boolean => !UNHANDLED.has(kind);

/** One profile's account: a sandbox, its users, settings and clients. */
export class Account {
  readonly violations: Violation[] = [];
  /** What happened so far, summed into the run's figures (`results.ts`). */
  readonly tally = {
    runs: 0,
    crashes: 0,
    reruns: 0,
    resent: 0,
    failedUserRuns: 0,
    checks: 0,
    failedSends: 0,
    createFailureDays: 0,
    planted: 0,
    handKeys: 0,
    handKeysAfterFailure: 0,
    concurrentDays: 0,
    secretLeaks: 0,
  };
  lastCalls = 20;
  /** Age when first seen, of keys first seen Active (invariant 7 bounds only those). */
  readonly firstSeenAge = new Map<string, number>();
  readonly seenInactive = new Set<string>();
  /** New keys named by a Rotated notice so far, kept as the mail comes in. */
  readonly announced = new Set<string>();
  readonly logs: LogEntry[] = [];
  /** Keys users made by hand, and users who acted on their keys (no longer held to invariant 7). */
  readonly handMade = new Set<string>();
  readonly acted = new Set<string>();
  readonly notices: NoticeIndex = new Map();
  readonly needed: NeededNotice[] = [];
  /** SES's answers: sends rejected per recipient user, today's day and whether SES is down. */
  readonly rejectedFor = new Map<string, number>();
  readonly outage = new Set<number>();
  currentDay = 0;
  /** What the seeded tags say was sent before day 0 (see `DayRecord.beforeStart`). */
  readonly beforeStart = {
    warned: new Map<string, string>(),
    rotated: new Set<string>(),
  };

  constructor(
    readonly profile: Profile,
    readonly sandbox: Sandbox,
    readonly settings: Settings,
    readonly clients: AwsClients,
    readonly users: ReturnType<typeof population>,
    readonly seeded: ReadonlySet<string>,
    readonly random: () => number,
    readonly options: Options,
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
      SECRET_STORE: options.secretStore,
      ...profile.env,
    });
    if (E.isLeft(decoded))
      throw new Error(`bad profile ${profile.id}: ${JSON.stringify(decoded.left)}`);
    const seeded = new Set(sandbox.users().flatMap((u) => u.keys.map((k) => k.accessKeyId)));
    const account = new Account(
      profile,
      sandbox,
      decoded.right,
      chaosClients(sandbox, decoded.right, []),
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

  /**
   * SES's refusals: a `SendEmail` is rejected on outage days, and otherwise for a share of
   * notices decided by day, recipient and subject, so the same notice meets the same answer in a
   * rerun that day, whatever the order of the calls.
   */
  rejectSends(clients: AwsClients): AwsClients {
    return rejectSends(clients, (to, subject) => {
      const day = this.currentDay;
      const down = this.outage.has(day);
      const rate = day >= this.options.days ? 0 : this.options.sendFailureRate;
      if (!down && dice(`${this.options.seed}|${day}|${to}|${subject}`) >= rate) return undefined;
      this.tally.failedSends += 1;
      const user = to.replace(/@.*/, "");
      this.rejectedFor.set(user, (this.rejectedFor.get(user) ?? 0) + 1);
      return down ? "Sending paused for this account (simulated)" : "Email rejected (simulated)";
    });
  }

  get checkSettings(): CheckSettings {
    const s = this.settings;
    return {
      bucket: BUCKET,
      secretFiles,
      secretsManager: s.secretStore === "secretsmanager" ? secretsManagerFormat : undefined,
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

  faults(): FaultSettings {
    const f = this.options.faultRate;
    return {
      throttleRate: f * 0.4,
      errorRate: f * 0.35,
      resetRate: f * 0.25,
      latencyJitterMs: this.options.latencyJitterMs,
      consistencyDelayMs: this.options.consistencyDelayMs,
    };
  }

  today(): CalendarDate {
    return this.sandbox.clock.now().toISOString().slice(0, 10) as CalendarDate;
  }

  async run(clients: AwsClients): Promise<RunReport> {
    this.tally.runs += 1;
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
    this.tally.failedUserRuns += report.counts.failed;
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
  readonly plantedValue = new Map<string, string>();

  /** Whether a user can hold the secret of `keyId` (never an undelivered key keyrotate made). */
  knows(keyId: string): boolean {
    return (
      (this.seeded.has(keyId) && !this.undeliveredSeeds.has(keyId)) ||
      this.handMade.has(keyId) ||
      this.announced.has(keyId)
    );
  }
  /** The new keys of the seeded crashed rotations: made by keyrotate, never delivered. */
  readonly undeliveredSeeds = new Set<string>();

  /** Whether the state after a crash shows that `n` went out (so a rerun must not resend it). */
  recorded(n: SeenNotice, u: SandboxUser): boolean {
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
  useKeys(): void {
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
  async betweenRuns(): Promise<void> {
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
          this.tally.handKeys += 1;
          if (afterFailure) this.tally.handKeysAfterFailure += 1;
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
      this.tally.planted += 1;
      this.plantedValue.set(u.name, value);
      this.acted.add(u.name);
    }
  }

  get outageDays(): number {
    return this.outage.size;
  }

  get hand(): AwsClients {
    this.handClients ??= chaosClients(this.sandbox, this.settings, []);
    return this.handClients;
  }
  handClients: AwsClients | undefined;

  userNoticesSince(index: number, judged: (to: string) => boolean = () => true): number {
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
  mutatingCallsSince(
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
  credentialObjects(): Set<string> {
    return new Set(
      this.sandbox
        .objects()
        .filter((o) => o.key.startsWith(SECRET_FILE_PREFIX))
        .map((o) => `${o.key} ${o.lastModified.getTime()} ${o.body.length}`),
    );
  }

  second: AwsClients | undefined;

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
