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
  /**
   * The `s3://bucket/…csv` secret file the notice names, if any; with the Secrets Manager store,
   * the `--secret-id` its `get-secret-value` command names.
   */
  readonly secretFile?: string;
  /** Sandbox time it was accepted, epoch ms, and its UTC day. */
  readonly time: number;
  readonly date: string;
}

/**
 * The SES message tag each of keyrotate's mails carries, naming its kind (the adapter's
 * `EMAIL_KIND_NAME`): the checks tell notices apart by it, never by their wording.
 */
export const NOTICE_KIND_TAG = "X-Keyrotate-Notice";
const KINDS: ReadonlySet<string> = new Set<NoticeKind>([
  "Warning",
  "TwoActiveKeys",
  "Rotated",
  "OldKeyInUse",
  "Deactivated",
  "DeactivatedUnused",
  "Deleted",
]);
const isNoticeKind = (kind: string | undefined): kind is NoticeKind =>
  kind !== undefined && KINDS.has(kind);
// Key ids and the secret file are read as data: AWS key ids and the `s3://` URL. The subject names
// the notice's key (a Rotated notice: the old key, then the new one); an "Action required" notice
// names both keys in its text.
const KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{12,124}\b/g;
const SECRET_FILE = /s3:\/\/[^\s/]+\/\S+?\.csv/;
const SECRET_ID = /aws secretsmanager get-secret-value --secret-id (\S+)/;

/** Reads a user notice back from a sent email; undefined for anything else (the admin summary). */
export const readNotice = (e: SentEmail): SeenNotice | undefined => {
  const kind = e.tags?.[NOTICE_KIND_TAG];
  if (!isNoticeKind(kind)) return undefined;
  const text = e.text ?? "";
  const named = (e.subject ?? "").match(KEY_ID) ?? [];
  const keyIds = kind === "TwoActiveKeys" ? [...new Set(text.match(KEY_ID) ?? [])] : [];
  const newKeyId = kind === "Rotated" ? named[1] : undefined;
  const file = SECRET_FILE.exec(text)?.[0] ?? SECRET_ID.exec(text)?.[1];
  return {
    kind,
    to: e.destinations.to.join(","),
    keyId: named[0] ?? keyIds[0] ?? "",
    ...(newKeyId === undefined ? {} : { newKeyId }),
    keyIds,
    ...(file === undefined ? {} : { secretFile: file }),
    time: e.time.getTime(),
    date: e.time.toISOString().slice(0, 10),
  };
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
