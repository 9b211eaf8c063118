import { type AccessKey, LastUse } from "@keyrotate/core";
import type { CredentialReportUser } from "./reportRows.js";

/**
 * The last use the credential report gives for one of the user's keys: the report's key slot
 * created at the key's creation second (`access_key_N_last_rotated` is the key's `CreateDate`).
 * Unknown when the user has no row, no slot matches, or the key's creation time is not known:
 * a last use is never guessed.
 */
export const reportLastUse = (
  row: CredentialReportUser | undefined,
  key: Pick<AccessKey, "createdAt">,
): LastUse => {
  if (row === undefined || key.createdAt === undefined) return LastUse.unknown;
  const at = key.createdAt;
  const slot = row.keys.find((k) => Math.floor(Date.parse(k.createdAt) / 1000) === at);
  return slot?.lastUse ?? LastUse.unknown;
};
