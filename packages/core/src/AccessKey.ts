import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import {
  CalendarDate,
  calendarDateOfTimestamp,
  type Instant,
  instantOfTimestamp,
  isoOfInstant,
} from "./CalendarDate.js";

/**
 * An IAM access key id (`AKIA…`): 16 to 128 upper-case letters and digits.
 *
 * Branded so that a tag value or a user name can never be passed where a key id is expected.
 */
export type AccessKeyId = t.Branded<string, AccessKeyIdBrand>;

/** Brand of {@link AccessKeyId}. */
export interface AccessKeyIdBrand {
  readonly AccessKeyId: unique symbol;
}

/** io-ts codec for {@link AccessKeyId}. */
export const AccessKeyId = t.brand(
  t.string,
  (s): s is AccessKeyId => /^[A-Z0-9]{16,128}$/.test(s),
  "AccessKeyId",
);

/**
 * An IAM user name: 1 to 64 characters of letters, digits and `+=,.@_-`.
 *
 * Branded because it becomes part of an S3 key and an email; IAM's own rule keeps both safe.
 */
export type UserName = t.Branded<string, UserNameBrand>;

/** Brand of {@link UserName}. */
export interface UserNameBrand {
  readonly UserName: unique symbol;
}

/** io-ts codec for {@link UserName}. */
export const UserName = t.brand(
  t.string,
  (s): s is UserName => /^[\w+=,.@-]{1,64}$/.test(s),
  "UserName",
);

/** The status of an access key, as IAM names it. */
export type KeyStatus = "Active" | "Inactive";

/** io-ts codec for {@link KeyStatus}. */
export const KeyStatus = t.keyof({ Active: null, Inactive: null }, "KeyStatus");

/**
 * When a key was last used: on a date, never, or unknown (the last-use lookup failed or was not
 * made). Unknown is never read as never used.
 */
export type LastUse =
  | { readonly _tag: "UsedOn"; readonly date: CalendarDate }
  | { readonly _tag: "NeverUsed" }
  | { readonly _tag: "Unknown" };

/** Constructors for {@link LastUse}. */
export const LastUse = {
  usedOn: (date: CalendarDate): LastUse => ({ _tag: "UsedOn", date }),
  never: { _tag: "NeverUsed" } as LastUse,
  unknown: { _tag: "Unknown" } as LastUse,
} as const;

/**
 * The day a key was last active: its last use, or its creation day when it was never used;
 * undefined when its last use is unknown. The UNUSED_DAYS rule counts from this day.
 */
export const lastActivity = (key: {
  readonly created: CalendarDate;
  readonly lastUse: LastUse;
}): CalendarDate | undefined =>
  key.lastUse._tag === "UsedOn"
    ? key.lastUse.date
    : key.lastUse._tag === "NeverUsed"
      ? key.created
      : undefined;

/** One access key of a user, as the policy sees it. */
export interface AccessKey {
  readonly id: AccessKeyId;
  readonly status: KeyStatus;
  /** The UTC date the key was created. */
  readonly created: CalendarDate;
  /**
   * The second the key was created, when known (IAM gives it). Crash recovery needs it to prove
   * that a key is the one keyrotate made; without it no key is ever discarded.
   */
  readonly createdAt?: Instant;
  readonly lastUse: LastUse;
}

/** A user tag. IAM allows at most 50 per user. */
export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** Everything the policy needs to know about one IAM user: name, tags and access keys. */
export interface UserSnapshot {
  readonly userName: UserName;
  readonly tags: ReadonlyArray<Tag>;
  readonly keys: ReadonlyArray<AccessKey>;
}

/** The value of the tag named `key`, if the user has it. */
export const tagValue = (user: UserSnapshot, key: string): string | undefined => {
  for (const tag of user.tags) if (tag.key === key) return tag.value;
  return undefined;
};

const Timestamp = new t.Type<CalendarDate, string, unknown>(
  "Timestamp",
  CalendarDate.is,
  (u, c) => {
    if (typeof u !== "string") return t.failure(u, c, "expected an ISO 8601 timestamp string");
    const parsed = calendarDateOfTimestamp(u);
    return E.isRight(parsed) ? t.success(parsed.right) : t.failure(u, c, parsed.left);
  },
  (d) => `${d}T00:00:00Z`,
);

const IamLastUsed = new t.Type<LastUse, string, unknown>(
  "LastUsed",
  (u): u is LastUse => typeof u === "object" && u !== null && "_tag" in u,
  (u, c) => {
    if (u === "never") return t.success(LastUse.never);
    if (u === "unknown" || u === undefined) return t.success(LastUse.unknown);
    if (typeof u !== "string") return t.failure(u, c, 'expected a timestamp, "never" or "unknown"');
    const parsed = calendarDateOfTimestamp(u);
    return E.isRight(parsed)
      ? t.success(LastUse.usedOn(parsed.right))
      : t.failure(u, c, parsed.left);
  },
  (l) =>
    l._tag === "UsedOn" ? `${l.date}T00:00:00Z` : l._tag === "NeverUsed" ? "never" : "unknown",
);

/**
 * io-ts codec for an IAM-shaped user snapshot, the JSON form of {@link UserSnapshot}:
 * `{ UserName, Tags: [{ Key, Value }], AccessKeys: [{ AccessKeyId, Status, CreateDate,
 * LastUsed? }] }` where `LastUsed` is a timestamp, `"never"` or `"unknown"` (the default).
 *
 * It is how snapshots recorded from AWS, fixtures and reports enter the core.
 */
export const IamUserSnapshot = t.type(
  {
    UserName,
    Tags: t.readonlyArray(t.type({ Key: t.string, Value: t.string }, "Tag"), "Tags"),
    AccessKeys: t.readonlyArray(
      t.intersection([
        t.type({ AccessKeyId, Status: KeyStatus, CreateDate: Timestamp }),
        t.partial({ LastUsed: IamLastUsed }),
      ]),
      "AccessKeys",
    ),
  },
  "IamUserSnapshot",
);

/** The JSON form accepted by {@link decodeUserSnapshot}. */
export type IamUserSnapshot = t.OutputOf<typeof IamUserSnapshot>;

/**
 * Decodes an IAM-shaped user snapshot, listing every problem with its path.
 *
 * @example decodeUserSnapshot({ UserName: "alice", Tags: [], AccessKeys: [] })
 */
export const decodeUserSnapshot = (
  input: unknown,
): E.Either<ReadonlyArray<string>, UserSnapshot> => {
  const decoded = IamUserSnapshot.decode(input);
  if (E.isLeft(decoded)) return E.left(decoded.left.map(describeError));
  const u = decoded.right;
  const raw = (input as { AccessKeys: ReadonlyArray<{ CreateDate: string }> }).AccessKeys;
  const ids = u.AccessKeys.map((k) => k.AccessKeyId);
  if (new Set(ids).size !== ids.length) return E.left([`AccessKeys: duplicate AccessKeyId`]);
  return E.right({
    userName: u.UserName,
    tags: u.Tags.map((tag) => ({ key: tag.Key, value: tag.Value })),
    keys: u.AccessKeys.map((k, i) => {
      const createdAt = instantOfTimestamp(raw[i]?.CreateDate ?? "");
      return {
        id: k.AccessKeyId,
        status: k.Status,
        created: k.CreateDate,
        ...(createdAt === undefined ? {} : { createdAt }),
        lastUse: k.LastUsed ?? LastUse.unknown,
      };
    }),
  });
};

/** Encodes a snapshot back to its IAM-shaped JSON form. */
export const encodeUserSnapshot = (user: UserSnapshot): IamUserSnapshot => ({
  UserName: user.userName,
  Tags: user.tags.map((tag) => ({ Key: tag.key, Value: tag.value })),
  AccessKeys: user.keys.map((k) => ({
    AccessKeyId: k.id,
    Status: k.status,
    CreateDate: k.createdAt === undefined ? `${k.created}T00:00:00Z` : isoOfInstant(k.createdAt),
    LastUsed: IamLastUsed.encode(k.lastUse),
  })),
});

/** One io-ts validation error as `path: message (got value)`. */
export const describeError = (e: t.ValidationError): string => {
  const path = e.context
    .map((c) => c.key)
    .filter((k) => k !== "" && !/^\d+$/.test(k) === true)
    .join(".");
  const indexPath = e.context
    .slice(1)
    .map((c) => c.key)
    .filter((k) => k !== "")
    .join(".");
  const where = indexPath === "" ? path || "value" : indexPath;
  const got = JSON.stringify(e.value);
  return `${where}: ${e.message ?? `expected ${e.context[e.context.length - 1]?.type.name}`} (got ${got === undefined ? "nothing" : got})`;
};
