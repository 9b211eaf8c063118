import { stringify } from "csv-stringify/sync";

/**
 * Where and how a new key's secret is stored: `credential/<user>/<user>_<keyId>.csv`, the path
 * the original function's per-user bucket policy grants each user.
 */
export const secretObjectKey = (userName: string, keyId: string): string =>
  `credential/${userName}/${userName}_${keyId}.csv`;

/** The `aws s3 cp` command that downloads a stored secret file. */
export const secretCopyCommand = (bucket: string, userName: string, keyId: string): string =>
  `aws s3 cp s3://${bucket}/${secretObjectKey(userName, keyId)} ./`;

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

/**
 * The file's content: a header and one row, as the original function wrote it. Written with
 * csv-stringify, so that a user name with a comma (legal in IAM: `svc,deploy`) is quoted and the
 * file still has three columns; any other name comes out byte for byte as before.
 */
export const secretFileBody = (userName: string, keyId: string, secret: string): string =>
  stringify([
    ["UserName", "AccessKeyId", "SecretAccessKey"],
    [userName, keyId, secret],
  ]);
