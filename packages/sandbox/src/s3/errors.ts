import { ServiceError } from "../errors.js";
import { type HttpResult, xmlResult } from "../http-result.js";
import { text } from "../xml.js";

/** S3's 404 for a bucket that does not exist. */
export function noSuchBucket(name: string): ServiceError {
  return new ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, {
    BucketName: name,
  });
}

/** S3's 404 for a key that does not exist. */
export function noSuchKey(key: string): ServiceError {
  return new ServiceError("NoSuchKey", "The specified key does not exist.", 404, { Key: key });
}

/**
 * S3's XML error document (`<Error><Code/><Message/>…<RequestId/><HostId/></Error>`).
 * HEAD requests get the status alone, since S3 sends no body for them.
 */
export function s3ErrorResult(
  err: ServiceError,
  method: string,
  requestId: string,
  resource: string,
): HttpResult {
  if (method === "HEAD") return { status: err.status, headers: {}, body: "" };
  const extra = Object.entries(err.extra)
    .map(([k, v]) => text(k, v))
    .join("");
  return xmlResult(
    err.status,
    `<Error>${text("Code", err.code)}${text("Message", err.message)}${extra}${text("Resource", resource)}` +
      `${text("RequestId", requestId)}${text("HostId", Buffer.from(requestId).toString("base64"))}</Error>`,
  );
}
