import type { ChecksumAlgorithm } from "../checksums.js";
import type { SortedIndex } from "../sorted-index.js";

/** An object as the sandbox exposes it for inspection (see `Sandbox.objects`). */
export interface StoredObject {
  bucket: string;
  key: string;
  body: Buffer;
  contentType: string;
  /** The `x-amz-server-side-encryption` header the object was put with, or null. */
  serverSideEncryption: string | null;
  /** The `x-amz-server-side-encryption-aws-kms-key-id` header the object was put with, or null. */
  kmsKeyId: string | null;
  /** User metadata (`x-amz-meta-*`), keys lower-cased without the prefix. */
  metadata: Record<string, string>;
  lastModified: Date;
}

/** An object as the store keeps it. */
export interface S3Object {
  key: string;
  body: Buffer;
  contentType: string;
  contentEncoding: string | undefined;
  serverSideEncryption: string | null;
  kmsKeyId: string | null;
  metadata: Record<string, string>;
  lastModifiedMs: number;
  etag: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/** A bucket: its objects sit in a sorted index so that listings page in O(log n + page). */
export interface Bucket {
  name: string;
  createDate: number;
  objects: SortedIndex<S3Object>;
}

/** The response headers of a GetObject or HeadObject, checksums only when asked for. */
export function objectHeaders(
  obj: S3Object,
  options: { withChecksums: boolean },
): Record<string, string> {
  const h: Record<string, string> = {
    "content-type": obj.contentType,
    "content-length": String(obj.body.length),
    etag: obj.etag,
    "last-modified": new Date(obj.lastModifiedMs).toUTCString(),
    "accept-ranges": "bytes",
  };
  if (obj.contentEncoding) h["content-encoding"] = obj.contentEncoding;
  if (obj.serverSideEncryption) h["x-amz-server-side-encryption"] = obj.serverSideEncryption;
  if (obj.kmsKeyId) h["x-amz-server-side-encryption-aws-kms-key-id"] = obj.kmsKeyId;
  for (const [k, v] of Object.entries(obj.metadata)) h[`x-amz-meta-${k}`] = v;
  if (options.withChecksums) {
    for (const [alg, value] of Object.entries(obj.checksums)) h[`x-amz-checksum-${alg}`] = value;
  }
  return h;
}
