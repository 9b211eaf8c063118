import {
  type AccessKeyId,
  type CalendarDate,
  daysBetween,
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
