import type { AccessKey, AccessKeyId } from "./AccessKey.js";
import { type CalendarDate, daysBetween, parseCalendarDate } from "./CalendarDate.js";
import type { PolicySettings } from "./Settings.js";

/**
 * The rotation state kept in the original's two tags: the date of the last transition `D` and
 * the id of the key being retired `K`.
 */
export type Tracking =
  | { readonly _tag: "Untracked" }
  /** `K` is Active: a new key was issued on `date`; `K` is deactivated after the grace period. */
  | { readonly _tag: "Rotated"; readonly date: CalendarDate; readonly oldKey: AccessKey }
  /** `K` is Inactive since `date`; it is deleted after the deletion period. */
  | { readonly _tag: "Deactivated"; readonly date: CalendarDate; readonly oldKey: AccessKey }
  /** The tags do not describe a state keyrotate can be in; they are removed and nothing else. */
  | { readonly _tag: "Broken"; readonly reason: string; readonly tagKeys: ReadonlyArray<string> };

/**
 * Reads the tracking state from the tracking tags and the user's keys (POLICY.md, "Tracking
 * state"). Keys must be sorted by creation date.
 */
export const readTracking = (
  settings: PolicySettings,
  today: CalendarDate,
  keys: ReadonlyArray<AccessKey>,
  tags: ReadonlyMap<string, string>,
): Tracking => {
  const rawDate = tags.get(settings.lastCheckDateTagKey);
  const rawKey = tags.get(settings.lastCheckOldKeyTagKey);
  if (rawDate === undefined && rawKey === undefined) return { _tag: "Untracked" };
  const tagKeys = [settings.lastCheckDateTagKey, settings.lastCheckOldKeyTagKey].filter((k) =>
    tags.has(k),
  );
  const broken = (reason: string): Tracking => ({ _tag: "Broken", reason, tagKeys });
  if (rawDate === undefined) return broken(`only ${settings.lastCheckOldKeyTagKey} is set`);
  if (rawKey === undefined) return broken(`only ${settings.lastCheckDateTagKey} is set`);
  const date = parseCalendarDate(rawDate.trim());
  if (date === undefined) return broken(`${settings.lastCheckDateTagKey} is not a YYYY-MM-DD date`);
  if (daysBetween(date, today) < 0)
    return broken(`${settings.lastCheckDateTagKey} is in the future`);
  const oldKey = keys.find((k) => k.id === rawKey.trim());
  if (oldKey === undefined)
    return broken(`${settings.lastCheckOldKeyTagKey} is not one of the user's keys`);
  if (oldKey.status === "Inactive") return { _tag: "Deactivated", date, oldKey };
  const others = keys.filter((k) => k.id !== oldKey.id);
  const other = others[0];
  if (other === undefined) return broken("the new key of the rotation is missing");
  if (others.length > 1) return broken("the user has more than two keys");
  if (other.status !== "Active") return broken("the new key of the rotation is not Active");
  if (other.created < oldKey.created)
    return broken("the new key of the rotation is older than the old key");
  return { _tag: "Rotated", date, oldKey };
};

/**
 * keyrotate's own tag (`STATE_TAG_KEY`): a multi-call step in flight, so that a crash is
 * recovered by the next run, or the day of the last warning, so that a rerun sends none twice.
 */
export type StateTag =
  | { readonly _tag: "None" }
  | { readonly _tag: "Warned"; readonly date: CalendarDate }
  | { readonly _tag: "Rotating"; readonly oldKeyId: AccessKeyId; readonly date: CalendarDate }
  | { readonly _tag: "Deactivating"; readonly keyId: AccessKeyId; readonly date: CalendarDate }
  | { readonly _tag: "Invalid"; readonly value: string };

/** Parses the value of keyrotate's state tag (`warned:D`, `rotating:K:D`, `deactivating:K:D`). */
export const parseStateTag = (value: string | undefined): StateTag => {
  if (value === undefined) return { _tag: "None" };
  const parts = value.split(":");
  const date = parseCalendarDate(parts[parts.length - 1] ?? "");
  const keyId =
    parts.length === 3 && /^[A-Z0-9]{16,128}$/.test(parts[1] ?? "")
      ? (parts[1] as AccessKeyId)
      : undefined;
  if (date !== undefined && parts.length === 2 && parts[0] === "warned")
    return { _tag: "Warned", date };
  if (date !== undefined && keyId !== undefined && parts[0] === "rotating") {
    return { _tag: "Rotating", oldKeyId: keyId, date };
  }
  if (date !== undefined && keyId !== undefined && parts[0] === "deactivating") {
    return { _tag: "Deactivating", keyId, date };
  }
  return { _tag: "Invalid", value };
};

/** Writes a state tag value; the inverse of {@link parseStateTag}. */
export const formatStateTag = (
  state: Exclude<StateTag, { _tag: "None" } | { _tag: "Invalid" }>,
): string => {
  switch (state._tag) {
    case "Warned":
      return `warned:${state.date}`;
    case "Rotating":
      return `rotating:${state.oldKeyId}:${state.date}`;
    case "Deactivating":
      return `deactivating:${state.keyId}:${state.date}`;
  }
};
