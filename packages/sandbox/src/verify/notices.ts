/**
 * keyrotate's user notices as read back from the mail SES accepted: which kind, which keys, which
 * secret file. The one place the checks read a notice.
 */
import type { SentEmail } from "../ses.js";

/** The kinds of user notice keyrotate sends (the adapter's `renderNotice`). */
export type NoticeKind =
  | "Warning"
  | "TwoActiveKeys"
  | "Rotated"
  | "OldKeyInUse"
  | "Deactivated"
  | "DeactivatedUnused"
  | "Deleted";

/** A user notice as read back from the mail SES accepted. */
export interface SeenNotice {
  readonly kind: NoticeKind;
  /** The recipient's address. */
  readonly to: string;
  /** The key the notice is about: the old key of a Rotated notice. */
  readonly keyId: string;
  /** The new key a Rotated notice announces. */
  readonly newKeyId?: string;
  /** Both keys of an "Action required" notice. */
  readonly keyIds: ReadonlyArray<string>;
  /** The `s3://bucket/credential/…csv` file the notice names, if any. */
  readonly secretFile?: string;
  /** Sandbox time it was accepted, epoch ms, and its UTC day. */
  readonly time: number;
  readonly date: string;
}

// The subject of each kind: the one place the checks read a subject. Everything else they need
// (key ids, the secret file) is read as data: AWS key ids and the `s3://` URL.
const SUBJECTS: ReadonlyArray<readonly [NoticeKind, RegExp]> = [
  ["Warning", /^Your AWS access key (\S+) will be rotated on /],
  ["TwoActiveKeys", /^Action required: IAM user \S+ has two active access keys$/],
  ["Rotated", /^Your AWS access key (\S+) was rotated: new key (\S+)$/],
  ["OldKeyInUse", /^Your old AWS access key (\S+) is still in use/],
  ["Deactivated", /^Your old AWS access key (\S+) was deactivated$/],
  ["DeactivatedUnused", /^Your unused AWS access key (\S+) was deactivated$/],
  ["Deleted", /^Your old AWS access key (\S+) was deleted$/],
];
const KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{12,124}\b/g;
const SECRET_FILE = /s3:\/\/[^\s/]+\/credential\/\S+?\.csv/;

/** Reads a user notice back from a sent email; undefined for anything else (the admin summary). */
export const readNotice = (e: SentEmail): SeenNotice | undefined => {
  const subject = e.subject ?? "";
  for (const [kind, pattern] of SUBJECTS) {
    const m = pattern.exec(subject);
    if (m === null) continue;
    const text = e.text ?? "";
    const keyIds = kind === "TwoActiveKeys" ? [...new Set(text.match(KEY_ID) ?? [])] : [];
    const file = SECRET_FILE.exec(text)?.[0];
    return {
      kind,
      to: e.destinations.to.join(","),
      keyId: m[1] ?? keyIds[0] ?? "",
      ...(m[2] === undefined ? {} : { newKeyId: m[2] }),
      keyIds,
      ...(file === undefined ? {} : { secretFile: file }),
      time: e.time.getTime(),
      date: e.time.toISOString().slice(0, 10),
    };
  }
  return undefined;
};

/** Every user notice so far, by each key it names; kept as the mail comes in. */
export type NoticeIndex = Map<string, SeenNotice[]>;

/** Adds `emails`' user notices to `index` (a new index when none is given) and returns it. */
export const indexNotices = (
  emails: ReadonlyArray<SentEmail>,
  index: NoticeIndex = new Map(),
): NoticeIndex => {
  for (const e of emails) {
    const n = readNotice(e);
    if (n === undefined) continue;
    for (const id of new Set([
      n.keyId,
      ...(n.newKeyId === undefined ? [] : [n.newKeyId]),
      ...n.keyIds,
    ])) {
      const list = index.get(id) ?? [];
      list.push(n);
      index.set(id, list);
    }
  }
  return index;
};

/** The ids of the new keys named by Rotated notices among `emails`. */
export const announcedKeys = (emails: ReadonlyArray<SentEmail>): Set<string> => {
  const ids = new Set<string>();
  for (const e of emails) {
    const n = readNotice(e);
    if (n?.kind === "Rotated" && n.newKeyId !== undefined) ids.add(n.newKeyId);
  }
  return ids;
};
