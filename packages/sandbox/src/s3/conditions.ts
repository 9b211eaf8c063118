import { ServiceError } from "../errors.js";
import { noSuchKey } from "./errors.js";
import type { S3Object } from "./objects.js";

/** S3's 412 for a condition that did not hold, naming the header. */
function preconditionFailed(condition: string): ServiceError {
  return new ServiceError(
    "PreconditionFailed",
    "At least one of the pre-conditions you specified did not hold",
    412,
    { Condition: condition },
  );
}

/**
 * `If-Match` on a write or delete: the object must exist (404 `NoSuchKey` otherwise) and, unless
 * the value is `*`, have that ETag (412 `PreconditionFailed` otherwise). Quotes are optional.
 */
export function checkIfMatch(obj: S3Object | undefined, key: string, ifMatch: string): void {
  if (obj === undefined) throw noSuchKey(key);
  const bare = (etag: string) => etag.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
  if (ifMatch.trim() !== "*" && bare(ifMatch) !== bare(obj.etag)) {
    throw preconditionFailed("If-Match");
  }
}

/**
 * `If-None-Match` on a write: only `*` is supported (501 otherwise, as S3 answers), and the object
 * must not exist (412 `PreconditionFailed` otherwise).
 */
export function checkIfNoneMatch(obj: S3Object | undefined, ifNoneMatch: string): void {
  if (ifNoneMatch !== "*") {
    throw new ServiceError(
      "NotImplemented",
      "A header you provided implies functionality that is not implemented",
      501,
      { Header: "If-None-Match" },
    );
  }
  if (obj !== undefined) throw preconditionFailed("If-None-Match");
}
