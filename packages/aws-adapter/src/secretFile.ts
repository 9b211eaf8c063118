import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";

/** The prefix under which every secret file is stored (and the readers' policy applies). */
export const SECRET_FILE_PREFIX = "credential/";

/**
 * Where and how a new key's secret is stored: `credential/<user>/<user>_<keyId>.csv`, the path
 * the original function's per-user bucket policy grants each user.
 */
export const secretObjectKey = (userName: string, keyId: string): string =>
  `${SECRET_FILE_PREFIX}${userName}/${userName}_${keyId}.csv`;

/**
 * The user's secret files' object keys in a text: a global pattern whose first group is the key
 * id (checks read which files a notice names with it).
 */
export const secretObjectKeyPattern = (userName: string): RegExp => {
  const [before, after] = secretObjectKey(userName, KEY_ID_SLOT)
    .split(KEY_ID_SLOT)
    .map(escapeRegExp);
  return new RegExp(`${before}(AKIA[A-Z0-9]{16})${after}`, "g");
};

const KEY_ID_SLOT = "\u0000";
const escapeRegExp = (s: string | undefined): string =>
  (s ?? "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The `s3://` address of a stored secret file, as notices name it. */
export const secretFileUrl = (bucket: string, userName: string, keyId: string): string =>
  `s3://${bucket}/${secretObjectKey(userName, keyId)}`;

/** The `aws s3 cp` command that downloads a stored secret file. */
export const secretCopyCommand = (bucket: string, userName: string, keyId: string): string =>
  `aws s3 cp ${secretFileUrl(bucket, userName, keyId)} ./`;

/** The S3 console page of a stored secret file. */
export const secretConsoleUrl = (
  bucket: string,
  userName: string,
  keyId: string,
  region: string | undefined,
): string => {
  const query = new URLSearchParams({
    ...(region === undefined ? {} : { region }),
    prefix: secretObjectKey(userName, keyId),
  });
  return `https://s3.console.aws.amazon.com/s3/object/${encodeURIComponent(bucket)}?${query.toString()}`;
};

const SECRET_FILE_HEADER = ["UserName", "AccessKeyId", "SecretAccessKey"];

/**
 * The file's content: a header and one row, as the original function wrote it. Written with
 * csv-stringify, so that a user name with a comma (legal in IAM: `svc,deploy`) is quoted and the
 * file still has three columns; any other name comes out byte for byte as before.
 */
export const secretFileBody = (userName: string, keyId: string, secret: string): string =>
  stringify([SECRET_FILE_HEADER, [userName, keyId, secret]]);

/** What a secret file holds. */
export interface SecretFile {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Reads a secret file written by {@link secretFileBody}; undefined when the body is not one (a
 * wrong header, not exactly one row of three columns). For checks and tests that look into the
 * bucket; keyrotate itself never reads a secret back.
 */
export const readSecretFile = (body: string): SecretFile | undefined => {
  let rows: string[][];
  try {
    rows = parse(body, { relaxColumnCount: false }) as string[][];
  } catch {
    return undefined;
  }
  const [header, row, ...rest] = rows;
  if (header?.join(",") !== SECRET_FILE_HEADER.join(",") || row === undefined || rest.length > 0)
    return undefined;
  const [userName, accessKeyId, secretAccessKey] = row;
  if (userName === undefined || accessKeyId === undefined || secretAccessKey === undefined)
    return undefined;
  return { userName, accessKeyId, secretAccessKey };
};

/** The secret-file format in one value, for checks that read it back (the sandbox's verify). */
export const secretFiles = {
  objectKey: secretObjectKey,
  url: secretFileUrl,
  read: readSecretFile,
} as const;
