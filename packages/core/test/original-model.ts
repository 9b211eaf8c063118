import {
  type AccessKeyId,
  type CalendarDate,
  daysBetween,
  LastUse,
  type NoticeKind,
  type PolicySettings,
  parseCalendarDate,
  tagValue,
  type UserSnapshot,
} from "../src/index.js";

/** A key or tracking-tag change, in the vocabulary both functions share. */
export type Change =
  | { readonly op: "create" }
  | { readonly op: "deactivate"; readonly keyId: string }
  | { readonly op: "delete"; readonly keyId: string }
  | { readonly op: "tag"; readonly key: string; readonly value: string }
  | { readonly op: "untag"; readonly key: string };

/**
 * The key and tag changes the original Python function makes for one user in one run, written
 * from its documented behaviour: tracked when the date tag is set (two Active keys → deactivate
 * K after DEACTIVATE_DAYS; two keys, one Inactive → delete K after DELETION_DAYS; otherwise
 * remove both tags), untracked with one Active key older than OVERDUE_DAYS → a new key and both
 * tags. Its notices are not modelled: invariant 10 is about key and tag changes.
 */
export const originalChanges = (
  s: PolicySettings,
  today: CalendarDate,
  user: UserSnapshot,
): Change[] => {
  if (tagValue(user, s.emailTagKey) === undefined) return [];
  const keys = user.keys;
  const age = (d: CalendarDate) => daysBetween(d, today);
  const rawDate = tagValue(user, s.lastCheckDateTagKey);
  if (rawDate === undefined) {
    const only = keys[0];
    if (
      keys.length === 1 &&
      only !== undefined &&
      only.status === "Active" &&
      age(only.created) > s.overdueDays
    ) {
      return [
        { op: "create" },
        { op: "tag", key: s.lastCheckDateTagKey, value: today },
        { op: "tag", key: s.lastCheckOldKeyTagKey, value: only.id },
      ];
    }
    return [];
  }
  const date = parseCalendarDate(rawDate.trim());
  if (date === undefined) throw new Error("the original crashes on an unparsable date tag");
  const oldKey = tagValue(user, s.lastCheckOldKeyTagKey) as AccessKeyId;
  if (keys.length === 2 && keys.every((k) => k.status === "Active")) {
    return age(date) > s.deactivateDays
      ? [
          { op: "deactivate", keyId: oldKey },
          { op: "tag", key: s.lastCheckDateTagKey, value: today },
        ]
      : [];
  }
  if (keys.length === 2 && keys.some((k) => k.status === "Inactive")) {
    return age(date) > s.deletionDays
      ? [
          { op: "delete", keyId: oldKey },
          { op: "untag", key: s.lastCheckDateTagKey },
          { op: "untag", key: s.lastCheckOldKeyTagKey },
        ]
      : [];
  }
  return [
    { op: "untag", key: s.lastCheckDateTagKey },
    { op: "untag", key: s.lastCheckOldKeyTagKey },
  ];
};

/**
 * The mails the original sends for one user in one run, by kind, in keyrotate's vocabulary:
 * a warning per Active key past WARNING_DAYS (every day), a mail with the new key, one on
 * deactivation and one on deletion.
 */
export const originalNotices = (
  s: PolicySettings,
  today: CalendarDate,
  user: UserSnapshot,
): NoticeKind[] => {
  if (tagValue(user, s.emailTagKey) === undefined) return [];
  const changes = originalChanges(s, today, user);
  if (changes.some((c) => c.op === "create")) return ["Rotated"];
  if (changes.some((c) => c.op === "deactivate")) return ["Deactivated"];
  if (changes.some((c) => c.op === "delete")) return ["Deleted"];
  if (tagValue(user, s.lastCheckDateTagKey) !== undefined) return [];
  return user.keys
    .filter((k) => k.status === "Active" && daysBetween(k.created, today) > s.warningDays)
    .map(() => "Warning" as const);
};

/** The id the models give the key a rotation creates. */
export const MODEL_NEW_KEY = "AKIAMODELNEWKEY00001" as AccessKeyId;

/** A snapshot after a list of changes, as IAM would leave it. */
export const applyChanges = (
  u: UserSnapshot,
  changes: ReadonlyArray<Change>,
  today: CalendarDate,
): UserSnapshot => {
  let keys = [...u.keys];
  const tags = new Map(u.tags.map((t) => [t.key, t.value]));
  for (const c of changes) {
    if (c.op === "create")
      keys.push({ id: MODEL_NEW_KEY, status: "Active", created: today, lastUse: LastUse.never });
    if (c.op === "deactivate")
      keys = keys.map((k) => (k.id === c.keyId ? { ...k, status: "Inactive" } : k));
    if (c.op === "delete") keys = keys.filter((k) => k.id !== c.keyId);
    if (c.op === "tag") tags.set(c.key, c.value);
    if (c.op === "untag") tags.delete(c.key);
  }
  return { ...u, keys, tags: [...tags].map(([key, value]) => ({ key, value })) };
};

/**
 * What keyrotate is meant to do, stated as the original plus POLICY.md's deliberate
 * differences that apply to the states the original itself can be in:
 *
 * - **Difference 10:** a run whose first step removes tracking tags (broken, or left by a key
 *   deleted by hand) or deletes `K` goes on to decide the remaining keys the same day: the model
 *   runs the original a second time, on the same day, on what its first step left.
 * - **Difference 11:** tracking tags that no longer match the user's keys are removed when the
 *   user is next read, not necessarily that day. The model decides every user it is given, as
 *   keyrotate does once triage selects one; the difference is only in *when* a user is read.
 * - **Difference 6:** a `K` announced for deletion (Inactive) is deleted on its day even when
 *   the other key is gone; the original drops the tags and keeps `K`. The model keeps tracking.
 * - **Difference 5:** two Active keys get one "action required" notice, not a warning per key.
 * - **Difference 2** never applies here: `K` is the older key of the original's own rotation.
 */
export const intendedRun = (
  s: PolicySettings,
  today: CalendarDate,
  user: UserSnapshot,
): { changes: Change[]; notices: NoticeKind[] } => {
  const k = tagValue(user, s.lastCheckOldKeyTagKey);
  const tracked = user.keys.find((x) => x.id === k);
  // Difference 6: K Inactive and alone is still in its deletion period.
  const sixth =
    tracked?.status === "Inactive" && user.keys.length === 1
      ? {
          ...user,
          keys: [
            ...user.keys,
            { ...tracked, id: "AKIAMODELPLACEHOLDER" as AccessKeyId, status: "Active" as const },
          ],
        }
      : user;
  let changes = originalChanges(s, today, sixth);
  let notices = twoKeysAsOne(user, originalNotices(s, today, sixth));
  const removesTracking = changes.some((c) => c.op === "untag" && c.key === s.lastCheckDateTagKey);
  if (removesTracking) {
    const after = applyChanges(user, changes, today);
    const more = originalChanges(s, today, after);
    changes = [...changes, ...more];
    notices = [...notices, ...twoKeysAsOne(after, originalNotices(s, today, after))];
  }
  return { changes, notices };
};

const twoKeysAsOne = (user: UserSnapshot, notices: NoticeKind[]): NoticeKind[] =>
  user.keys.filter((k) => k.status === "Active").length === 2 &&
  notices.length > 0 &&
  notices.every((n) => n === "Warning")
    ? ["TwoActiveKeys"]
    : notices;
