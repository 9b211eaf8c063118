/**
 * The checks run on the sandbox's state after every simulated day: POLICY.md's promises stated
 * on what AWS holds (keys, tags, stored objects, sent mail, the key trail), not on keyrotate's
 * own view of it. Each check returns violations; none throws.
 */
import type { SandboxUser } from "../account.js";
import type { KeyEvent } from "../iam/store.js";
import type { StoredObject } from "../s3/objects.js";
import type { SandboxSecret } from "../secrets-manager.js";
import type { SentEmail } from "../ses.js";
import {
  announcedKeys,
  indexNotices,
  type NoticeIndex,
  type NoticeKind,
  readNotice,
  type SeenNotice,
} from "./notices.js";

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
  | "not-converged"
  | "no-notice-before-rotation"
  | "deactivated-before-notice"
  | "rotated-without-file"
  | "in-use-deactivated"
  | "notice-missing"
  | "removed-not-own";

/** The tag and bucket names the checks read. */
/**
 * keyrotate's secret-file format, as the adapter's `secretFile.ts` defines it (`secretFiles` of
 * `@keyrotate/aws-adapter` fits). Passed in: the sandbox depends on nothing of keyrotate's.
 */
export interface SecretFiles {
  /** The object key of a user's key's secret file. */
  readonly objectKey: (userName: string, accessKeyId: string) => string;
  /** The `s3://` address a notice names for it. */
  readonly url: (bucket: string, userName: string, accessKeyId: string) => string;
  /** A stored file's fields, or undefined when it is not one keyrotate writes. */
  readonly read: (
    body: string,
  ) =>
    | { readonly userName: string; readonly accessKeyId: string; readonly secretAccessKey: string }
    | undefined;
}

/**
 * keyrotate's Secrets Manager store (`SECRET_STORE=secretsmanager`), as the adapter's
 * `secretsManagerStore.ts` defines it (`secretsManagerFormat` of `@keyrotate/aws-adapter` fits).
 */
export interface SecretsManagerFormat {
  /** The name of a user's secret. */
  readonly secretName: (userName: string) => string;
  /** The version id that holds a key's value. */
  readonly versionId: (accessKeyId: string) => string;
  /** A value's fields, or undefined when it is not one keyrotate writes. */
  readonly read: (
    value: string,
  ) =>
    | { readonly userName: string; readonly accessKeyId: string; readonly secretAccessKey: string }
    | undefined;
}

export interface CheckSettings {
  readonly bucket: string;
  readonly secretFiles: SecretFiles;
  /**
   * Set when secrets go to Secrets Manager: then a key's secret is looked for in its user's
   * secret (`AccountObservation.secrets`), and a Rotated notice must name that secret.
   */
  readonly secretsManager?: SecretsManagerFormat | undefined;
  readonly lastCheckDateTagKey: string;
  readonly lastCheckOldKeyTagKey: string;
  readonly stateTagKey: string;
  readonly overdueDays: number;
  readonly deactivateDays: number;
  readonly deletionDays: number;
  /** MIN_NOTICE_DAYS (invariant 11). */
  readonly minNoticeDays: number;
  /** IN_USE_DELAY_DAYS (invariant 13). */
  readonly inUseDelayDays: number;
  /** Notices to this address (the admin summary) are not user notices. */
  readonly adminEmail?: string | undefined;
}

/**
 * The check settings of keyrotate's decoded settings (`@keyrotate/core`'s `Settings` fits): the
 * same fields, the bucket under its setting's name.
 */
export const checkSettingsOf = (
  settings: Omit<CheckSettings, "bucket" | "secretFiles" | "secretsManager"> & {
    readonly s3CsvBucket: string;
    readonly secretStore?: string;
  },
  secretFiles: SecretFiles,
  secretsManager?: SecretsManagerFormat,
): CheckSettings => ({
  ...settings,
  bucket: settings.s3CsvBucket,
  secretFiles,
  secretsManager: settings.secretStore === "secretsmanager" ? secretsManager : undefined,
});

/** What the checks see of the account at the end of a day. */
export interface AccountObservation {
  readonly users: ReadonlyArray<SandboxUser>;
  readonly objects: ReadonlyArray<StoredObject>;
  /** The secrets with their values (`sandbox.secrets({ values: true })`): the Secrets Manager store. */
  readonly secrets?: ReadonlyArray<SandboxSecret>;
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

/** The items of keyrotate's state tag (`warned:…`, `rotating:…`, …), or of whatever it holds. */
export const stateItems = (value: string | undefined): string[] =>
  (value ?? "").split(" ").filter((i) => i !== "");

const IN_FLIGHT = ["rotating:", "rotated:", "deactivating:"];
const KNOWN_ITEM = /^(warned|rotating|rotated|in-use|deactivating):/;

/** One simulated day, as the checks need it. */
export interface DayRecord {
  readonly day: number;
  /** The users at the start of the day, before any run. */
  readonly before: ReadonlyArray<SandboxUser>;
  readonly after: AccountObservation;
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
   * Users for whom a notice went out in a run that then crashed or failed before recording it (a warning's
   * day, a pending item cleared, the deleted key gone): the next run re-sends it (at-least-once
   * across a crash, see RELIABILITY.md).
   */
  readonly crashAfterNotice: ReadonlySet<string>;
  /** The sandbox's time of the day's first run. */
  readonly today: Date;
  /** Keys users made by hand (not keyrotate): recovery must never remove them. */
  readonly handMadeKeyIds: ReadonlySet<string>;
  /**
   * Every user notice up to the end of the day, when the caller keeps the index; else read from
   * `after.emails` and `emailsToday`.
   */
  readonly notices?: NoticeIndex;
  /**
   * Notices sent before the simulation began, as the seeded tags tell them: the day of the
   * warning (`warned:` in the state tag) of each key, and the old keys already rotated (`K` of the
   * seeded tracking tags), whose Rotated notice went out before day 0.
   */
  readonly beforeStart?: {
    readonly warned: ReadonlyMap<string, string>;
    readonly rotated: ReadonlySet<string>;
  };
}

const tagsOf = (u: SandboxUser): Map<string, string> =>
  new Map(u.tags.map((t) => [t.key.toLowerCase(), t.value]));

/**
 * Why a key keyrotate made is not (yet) fully delivered, or undefined when it is: its stored
 * object holds its real secret, a Rotated notice names it, and while the key it replaced is still
 * there the tracking tags name that key.
 */
export const undelivered = (
  s: CheckSettings,
  account: AccountObservation,
  user: SandboxUser,
  key: SandboxUser["keys"][number],
): string | undefined => {
  const secret = account.secretOf(key.accessKeyId);
  const found = storedSecretOf(s, account, user, key);
  if (typeof found === "string") return found;
  const stored = found.stored;
  if (
    secret === undefined ||
    stored?.userName !== user.name ||
    stored.accessKeyId !== key.accessKeyId ||
    stored.secretAccessKey !== secret
  ) {
    return `the stored ${s.secretsManager === undefined ? "object" : "version"} does not hold the key's secret`;
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
 * Where a key's secret is stored: the S3 file, or (Secrets Manager) its version of the user's
 * secret, which must carry a staging label, and `AWSCURRENT` when it is the user's newest key.
 * A string says why it is not there.
 */
const storedSecretOf = (
  s: CheckSettings,
  account: AccountObservation,
  user: SandboxUser,
  key: SandboxUser["keys"][number],
): string | { stored: ReturnType<SecretFiles["read"]> } => {
  const sm = s.secretsManager;
  if (sm === undefined) {
    const objectKey = s.secretFiles.objectKey(user.name, key.accessKeyId);
    const object = account.objects.find((o) => o.bucket === s.bucket && o.key === objectKey);
    if (object === undefined) return "no stored secret";
    return { stored: s.secretFiles.read(object.body.toString("utf8")) };
  }
  const name = sm.secretName(user.name);
  const secret = (account.secrets ?? []).find(
    (x) => x.name === name && x.deletedDate === undefined,
  );
  const version = secret?.versions.find((v) => v.versionId === sm.versionId(key.accessKeyId));
  if (version === undefined || version.stages.length === 0)
    return `no stored secret (no labelled version in ${name})`;
  const newest = user.keys.every((k) => k.createDate.getTime() <= key.createDate.getTime());
  if (newest && key.status === "Active" && !version.stages.includes("AWSCURRENT"))
    return `its version of ${name} is not AWSCURRENT`;
  return { stored: sm.read(version.secretString ?? "") };
};

/**
 * No secret lost: every key keyrotate made has its secret stored, its tracking tags and its
 * Rotated notice, or no longer exists. A user whose run did not complete may hold an undelivered
 * key only while the `rotating:` marker makes the next run discard or finish it.
 */
export const checkSecrets = (s: CheckSettings, d: DayRecord): Violation[] => {
  const out: Violation[] = [];
  const after: AccountObservation = {
    ...d.after,
    announced: d.after.announced ?? announcedKeys(d.after.emails),
  };
  for (const user of d.after.users) {
    for (const key of user.keys) {
      if (d.seededKeyIds.has(key.accessKeyId) || d.handMadeKeyIds.has(key.accessKeyId)) continue;
      const why = undelivered(s, after, user, key);
      if (why === undefined) continue;
      const items = stateItems(tagsOf(user).get(s.stateTagKey.toLowerCase()));
      // A rotation in flight (`rotating:`) or committed with its notice not yet sent (`rotated:`):
      // the next run discards the key or sends the notice.
      if (d.unsettled.has(user.name) && items.some((i) => /^(rotating|rotated):/.test(i))) continue;
      // A Rotated notice that SES refused waits in the state tag for the next run (invariant 14).
      if (
        why === "no Rotated notice names it" &&
        items.includes(`rotated:${key.accessKeyId}:stored`)
      )
        continue;
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
export const checkDeletions = (d: Pick<DayRecord, "day" | "keyEventsToday">): Violation[] =>
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
export const checkLockout = (
  s: CheckSettings,
  d: Pick<DayRecord, "day" | "before"> & { readonly after: Pick<AccountObservation, "users"> },
): Violation[] => {
  const out: Violation[] = [];
  const after = new Map(d.after.users.map((u) => [u.name, u]));
  for (const user of d.before) {
    if (!user.keys.some((k) => k.status === "Active")) continue;
    const now = after.get(user.name);
    if (now?.keys.some((k) => k.status === "Active")) continue;
    // The UNUSED_DAYS rule tracks the key it deactivates: K names a key Active this morning.
    const k =
      now === undefined ? undefined : tagsOf(now).get(s.lastCheckOldKeyTagKey.toLowerCase());
    if (user.keys.some((x) => x.accessKeyId === k && x.status === "Active")) continue;
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
 * `OVERDUE + DEACTIVATE + DELETION + 3`, both moved by `MIN_NOTICE + IN_USE_DELAY` (invariant
 * 13), plus the lateness the key already had when first seen
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
    /** Days more for a user: one per notice SES refused them (each delays its step a day). */
    readonly userSlackDays?: (userName: string) => number;
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
      const late = Math.max(0, firstSeen - (s.overdueDays + 1));
      // Invariant 13: invariant 7's bounds moved by the minimum notice and the in-use delay.
      const moved =
        s.minNoticeDays +
        s.inUseDelayDays +
        late +
        options.slackDays +
        (options.userSlackDays?.(user.name) ?? 0);
      const deactivateBy = s.overdueDays + s.deactivateDays + 2 + moved;
      const deleteBy = s.overdueDays + s.deactivateDays + s.deletionDays + 3 + moved;
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
  /**
   * Values planted in the state tag, by user, still as planted: keyrotate reads a user's tags
   * only when the credential report selects the user (POLICY.md, difference 11), so a value
   * planted on a user with nothing due stays until then. Not judged.
   */
  plantedUnread: ReadonlyMap<string, string> = new Map(),
): Violation[] => {
  const out: Violation[] = [];
  for (const user of d.after.users) {
    const marker = tagsOf(user).get(s.stateTagKey.toLowerCase());
    if (marker !== undefined && plantedUnread.get(user.name) === marker) continue;
    const left = stateItems(marker).filter(
      (i) => IN_FLIGHT.some((p) => i.startsWith(p)) || !KNOWN_ITEM.test(i),
    );
    if (left.length > 0) {
      out.push({
        check: "not-converged",
        day: d.day,
        userName: user.name,
        message: `marker ${left.join(" ")} is still set (state tag "${marker}")`,
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

const DAY_MS = 86_400_000;
const dateOf = (t: Date | number): string => new Date(t).toISOString().slice(0, 10);
const daysFrom = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / DAY_MS;

/** The notice index of a day: the caller's, or one read from the mail it holds. */
const noticesOf = (d: DayRecord): NoticeIndex => {
  if (d.notices !== undefined) return d.notices;
  const seen = new Set<string>();
  const all = [...d.after.emails, ...d.emailsToday].filter((e) => {
    const fresh = !seen.has(e.id);
    seen.add(e.id);
    return fresh;
  });
  return indexNotices(all);
};

const noticesAbout = (
  index: NoticeIndex,
  keyId: string,
  kinds: ReadonlyArray<NoticeKind>,
): SeenNotice[] =>
  (index.get(keyId) ?? []).filter(
    (n) =>
      kinds.includes(n.kind) &&
      (n.kind === "TwoActiveKeys" ? n.keyIds.includes(keyId) : n.keyId === keyId),
  );

/** The new keys Rotated notices named up to the end of the day. */
const announcedIn = (index: NoticeIndex, keyId: string): boolean =>
  (index.get(keyId) ?? []).some((n) => n.kind === "Rotated" && n.newKeyId === keyId);

/** What a key change of the day was, judged from the user's tags that morning and that night. */
type Removal =
  /** `K` of the tracking tags this morning: a transition of POLICY.md's tables. */
  | "tracked"
  /** An Active key this morning that the tracking tags name tonight: the UNUSED_DAYS rule. */
  | "unused"
  /** Anything else: recovery of keyrotate's own work, a rollback, or INACTIVE_BLOCKER=delete. */
  | "untracked";

const removalOf = (s: CheckSettings, d: DayRecord, e: KeyEvent): Removal => {
  const morning = d.before.find((u) => u.name === e.userName);
  const night = d.after.users.find((u) => u.name === e.userName);
  const k = s.lastCheckOldKeyTagKey.toLowerCase();
  if (morning !== undefined && tagsOf(morning).get(k) === e.accessKeyId) {
    const items = stateItems(tagsOf(morning).get(s.stateTagKey.toLowerCase()));
    return items.some(
      (i) => i.startsWith(`deactivating:${e.accessKeyId}:`) && i.endsWith(":unused"),
    )
      ? "unused"
      : "tracked";
  }
  const wasActive = morning?.keys.some(
    (x) => x.accessKeyId === e.accessKeyId && x.status === "Active",
  );
  if (wasActive === true && night !== undefined && tagsOf(night).get(k) === e.accessKeyId)
    return "unused";
  return "untracked";
};

const isRemoval = (e: KeyEvent): boolean =>
  e.operation === "DeleteAccessKey" ||
  (e.operation === "UpdateAccessKey" && e.statusAfter === "Inactive");

/**
 * Invariant 11: a key is rotated (a CreateAccessKey by keyrotate beside it) or retired by
 * `TWO_ACTIVE_KEYS=enforce` (a Rotated notice naming an existing key) only when a Warning or an
 * "Action required" notice naming it was sent at least `MIN_NOTICE_DAYS` days before.
 */
export const checkNoticeBeforeRotation = (s: CheckSettings, d: DayRecord): Violation[] => {
  const index = noticesOf(d);
  const today = dateOf(d.today);
  const out: Violation[] = [];
  const warnedEnough = (keyId: string, by: string): boolean => {
    const seeded = d.beforeStart?.warned.get(keyId);
    if (seeded !== undefined && daysFrom(seeded, by) >= s.minNoticeDays) return true;
    return noticesAbout(index, keyId, ["Warning", "TwoActiveKeys"]).some(
      (n) => daysFrom(n.date, by) >= s.minNoticeDays,
    );
  };
  const createdToday = new Set(
    d.keyEventsToday.filter((e) => e.operation === "CreateAccessKey").map((e) => e.accessKeyId),
  );
  const judged = new Set<string>();
  for (const e of d.keyEventsToday) {
    if (e.operation !== "CreateAccessKey" || d.handMadeKeyIds.has(e.accessKeyId)) continue;
    const morning = d.before.find((u) => u.name === e.userName);
    const old = morning?.keys
      .filter((k) => k.status === "Active" && !createdToday.has(k.accessKeyId))
      .sort((a, b) => a.createDate.getTime() - b.createDate.getTime())[0];
    if (old === undefined || judged.has(old.accessKeyId)) continue;
    judged.add(old.accessKeyId);
    if (warnedEnough(old.accessKeyId, today)) continue;
    out.push({
      check: "no-notice-before-rotation",
      day: d.day,
      userName: e.userName,
      message: `key ${old.accessKeyId} rotated (new key ${e.accessKeyId}) without a notice naming it ${s.minNoticeDays} or more days before`,
    });
  }
  for (const e of d.emailsToday) {
    const n = readNotice(e);
    if (n?.kind !== "Rotated" || n.secretFile !== undefined || judged.has(n.keyId)) continue;
    judged.add(n.keyId);
    if (warnedEnough(n.keyId, n.date)) continue;
    out.push({
      check: "no-notice-before-rotation",
      day: d.day,
      userName: n.to.replace(/@.*/, ""),
      message: `key ${n.keyId} retired (Rotated notice, other key ${n.newKeyId}) without a notice naming it ${s.minNoticeDays} or more days before`,
    });
  }
  return out;
};

/**
 * Invariant 12: the old key `K` is never deactivated before a Rotated notice naming it was sent,
 * and every Rotated notice that announces a key keyrotate created names that key's secret file.
 */
export const checkRotatedNotices = (s: CheckSettings, d: DayRecord): Violation[] => {
  const index = noticesOf(d);
  const out: Violation[] = [];
  for (const e of d.keyEventsToday) {
    if (e.operation !== "UpdateAccessKey" || e.statusAfter !== "Inactive") continue;
    if (removalOf(s, d, e) !== "tracked" || d.beforeStart?.rotated.has(e.accessKeyId)) continue;
    const told = noticesAbout(index, e.accessKeyId, ["Rotated"]).some((n) => n.time <= e.time);
    if (told) continue;
    out.push({
      check: "deactivated-before-notice",
      day: d.day,
      userName: e.userName,
      message: `old key ${e.accessKeyId} deactivated before any Rotated notice named it`,
    });
  }
  for (const e of d.emailsToday) {
    const n = readNotice(e);
    if (n?.kind !== "Rotated") continue;
    const user = n.to.replace(/@.*/, "");
    const newKeyId = n.newKeyId ?? "";
    const existing = d.seededKeyIds.has(newKeyId) || d.handMadeKeyIds.has(newKeyId);
    const file =
      s.secretsManager === undefined
        ? s.secretFiles.url(s.bucket, user, newKeyId)
        : s.secretsManager.secretName(user);
    if (n.secretFile === file || (existing && n.secretFile === undefined)) continue;
    out.push({
      check: "rotated-without-file",
      day: d.day,
      userName: user,
      message: `Rotated notice announcing ${newKeyId} names ${n.secretFile ?? "no secret file"}, not ${file}`,
    });
  }
  return out;
};

/**
 * Invariant 13: an old key used on or after the day before (as it was this morning, before the
 * run) is deactivated only at its hard deadline, `DEACTIVATE_DAYS + IN_USE_DELAY_DAYS` days after
 * its first Rotated notice.
 */
export const checkInUseDeactivation = (s: CheckSettings, d: DayRecord): Violation[] => {
  const index = noticesOf(d);
  const today = dateOf(d.today);
  const yesterday = dateOf(d.today.getTime() - DAY_MS);
  const out: Violation[] = [];
  for (const e of d.keyEventsToday) {
    if (e.operation !== "UpdateAccessKey" || e.statusAfter !== "Inactive") continue;
    if (removalOf(s, d, e) !== "tracked") continue;
    const key = d.before
      .find((u) => u.name === e.userName)
      ?.keys.find((k) => k.accessKeyId === e.accessKeyId);
    const used = key?.lastUsed === undefined ? undefined : dateOf(key.lastUsed.date);
    if (used === undefined || used < yesterday) continue;
    const first = noticesAbout(index, e.accessKeyId, ["Rotated"])
      .map((n) => n.date)
      .sort()[0];
    if (first === undefined) continue; // rotated before day 0, or invariant 12's violation
    const deadline = s.deactivateDays + s.inUseDelayDays;
    if (daysFrom(first, today) > deadline) continue;
    out.push({
      check: "in-use-deactivated",
      day: d.day,
      userName: e.userName,
      message: `old key ${e.accessKeyId}, last used ${used}, deactivated ${daysFrom(first, today)} days after its Rotated notice of ${first} (hard deadline: more than ${deadline})`,
    });
  }
  return out;
};

/** A notice a transition needs (invariant 14), checked once the account has converged. */
export interface NeededNotice {
  readonly day: number;
  readonly userName: string;
  readonly keyId: string;
  readonly kinds: ReadonlyArray<NoticeKind>;
  readonly why: string;
}

/**
 * The notices the day's transitions need: a Deactivated notice for every deactivation of `K` or
 * by the UNUSED_DAYS rule, a Deleted notice for every deletion of `K`.
 */
export const noticesNeeded = (s: CheckSettings, d: DayRecord): NeededNotice[] =>
  d.keyEventsToday.filter(isRemoval).flatMap((e): NeededNotice[] => {
    const removal = removalOf(s, d, e);
    if (removal === "untracked") return [];
    const deleted = e.operation === "DeleteAccessKey";
    return [
      {
        day: d.day,
        userName: e.userName,
        keyId: e.accessKeyId,
        kinds: deleted ? ["Deleted"] : ["Deactivated", "DeactivatedUnused"],
        why: deleted ? "deleted" : "deactivated",
      },
    ];
  });

/**
 * The Rotated notices the account's final state needs: every `K` still Active in phase Rotated
 * was announced by a Rotated notice naming it.
 */
export const rotatedNoticesNeeded = (s: CheckSettings, d: DayRecord): NeededNotice[] =>
  d.after.users.flatMap((u): NeededNotice[] => {
    const k = tagsOf(u).get(s.lastCheckOldKeyTagKey.toLowerCase());
    const old = u.keys.find((x) => x.accessKeyId === k);
    if (old?.status !== "Active" || u.keys.length !== 2) return [];
    if (d.beforeStart?.rotated.has(old.accessKeyId)) return [];
    return [
      { day: d.day, userName: u.name, keyId: old.accessKeyId, kinds: ["Rotated"], why: "rotated" },
    ];
  });

/** Invariant 14: every needed notice was sent at least once (run after convergence). */
export const checkNoticesSent = (
  needed: ReadonlyArray<NeededNotice>,
  index: NoticeIndex,
  day: number,
): Violation[] =>
  needed
    .filter((n) => noticesAbout(index, n.keyId, n.kinds).length === 0)
    .map((n) => ({
      check: "notice-missing" as const,
      day,
      userName: n.userName,
      message: `key ${n.keyId} ${n.why} on day ${n.day}, but no ${n.kinds.join(" or ")} notice names it`,
    }));

/**
 * Issue 12: keyrotate removes (deactivates or deletes) a key a user made by hand, or one it
 * announced, only as `K` of a transition: never by recovery or rollback.
 */
export const checkOwnWorkOnly = (s: CheckSettings, d: DayRecord): Violation[] => {
  const index = noticesOf(d);
  return d.keyEventsToday
    .filter(isRemoval)
    .filter((e) => d.handMadeKeyIds.has(e.accessKeyId) || announcedIn(index, e.accessKeyId))
    .filter((e) => removalOf(s, d, e) === "untracked")
    .map((e) => ({
      check: "removed-not-own" as const,
      day: d.day,
      userName: e.userName,
      message: `${e.operation} ${e.accessKeyId} (${d.handMadeKeyIds.has(e.accessKeyId) ? "made by hand" : "announced"}) while no tracking tag named it`,
    }));
};

/** Every per-day check but the key ages (which need the simulation's bookkeeping). */
export const checkDay = (s: CheckSettings, d: DayRecord): Violation[] => [
  ...checkSecrets(s, d),
  ...checkDeletions(d),
  ...checkUnseenKeys(d),
  ...checkLockout(s, d),
  ...checkNoticesOnce(s, d),
  ...checkNoticeBeforeRotation(s, d),
  ...checkRotatedNotices(s, d),
  ...checkInUseDeactivation(s, d),
  ...checkOwnWorkOnly(s, d),
];
