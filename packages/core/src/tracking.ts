import type { AccessKey, AccessKeyId } from "./AccessKey.js";
import {
  type CalendarDate,
  daysBetween,
  formatInstant,
  type Instant,
  parseCalendarDate,
  parseInstant,
} from "./CalendarDate.js";
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

/** In a planned tag value: the moment the adapter writes it (an {@link Instant} in basic form). */
export const NOW_PLACEHOLDER = "{now}";
/** In a planned tag value: the id of the key the plan's `CreateKey` step made. */
export const NEW_KEY_PLACEHOLDER = "{new-key}";

/**
 * Fills the placeholders of a planned tag value. Braces are not allowed in IAM tag values, so a
 * placeholder can never be mistaken for data.
 */
export const fillPlaceholders = (
  value: string,
  facts: { readonly now: Instant; readonly newKeyId: AccessKeyId | undefined },
): string =>
  value
    .replaceAll(NOW_PLACEHOLDER, formatInstant(facts.now))
    .replaceAll(NEW_KEY_PLACEHOLDER, facts.newKeyId ?? NEW_KEY_PLACEHOLDER);

/** IAM's limit on a tag value. */
export const MAX_TAG_VALUE_LENGTH = 256;

/**
 * keyrotate's own tag (`STATE_TAG_KEY`): what keyrotate must remember between runs beyond the
 * two tracking tags. Each part is optional; the tag holds them as space-separated items
 * (see the core README for the encoding).
 */
export interface StateTag {
  /** Warnings about `keyId`: the first (the minimum notice counts from it) and the last one. */
  readonly warned?:
    | {
        readonly first: CalendarDate;
        readonly last: CalendarDate;
        /** Undefined for the older `warned:<date>` form: it counts for a key made before `first`. */
        readonly keyId: AccessKeyId | undefined;
      }
    | undefined;
  /**
   * A rotation of `oldKeyId` in flight: written just before `CreateKey`. `startedAt` is the
   * second it was written; a key made within {@link ROTATION_WINDOW_SECONDS} after it, never
   * used, is the rotation's. Undefined for the older `rotating:<key>:<date>` form, which proves
   * nothing.
   */
  readonly rotating?:
    | { readonly oldKeyId: AccessKeyId; readonly startedAt: Instant | undefined }
    | undefined;
  /** A Rotated notice not yet sent, announcing `newKeyId`; `stored` when its secret file exists. */
  readonly rotated?: { readonly newKeyId: AccessKeyId; readonly stored: boolean } | undefined;
  /** The day the last "old key still in use" notice went out. */
  readonly inUse?: { readonly last: CalendarDate } | undefined;
  /** A deactivation of `keyId` in flight or not yet announced; `unused` for the UNUSED_DAYS rule. */
  readonly deactivating?:
    | {
        readonly keyId: AccessKeyId;
        readonly date: CalendarDate;
        readonly unused: boolean;
      }
    | undefined;
}

/** The result of reading the state tag: its parts, or a value keyrotate never writes. */
export type ParsedStateTag =
  | { readonly _tag: "Valid"; readonly state: StateTag }
  | { readonly _tag: "Invalid"; readonly value: string };

/**
 * How long after a rotation's marker is written its key can be created: the `CreateKey` call
 * and the SDK's retries of it. A key made later is never taken for the rotation's.
 */
export const ROTATION_WINDOW_SECONDS = 15 * 60;

const KEY_ID = /^[A-Z0-9]{16,128}$/;
const keyIdOf = (s: string | undefined): AccessKeyId | undefined =>
  s !== undefined && KEY_ID.test(s) ? (s as AccessKeyId) : undefined;

type Item = Partial<StateTag>;

const parseItem = (item: string): Item | undefined => {
  const parts = item.split(":");
  const [kind, a, b, c] = parts;
  const n = parts.length;
  switch (kind) {
    case "warned": {
      const last = parseCalendarDate(a ?? "");
      if (last === undefined) return undefined;
      if (n === 2) return { warned: { first: last, last, keyId: undefined } };
      const first = parseCalendarDate(b ?? "");
      const keyId = keyIdOf(c);
      if (n !== 4 || first === undefined || keyId === undefined || first > last) return undefined;
      return { warned: { first, last, keyId } };
    }
    case "rotating": {
      const oldKeyId = keyIdOf(a);
      if (n !== 3 || oldKeyId === undefined) return undefined;
      const startedAt = parseInstant(b ?? "");
      if (startedAt !== undefined) return { rotating: { oldKeyId, startedAt } };
      return parseCalendarDate(b ?? "") === undefined
        ? undefined
        : { rotating: { oldKeyId, startedAt: undefined } };
    }
    case "rotated": {
      const newKeyId = keyIdOf(a);
      if (n !== 3 || newKeyId === undefined || (b !== "stored" && b !== "existing"))
        return undefined;
      return { rotated: { newKeyId, stored: b === "stored" } };
    }
    case "in-use": {
      const last = parseCalendarDate(a ?? "");
      return n === 2 && last !== undefined ? { inUse: { last } } : undefined;
    }
    case "deactivating": {
      const keyId = keyIdOf(a);
      const date = parseCalendarDate(b ?? "");
      if (keyId === undefined || date === undefined) return undefined;
      if (n === 3) return { deactivating: { keyId, date, unused: false } };
      return n === 4 && c === "unused"
        ? { deactivating: { keyId, date, unused: true } }
        : undefined;
    }
    default:
      return undefined;
  }
};

/**
 * Parses the value of keyrotate's state tag: space-separated items `warned:…`, `rotating:…`,
 * `rotated:…`, `in-use:…`, `deactivating:…`. Any item keyrotate never writes, or one item
 * twice, makes the whole value `Invalid`: a tag that may have been forged is not trusted in part.
 */
export const parseStateTag = (value: string | undefined): ParsedStateTag => {
  if (value === undefined) return { _tag: "Valid", state: {} };
  const items = value.split(" ");
  const state: Record<string, unknown> = {};
  for (const item of items) {
    const parsed = parseItem(item);
    const [field] = parsed === undefined ? [] : Object.keys(parsed);
    if (parsed === undefined || field === undefined || field in state)
      return { _tag: "Invalid", value };
    Object.assign(state, parsed);
  }
  return { _tag: "Valid", state: state as StateTag };
};

/**
 * Writes a state tag value, the inverse of {@link parseStateTag}; `undefined` when nothing is
 * left to remember (the tag is then removed). A rotation's `startedAt` and `newKeyId` may be
 * the placeholders {@link NOW_PLACEHOLDER} and {@link NEW_KEY_PLACEHOLDER}, filled by whoever
 * performs the step. When the value would pass IAM's 256 characters (only with key ids far
 * longer than AWS's 20), the warning record is left out first.
 */
export const formatStateTag = (
  state: StateTag,
  placeholders: { readonly startedAt?: string; readonly newKeyId?: string } = {},
): string | undefined => {
  const full = stateItems(state, placeholders, true);
  const value = full.length <= MAX_TAG_VALUE_LENGTH ? full : stateItems(state, placeholders, false);
  return value === "" ? undefined : value;
};

const stateItems = (
  state: StateTag,
  placeholders: { readonly startedAt?: string; readonly newKeyId?: string },
  withWarned: boolean,
): string => {
  const { warned, rotating, rotated, inUse, deactivating } = state;
  let out = "";
  const add = (item: string) => {
    out = out === "" ? item : `${out} ${item}`;
  };
  if (warned !== undefined && withWarned)
    add(
      warned.keyId === undefined
        ? `warned:${warned.last}`
        : `warned:${warned.last}:${warned.first}:${warned.keyId}`,
    );
  if (rotating !== undefined)
    add(
      `rotating:${rotating.oldKeyId}:${
        placeholders.startedAt ??
        (rotating.startedAt === undefined ? "" : formatInstant(rotating.startedAt))
      }`,
    );
  if (rotated !== undefined)
    add(
      `rotated:${placeholders.newKeyId ?? rotated.newKeyId}:${rotated.stored ? "stored" : "existing"}`,
    );
  if (inUse !== undefined) add(`in-use:${inUse.last}`);
  if (deactivating !== undefined)
    add(
      `deactivating:${deactivating.keyId}:${deactivating.date}${deactivating.unused ? ":unused" : ""}`,
    );
  return out;
};
