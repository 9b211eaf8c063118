import type { IncomingHttpHeaders } from "node:http";
import { ServiceError } from "../errors.js";

/** A path-style S3 request, already split into bucket and key. */
export interface S3Request {
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request header as a single string (repeated headers joined by commas), or undefined. */
export function requestHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

/**
 * Splits a path-style URL path into bucket and key (`/bucket/some/key`).
 * Throws S3's InvalidURI for malformed percent-encoding.
 */
export function parseS3Path(pathname: string): {
  bucket: string | undefined;
  key: string | undefined;
} {
  try {
    const rest = pathname.replace(/^\/+/, "");
    if (rest === "") return { bucket: undefined, key: undefined };
    const slash = rest.indexOf("/");
    if (slash < 0 || slash === rest.length - 1) {
      return {
        bucket: decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash)),
        key: undefined,
      };
    }
    return {
      bucket: decodeURIComponent(rest.slice(0, slash)),
      key: decodeURIComponent(rest.slice(slash + 1)),
    };
  } catch {
    throw new ServiceError("InvalidURI", "Couldn't parse the specified URI.", 400);
  }
}

const BUCKET_SUBRESOURCES = [
  "acl",
  "cors",
  "lifecycle",
  "policy",
  "tagging",
  "versioning",
  "website",
  "encryption",
  "uploads",
  "versions",
  "location",
  "logging",
  "notification",
  "replication",
  "object-lock",
  "ownershipControls",
  "publicAccessBlock",
  "delete",
];
const OBJECT_SUBRESOURCES = [
  "acl",
  "tagging",
  "uploads",
  "uploadId",
  "retention",
  "legal-hold",
  "attributes",
  "restore",
  "torrent",
  "select",
];

/**
 * The S3 operation a request asks for, e.g. `PutObject`, or `Unsupported:<x-id or method>`.
 * The name keys the call counter and per-operation faults (`s3:PutObject`).
 */
export function s3Operation(
  req: Pick<S3Request, "method" | "bucket" | "key" | "query" | "headers">,
): string {
  const { method, bucket, key, query } = req;
  const xId = query.get("x-id");
  const unsupported = `Unsupported:${xId ?? method}`;
  if (bucket === undefined) return method === "GET" ? "ListBuckets" : unsupported;
  if (key === undefined) {
    if (BUCKET_SUBRESOURCES.some((s) => query.has(s))) return xId ?? unsupported;
    switch (method) {
      case "PUT":
        return "CreateBucket";
      case "HEAD":
        return "HeadBucket";
      case "DELETE":
        return "DeleteBucket";
      case "GET":
        return query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
      default:
        return unsupported;
    }
  }
  if (OBJECT_SUBRESOURCES.some((s) => query.has(s))) return xId ?? unsupported;
  switch (method) {
    case "PUT":
      return req.headers["x-amz-copy-source"] ? "CopyObject" : "PutObject";
    case "GET":
      return "GetObject";
    case "HEAD":
      return "HeadObject";
    case "DELETE":
      return "DeleteObject";
    default:
      return unsupported;
  }
}
