import type { AccessKey, IamUser, LastUse, Tag } from "./store.js";

/**
 * IAM's eventual consistency, emulated: a write to a user (tags, keys) reaches the read calls
 * (ListAccessKeys, ListUserTags, GetUser, ListUsers, GetAccountAuthorizationDetails and the
 * credential report) only after `delayMs`. Writes themselves always act on the latest state, as
 * IAM's do; so do request signing and the inspection API.
 *
 * A write becomes visible once `delayMs` has passed on the sandbox clock or in real time,
 * whichever comes first: with a frozen clock a test decides exactly when (`clock.advanceMs`),
 * and an interactive session sees writes appear after a few real seconds, as on AWS.
 */

/** When something happened, on both clocks. */
export interface Instant {
  readonly sandboxMs: number;
  readonly realMs: number;
}

/** A key as a read call shows it. */
export interface KeyAsRead {
  readonly accessKeyId: string;
  readonly status: "Active" | "Inactive";
  readonly createDate: number;
  readonly lastUsed: LastUse | undefined;
}

/** A user's tags and keys as read calls show them. */
export interface UserAsRead {
  readonly tags: readonly Tag[];
  readonly keys: readonly KeyAsRead[];
}

/** One version of a user: its state after a write made at `at`. */
interface Version extends UserAsRead {
  readonly at: Instant;
}

/** The consistency settings and clocks of one request. */
export interface Consistency {
  /** 0 turns the emulation off: every read sees every write. */
  readonly delayMs: number;
  readonly now: Instant;
}

/** The versions of users with writes not yet visible to everyone; absent = all visible. */
const histories = new WeakMap<IamUser, Version[]>();
/** When a user created through the API becomes visible. */
const createdAt = new WeakMap<IamUser, Instant>();

const BEGINNING: Instant = { sandboxMs: -Infinity, realMs: -Infinity };

const visible = (at: Instant, c: Consistency): boolean =>
  c.now.sandboxMs - at.sandboxMs >= c.delayMs || c.now.realMs - at.realMs >= c.delayMs;

const viewOfKey = (k: AccessKey): KeyAsRead => ({
  accessKeyId: k.accessKeyId,
  status: k.status,
  createDate: k.createDate,
  lastUsed: k.lastUsed,
});

const liveView = (user: IamUser): UserAsRead => ({
  tags: [...user.tags.values()].map((t) => ({ ...t })),
  keys: user.keys.map(viewOfKey),
});

/**
 * Runs `write`, a change to `user`, and remembers the user's state before and after it so that
 * reads within the delay still see the state before.
 */
export function recordWrite<T>(user: IamUser, c: Consistency, write: () => T): T {
  if (c.delayMs <= 0) {
    histories.delete(user);
    return write();
  }
  const history = histories.get(user) ?? [{ at: BEGINNING, ...liveView(user) }];
  const result = write();
  history.push({ at: c.now, ...liveView(user) });
  histories.set(user, history);
  return result;
}

/** Marks a user created through the API, invisible to reads until the delay has passed. */
export function recordCreation(user: IamUser, c: Consistency): void {
  if (c.delayMs > 0) createdAt.set(user, c.now);
}

/** Whether read calls can see `user` at all yet. */
export function userVisible(user: IamUser, c: Consistency): boolean {
  const at = createdAt.get(user);
  if (at === undefined) return true;
  if (c.delayMs <= 0 || visible(at, c)) {
    createdAt.delete(user);
    return true;
  }
  return false;
}

/**
 * The user's tags and keys as a read call sees them now: the newest version whose write is
 * visible. The last use of a key still alive is always its current one (it is no write).
 */
export function readView(user: IamUser, c: Consistency): UserAsRead {
  const history = histories.get(user);
  if (history === undefined) return liveView(user);
  let newest = 0;
  for (let i = history.length - 1; i > 0; i--) {
    if (visible((history[i] as Version).at, c) || c.delayMs <= 0) {
      newest = i;
      break;
    }
  }
  if (newest === history.length - 1) {
    histories.delete(user);
    return liveView(user);
  }
  history.splice(0, newest);
  const version = history[0] as Version;
  const live = new Map(user.keys.map((k) => [k.accessKeyId, k]));
  return {
    tags: version.tags,
    keys: version.keys.map((k) => {
      const now = live.get(k.accessKeyId);
      return now === undefined ? k : { ...k, lastUsed: now.lastUsed };
    }),
  };
}

/** Whether a read call would list this key of `user` now. */
export function keyVisible(user: IamUser, accessKeyId: string, c: Consistency): boolean {
  return readView(user, c).keys.some((k) => k.accessKeyId === accessKeyId);
}
