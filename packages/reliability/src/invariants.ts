/**
 * The checks run on the sandbox's state after every simulated day: POLICY.md's promises stated
 * on what AWS holds (keys, tags, stored objects, sent mail, the key trail), not on keyrotate's
 * own view of it. Each check returns violations; none throws.
 */
import type { KeyEvent, SandboxUser, SentEmail, StoredObject } from "@keyrotate/sandbox";

/** One broken promise, for the chaos summary. */
export interface Violation {
  readonly check: CheckName;
  readonly day: number;
  readonly userName: string;
  readonly message: string;
}

/** The names of the checks. */
export type CheckName =
  | "secret-lost"
  | "active-key-deleted"
  | "unseen-key-changed"
  | "locked-out"
  | "notice-twice"
  | "key-age"
  | "not-converged";

/** The tag and bucket names the checks read. */
export interface CheckSettings {
  readonly bucket: string;
  readonly lastCheckDateTagKey: string;
  readonly lastCheckOldKeyTagKey: string;
  readonly stateTagKey: string;
  readonly overdueDays: number;
  readonly deactivateDays: number;
  readonly deletionDays: number;
  /** Invariant 13: the key-age bounds move by these (0 when absent: the original's timing). */
  readonly minNoticeDays?: number;
  readonly inUseDelayDays?: number;
  /** Notices to this address (the admin summary) are not user notices. */
  readonly adminEmail?: string;
}

/** What the checks see of the account at the end of a day. */
export interface AccountView {
  readonly users: ReadonlyArray<SandboxUser>;
  readonly objects: ReadonlyArray<StoredObject>;
  /** Every email sent so far. */
  readonly emails: ReadonlyArray<SentEmail>;
  /** The secret of a live key. */
  readonly secretOf: (accessKeyId: string) => string | undefined;
  /**
   * The ids of the new keys that Rotated notices named so far, when the caller keeps them (a long
   * simulation does, to avoid reading every email every day); else read from `emails`.
   */
  readonly announced?: ReadonlySet<string>;
}

const NEW_KEY_IN_SUBJECT = /new key (AKIA[A-Z0-9]{16,124})\b/;

/** The ids of the new keys named by Rotated notices among `emails`. */
export const announcedKeys = (emails: ReadonlyArray<SentEmail>): Set<string> => {
  const ids = new Set<string>();
  for (const e of emails) {
    const id = NEW_KEY_IN_SUBJECT.exec(e.subject ?? "")?.[1];
    if (id !== undefined) ids.add(id);
  }
  return ids;
};

/** One simulated day, as the checks need it. */
export interface DayRecord {
  readonly day: number;
  /** The users at the start of the day, before any run. */
  readonly before: ReadonlyArray<SandboxUser>;
  readonly after: AccountView;
  /** The emails sent today. */
  readonly emailsToday: ReadonlyArray<SentEmail>;
  /** The key changes made today. */
  readonly keyEventsToday: ReadonlyArray<KeyEvent>;
  /** Keys that existed before keyrotate ever ran (seeded): they were delivered by other means. */
  readonly seededKeyIds: ReadonlySet<string>;
  /**
   * Users whose last run today did not complete for them (the run crashed or their plan failed
   * after the SDK's retries): an in-flight rotation with its marker is allowed to wait for the
   * next run.
   */
  readonly unsettled: ReadonlySet<string>;
  /**
   * Users for whom a notice went out in a run that then crashed while their in-flight marker was
   * still set: the next run re-sends it (at-least-once across a crash, see RELIABILITY.md).
   */
  readonly crashAfterNotice: ReadonlySet<string>;
}

const SECRET_HEADER = "UserName,AccessKeyId,SecretAccessKey";

const tagsOf = (u: SandboxUser): Map<string, string> =>
  new Map(u.tags.map((t) => [t.key.toLowerCase(), t.value]));

/**
 * Why a key keyrotate made is not (yet) fully delivered, or undefined when it is: its stored
 * object holds its real secret, a Rotated notice names it, and while the key it replaced is still
 * there the tracking tags name that key.
 */
export const undelivered = (
  s: CheckSettings,
  account: AccountView,
  user: SandboxUser,
  key: SandboxUser["keys"][number],
): string | undefined => {
  const objectKey = `credential/${user.name}/${user.name}_${key.accessKeyId}.csv`;
  const object = account.objects.find((o) => o.bucket === s.bucket && o.key === objectKey);
  const secret = account.secretOf(key.accessKeyId);
  if (object === undefined) return "no stored secret";
  if (
    secret === undefined ||
    object.body.toString("utf8") !== `${SECRET_HEADER}\n${user.name},${key.accessKeyId},${secret}\n`
  ) {
    return "the stored object does not hold the key's secret";
  }
  const announced = account.announced ?? announcedKeys(account.emails);
  if (!announced.has(key.accessKeyId)) {
    return "no Rotated notice names it";
  }
  const older = user.keys.find(
    (k) => k.accessKeyId !== key.accessKeyId && k.createDate.getTime() < key.createDate.getTime(),
  );
  if (older !== undefined) {
    const tags = tagsOf(user);
    if (
      tags.get(s.lastCheckOldKeyTagKey.toLowerCase()) !== older.accessKeyId ||
      tags.get(s.lastCheckDateTagKey.toLowerCase()) === undefined
    ) {
      return `the tracking tags do not name the key it replaces (${older.accessKeyId})`;
    }
  }
  return undefined;
};

/**
 * No secret lost: every key keyrotate made has its secret stored, its tracking tags and its
 * Rotated notice, or no longer exists. A user whose run did not complete may hold an undelivered
 * key only while the `rotating:` marker makes the next run discard or finish it.
 */
export const checkSecrets = (s: CheckSettings, d: DayRecord): Violation[] => {
  const out: Violation[] = [];
  const after: AccountView = {
    ...d.after,
    announced: d.after.announced ?? announcedKeys(d.after.emails),
  };
  for (const user of d.after.users) {
    for (const key of user.keys) {
      if (d.seededKeyIds.has(key.accessKeyId)) continue;
      const why = undelivered(s, after, user, key);
      if (why === undefined) continue;
      // A rotation in flight (`rotating:`) or committed with its notice not yet sent
      // (`rotated:`): the next run discards the key or sends the notice.
      const marker = tagsOf(user).get(s.stateTagKey.toLowerCase()) ?? "";
      const pending = marker.split(" ").some((i) => /^(rotating|rotated):/.test(i));
      if (d.unsettled.has(user.name) && pending) continue;
      out.push({
        check: "secret-lost",
        day: d.day,
        userName: user.name,
        message: `key ${key.accessKeyId} (${key.status}) exists but ${why}`,
      });
    }
  }
  return out;
};

/** No Active key deleted: every DeleteAccessKey of the day hit an Inactive key. */
export const checkDeletions = (d: DayRecord): Violation[] =>
  d.keyEventsToday
    .filter((e) => e.operation === "DeleteAccessKey" && e.statusBefore !== "Inactive")
    .map((e) => ({
      check: "active-key-deleted",
      day: d.day,
      userName: e.userName,
      message: `DeleteAccessKey ${e.accessKeyId} while it was ${e.statusBefore}`,
    }));

/**
 * Never on a key it cannot see: a key was changed while ListAccessKeys could not list it only when
 * the same day's CreateAccessKey made it (the run knew it from that answer: compensation).
 */
export const checkUnseenKeys = (d: DayRecord): Violation[] => {
  const createdToday = new Set(
    d.keyEventsToday.filter((e) => e.operation === "CreateAccessKey").map((e) => e.accessKeyId),
  );
  return d.keyEventsToday
    .filter(
      (e) =>
        e.operation !== "CreateAccessKey" && !e.visibleBefore && !createdToday.has(e.accessKeyId),
    )
    .map((e) => ({
      check: "unseen-key-changed",
      day: d.day,
      userName: e.userName,
      message: `${e.operation} ${e.accessKeyId} while no read call could list it`,
    }));
};

/**
 * No user locked out: a user who had an Active key at the start of the day still has one, unless
 * keyrotate deactivated an unused key that day (POLICY.md's UNUSED_DAYS exception).
 */
export const checkLockout = (d: DayRecord): Violation[] => {
  const out: Violation[] = [];
  const after = new Map(d.after.users.map((u) => [u.name, u]));
  for (const user of d.before) {
    if (!user.keys.some((k) => k.status === "Active")) continue;
    const now = after.get(user.name);
    if (now?.keys.some((k) => k.status === "Active")) continue;
    const unusedNotice = d.emailsToday.some(
      (e) =>
        /^Your unused AWS access key/.test(e.subject ?? "") &&
        user.keys.some((k) => (e.subject ?? "").includes(k.accessKeyId)),
    );
    if (unusedNotice) continue;
    out.push({
      check: "locked-out",
      day: d.day,
      userName: user.name,
      message: `had an Active key this morning and has none tonight (${(now?.keys ?? []).map((k) => `${k.accessKeyId}:${k.status}`).join(", ") || "no keys"})`,
    });
  }
  return out;
};

/**
 * No notice twice on a day: no user gets the same email (recipient and subject) twice in one day,
 * except the re-send of a notice whose run crashed before clearing its marker.
 */
export const checkNoticesOnce = (s: CheckSettings, d: DayRecord): Violation[] => {
  const seen = new Map<string, number>();
  for (const e of d.emailsToday) {
    const to = e.destinations.to.join(",");
    if (s.adminEmail !== undefined && to === s.adminEmail) continue;
    const id = `${to}\u0000${e.subject ?? ""}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const out: Violation[] = [];
  for (const [id, n] of seen) {
    if (n < 2) continue;
    const [to = "", subject = ""] = id.split("\u0000");
    const userName = to.replace(/@.*/, "");
    if (d.crashAfterNotice.has(userName)) continue;
    out.push({
      check: "notice-twice",
      day: d.day,
      userName,
      message: `"${subject}" sent ${n} times today`,
    });
  }
  return out;
};

/**
 * Key ages within invariant 7's bounds for users who never act on their keys: Active keys
 * deactivated by age `OVERDUE + DEACTIVATE + 2` and every key deleted by
 * `OVERDUE + DEACTIVATE + DELETION + 3`, plus the lateness the key already had when first seen
 * (as the core's property allows) and `slackDays` (one day for a crashed day).
 */
export const checkKeyAges = (
  s: CheckSettings,
  d: DayRecord,
  options: {
    readonly today: Date;
    readonly bounded: ReadonlySet<string>;
    /** The age of each key when the simulation first saw it Active; other keys are not bounded. */
    readonly firstSeenAge: ReadonlyMap<string, number>;
    readonly slackDays: number;
  },
): Violation[] => {
  const out: Violation[] = [];
  const dayMs = 86_400_000;
  for (const user of d.after.users) {
    if (!options.bounded.has(user.name)) continue;
    for (const key of user.keys) {
      const firstSeen = options.firstSeenAge.get(key.accessKeyId);
      if (firstSeen === undefined) continue;
      const age = Math.floor(
        (Date.UTC(
          options.today.getUTCFullYear(),
          options.today.getUTCMonth(),
          options.today.getUTCDate(),
        ) -
          Date.UTC(
            key.createDate.getUTCFullYear(),
            key.createDate.getUTCMonth(),
            key.createDate.getUTCDate(),
          )) /
          dayMs,
      );
      const late =
        Math.max(0, firstSeen - (s.overdueDays + 1)) +
        (s.minNoticeDays ?? 0) +
        (s.inUseDelayDays ?? 0);
      const deactivateBy = s.overdueDays + s.deactivateDays + 2 + late + options.slackDays;
      const deleteBy =
        s.overdueDays + s.deactivateDays + s.deletionDays + 3 + late + options.slackDays;
      if (key.status === "Active" && age > deactivateBy) {
        out.push({
          check: "key-age",
          day: d.day,
          userName: user.name,
          message: `key ${key.accessKeyId} is Active at age ${age} (bound ${deactivateBy})`,
        });
      } else if (age > deleteBy) {
        out.push({
          check: "key-age",
          day: d.day,
          userName: user.name,
          message: `key ${key.accessKeyId} still exists at age ${age} (bound ${deleteBy})`,
        });
      }
    }
  }
  return out;
};

/**
 * Full convergence: no marker of a step in flight, every key keyrotate made delivered, and a run
 * on the same day that changes nothing and sends no user notice.
 */
export const checkConverged = (
  s: CheckSettings,
  d: DayRecord,
  rerun: { readonly mutatingCalls: number; readonly userNotices: number },
): Violation[] => {
  const out: Violation[] = [];
  for (const user of d.after.users) {
    const marker = tagsOf(user).get(s.stateTagKey.toLowerCase()) ?? "";
    if (marker.startsWith("rotating:") || marker.startsWith("deactivating:")) {
      out.push({
        check: "not-converged",
        day: d.day,
        userName: user.name,
        message: `marker ${marker} is still set`,
      });
    }
  }
  const strict: DayRecord = { ...d, unsettled: new Set() };
  out.push(...checkSecrets(s, strict).map((v) => ({ ...v, check: "not-converged" as const })));
  if (rerun.mutatingCalls > 0 || rerun.userNotices > 0) {
    out.push({
      check: "not-converged",
      day: d.day,
      userName: "*",
      message: `a second run the same day made ${rerun.mutatingCalls} changing calls and sent ${rerun.userNotices} user notices`,
    });
  }
  return out;
};

/** Every per-day check but the key ages (which need the simulation's bookkeeping). */
export const checkDay = (s: CheckSettings, d: DayRecord): Violation[] => [
  ...checkSecrets(s, d),
  ...checkDeletions(d),
  ...checkUnseenKeys(d),
  ...checkLockout(d),
  ...checkNoticesOnce(s, d),
];
