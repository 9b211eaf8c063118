import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { decodeAwsChunked } from "./aws-chunked.js";
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, computeChecksum } from "./checksums.js";
import type { Clock } from "./clock.js";
import { AwsError } from "./errors.js";
import { SortedIndex } from "./sorted-index.js";
import { node, text, XML_DECLARATION } from "./xml.js";

const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";
const SSE_VALUES = ["AES256", "aws:kms", "aws:kms:dsse"];

/** The states of a KMS key that matter to an SSE-KMS put. */
export type KmsKeyState = "Enabled" | "Disabled" | "PendingDeletion";

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

interface S3Object {
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

interface Bucket {
  name: string;
  createDate: number;
  objects: SortedIndex<S3Object>;
}

/** An HTTP answer built by a service handler, written out by the server. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** A path-style S3 request, already split into bucket and key. */
export interface S3Request {
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
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
    throw new AwsError("InvalidURI", "Couldn't parse the specified URI.", 400);
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

/** S3's 412 for a condition that did not hold, naming the header. */
function preconditionFailed(condition: string): AwsError {
  return new AwsError(
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
function checkIfMatch(obj: S3Object | undefined, key: string, ifMatch: string): void {
  if (obj === undefined) {
    throw new AwsError("NoSuchKey", "The specified key does not exist.", 404, { Key: key });
  }
  const bare = (etag: string) => etag.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
  if (ifMatch.trim() !== "*" && bare(ifMatch) !== bare(obj.etag)) {
    throw preconditionFailed("If-Match");
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function checkBucketName(name: string): void {
  const valid =
    name.length >= 3 &&
    name.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !/\.\./.test(name) &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name);
  if (!valid)
    throw new AwsError("InvalidBucketName", "The specified bucket is not valid.", 400, {
      BucketName: name,
    });
}

function objectHeaders(obj: S3Object, withChecksums: boolean): Record<string, string> {
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
  if (withChecksums) {
    for (const [alg, value] of Object.entries(obj.checksums)) h[`x-amz-checksum-${alg}`] = value;
  }
  return h;
}

function xmlResult(status: number, body: string): HttpResult {
  return { status, headers: { "content-type": "application/xml" }, body: XML_DECLARATION + body };
}

/**
 * The S3 part of the fake account: buckets and their objects, with the REST operations on them.
 * Objects sit in a sorted index per bucket so ListObjectsV2 pages by prefix in O(log n + page).
 */
export class S3Store {
  private readonly buckets = new Map<string, Bucket>();
  private readonly kmsKeys = new Map<string, KmsKeyState>();

  /** Builds an empty store that stamps objects with `clock` time. */
  constructor(
    private readonly clock: Clock,
    private readonly region: string,
  ) {}

  /** Creates a bucket (idempotent in us-east-1, as S3 is there). */
  createBucket(name: string): void {
    checkBucketName(name);
    if (this.buckets.has(name)) {
      if (this.region === "us-east-1") return;
      throw new AwsError(
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
        { BucketName: name },
      );
    }
    this.buckets.set(name, { name, createDate: this.clock.nowMs(), objects: new SortedIndex() });
  }

  /** Names of all buckets, for scenario validation. */
  bucketNames(): string[] {
    return [...this.buckets.keys()];
  }

  /** Every object (optionally of one bucket) for inspection. */
  objects(bucket?: string): StoredObject[] {
    const out: StoredObject[] = [];
    for (const b of this.buckets.values()) {
      if (bucket !== undefined && b.name !== bucket) continue;
      for (const o of b.objects.values()) {
        out.push({
          bucket: b.name,
          key: o.key,
          body: o.body,
          contentType: o.contentType,
          serverSideEncryption: o.serverSideEncryption,
          kmsKeyId: o.kmsKeyId,
          metadata: { ...o.metadata },
          lastModified: new Date(o.lastModifiedMs),
        });
      }
    }
    return out;
  }

  /**
   * Declares a KMS key that SSE-KMS puts may name (by id, ARN or alias, exactly as given) and its
   * state. A put naming a `Disabled` or `PendingDeletion` key is refused as S3 refuses it
   * (`KMS.DisabledException`, `KMS.KMSInvalidStateException`). Keys never declared are accepted
   * as if enabled, so that a scenario without KMS keys puts with any key id.
   */
  setKmsKey(id: string, state: KmsKeyState): void {
    this.kmsKeys.set(id, state);
  }

  /** Removes every bucket and object, and every declared KMS key. */
  clear(): void {
    this.buckets.clear();
    this.kmsKeys.clear();
  }

  private checkKmsKey(kmsKeyId: string | null): void {
    if (kmsKeyId === null) return;
    const state = this.kmsKeys.get(kmsKeyId);
    if (state === "Disabled") {
      throw new AwsError("KMS.DisabledException", `${kmsKeyId} is disabled.`, 400);
    }
    if (state === "PendingDeletion") {
      throw new AwsError("KMS.KMSInvalidStateException", `${kmsKeyId} is pending deletion.`, 400);
    }
  }

  private bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b)
      throw new AwsError("NoSuchBucket", "The specified bucket does not exist", 404, {
        BucketName: name,
      });
    return b;
  }

  private object(b: Bucket, key: string): S3Object {
    const o = b.objects.get(key);
    if (!o) throw new AwsError("NoSuchKey", "The specified key does not exist.", 404, { Key: key });
    return o;
  }

  /** Runs one S3 operation (as named by `s3Operation`) and builds its HTTP answer. */
  handle(op: string, req: S3Request): HttpResult {
    const bucket = req.bucket ?? "";
    const key = req.key ?? "";
    switch (op) {
      case "ListBuckets":
        return this.listBuckets();
      case "CreateBucket":
        this.createBucket(bucket);
        return { status: 200, headers: { location: `/${bucket}` }, body: "" };
      case "HeadBucket":
        this.bucket(bucket);
        return { status: 200, headers: { "x-amz-bucket-region": this.region }, body: "" };
      case "DeleteBucket": {
        const b = this.bucket(bucket);
        if (b.objects.size > 0) {
          throw new AwsError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, {
            BucketName: bucket,
          });
        }
        this.buckets.delete(bucket);
        return { status: 204, headers: {}, body: "" };
      }
      case "ListObjectsV2":
        return this.listObjectsV2(this.bucket(bucket), req.query);
      case "PutObject":
        return this.putObject(this.bucket(bucket), key, req);
      case "GetObject":
      case "HeadObject": {
        const o = this.object(this.bucket(bucket), key);
        const withChecksums =
          header(req.headers, "x-amz-checksum-mode")?.toUpperCase() === "ENABLED";
        return {
          status: 200,
          headers: objectHeaders(o, withChecksums),
          body: op === "GetObject" ? o.body : "",
        };
      }
      case "DeleteObject": {
        const b = this.bucket(bucket);
        const ifMatch = header(req.headers, "if-match");
        if (ifMatch !== undefined) checkIfMatch(b.objects.get(key), key, ifMatch);
        b.objects.delete(key);
        return { status: 204, headers: {}, body: "" };
      }
      default:
        throw new AwsError(
          "NotImplemented",
          "A header or query you provided implies functionality that is not implemented.",
          501,
        );
    }
  }

  private listBuckets(): HttpResult {
    const buckets = [...this.buckets.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((b) =>
        node(
          "Bucket",
          text("Name", b.name) + text("CreationDate", new Date(b.createDate).toISOString()),
        ),
      );
    return xmlResult(
      200,
      `<ListAllMyBucketsResult xmlns="${S3_NS}">` +
        node("Owner", text("ID", "sandbox-owner") + text("DisplayName", "sandbox")) +
        node("Buckets", ...buckets) +
        "</ListAllMyBucketsResult>",
    );
  }

  private putObject(b: Bucket, key: string, req: S3Request): HttpResult {
    const { headers } = req;
    if (key.length > 1024) throw new AwsError("KeyTooLongError", "Your key is too long", 400);
    const sse = header(headers, "x-amz-server-side-encryption") ?? null;
    const kmsKeyId = header(headers, "x-amz-server-side-encryption-aws-kms-key-id") ?? null;
    if (sse !== null && !SSE_VALUES.includes(sse)) {
      throw new AwsError(
        "InvalidArgument",
        "The encryption method specified is not supported",
        400,
        {
          ArgumentName: "x-amz-server-side-encryption",
          ArgumentValue: sse,
        },
      );
    }
    if (kmsKeyId !== null && !sse?.startsWith("aws:kms")) {
      throw new AwsError(
        "InvalidArgument",
        "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        400,
      );
    }
    this.checkKmsKey(kmsKeyId);
    let body = req.body;
    let trailers: Record<string, string> = {};
    const encodings = (header(headers, "content-encoding") ?? "")
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e !== "");
    const chunked =
      encodings.includes("aws-chunked") ||
      (header(headers, "x-amz-content-sha256") ?? "").startsWith("STREAMING-");
    if (chunked) {
      ({ data: body, trailers } = decodeAwsChunked(body));
      const declared = header(headers, "x-amz-decoded-content-length");
      if (declared !== undefined && Number(declared) !== body.length) {
        throw new AwsError(
          "IncompleteBody",
          "You did not provide the number of bytes specified by the Content-Length HTTP header",
          400,
        );
      }
    }
    const md5 = header(headers, "content-md5");
    const digest = createHash("md5").update(body).digest();
    if (md5 !== undefined && md5 !== digest.toString("base64")) {
      throw new AwsError(
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        400,
      );
    }
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const sent = trailers[`x-amz-checksum-${alg}`] ?? header(headers, `x-amz-checksum-${alg}`);
      if (sent === undefined) continue;
      const actual = computeChecksum(alg, body);
      if (actual !== undefined && actual !== sent) {
        throw new AwsError(
          "BadDigest",
          `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`,
          400,
        );
      }
      checksums[alg] = sent;
    }
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith("x-amz-meta-") && value !== undefined) {
        metadata[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
      }
    }
    // Conditional writes, checked last as S3 does, right before the object is replaced.
    const ifNoneMatch = header(headers, "if-none-match");
    const ifMatch = header(headers, "if-match");
    if (ifNoneMatch !== undefined) {
      if (ifNoneMatch !== "*") {
        throw new AwsError(
          "NotImplemented",
          "A header you provided implies functionality that is not implemented",
          501,
          { Header: "If-None-Match" },
        );
      }
      if (b.objects.get(key) !== undefined) throw preconditionFailed("If-None-Match");
    }
    if (ifMatch !== undefined) checkIfMatch(b.objects.get(key), key, ifMatch);
    const contentEncoding = encodings.filter((e) => e !== "aws-chunked").join(", ");
    const obj: S3Object = {
      key,
      body,
      contentType: header(headers, "content-type") ?? "binary/octet-stream",
      contentEncoding: contentEncoding === "" ? undefined : contentEncoding,
      serverSideEncryption: sse,
      kmsKeyId,
      metadata,
      lastModifiedMs: this.clock.nowMs(),
      etag: `"${digest.toString("hex")}"`,
      checksums,
    };
    b.objects.set(key, obj);
    const out: Record<string, string> = { etag: obj.etag };
    if (sse) out["x-amz-server-side-encryption"] = sse;
    if (kmsKeyId) out["x-amz-server-side-encryption-aws-kms-key-id"] = kmsKeyId;
    for (const [alg, value] of Object.entries(checksums)) out[`x-amz-checksum-${alg}`] = value;
    return { status: 200, headers: out, body: "" };
  }

  private listObjectsV2(b: Bucket, q: URLSearchParams): HttpResult {
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const startAfter = q.get("start-after") ?? undefined;
    const token = q.get("continuation-token") ?? undefined;
    const encodingType = q.get("encoding-type") ?? undefined;
    if (encodingType !== undefined && encodingType !== "url") {
      throw new AwsError("InvalidArgument", "Invalid Encoding Method specified in Request", 400);
    }
    const rawMax = q.get("max-keys");
    let maxKeys = 1000;
    if (rawMax !== null) {
      if (!/^\d+$/.test(rawMax)) {
        throw new AwsError(
          "InvalidArgument",
          "Provided max-keys not an integer or within integer range",
          400,
          {
            ArgumentName: "max-keys",
            ArgumentValue: rawMax,
          },
        );
      }
      maxKeys = Math.min(Number(rawMax), 1000);
    }
    let after = startAfter;
    let skipPrefix: string | undefined;
    if (token !== undefined) {
      const resume = decodeToken(token);
      after = resume.after;
      skipPrefix = resume.commonPrefix ? resume.after : undefined;
    }
    const keys = b.objects.sortedKeys();
    let i = b.objects.indexAtOrAfter(prefix);
    if (after !== undefined) i = Math.max(i, b.objects.indexAfter(after));
    const contents: S3Object[] = [];
    const commonPrefixes: string[] = [];
    let lastEntry: { after: string; commonPrefix: boolean } | undefined;
    let truncated = false;
    for (; i < keys.length; i++) {
      const key = keys[i] as string;
      if (!key.startsWith(prefix)) break;
      if (skipPrefix !== undefined && key.startsWith(skipPrefix)) continue;
      let entryPrefix: string | undefined;
      if (delimiter !== "") {
        const d = key.indexOf(delimiter, prefix.length);
        if (d >= 0) entryPrefix = key.slice(0, d + delimiter.length);
      }
      if (entryPrefix !== undefined && entryPrefix === commonPrefixes[commonPrefixes.length - 1])
        continue;
      if (contents.length + commonPrefixes.length >= maxKeys) {
        truncated = true;
        break;
      }
      if (entryPrefix !== undefined) {
        commonPrefixes.push(entryPrefix);
        lastEntry = { after: entryPrefix, commonPrefix: true };
        skipPrefix = entryPrefix;
      } else {
        contents.push(b.objects.get(key) as S3Object);
        lastEntry = { after: key, commonPrefix: false };
      }
    }
    const enc = (s: string) =>
      encodingType === "url" ? encodeURIComponent(s).replace(/%2F/g, "/") : s;
    const body =
      `<ListBucketResult xmlns="${S3_NS}">` +
      text("Name", b.name) +
      text("Prefix", enc(prefix)) +
      (delimiter !== "" ? text("Delimiter", enc(delimiter)) : "") +
      text("MaxKeys", maxKeys) +
      text("KeyCount", contents.length + commonPrefixes.length) +
      text("IsTruncated", truncated) +
      (encodingType ? text("EncodingType", encodingType) : "") +
      (token !== undefined ? text("ContinuationToken", token) : "") +
      (truncated && lastEntry ? text("NextContinuationToken", encodeToken(lastEntry)) : "") +
      (startAfter !== undefined ? text("StartAfter", enc(startAfter)) : "") +
      contents
        .map((o) =>
          node(
            "Contents",
            text("Key", enc(o.key)) +
              text("LastModified", new Date(o.lastModifiedMs).toISOString()) +
              text("ETag", o.etag) +
              text("Size", o.body.length) +
              text("StorageClass", "STANDARD"),
          ),
        )
        .join("") +
      commonPrefixes.map((p) => node("CommonPrefixes", text("Prefix", enc(p)))).join("") +
      "</ListBucketResult>";
    return xmlResult(200, body);
  }
}

function encodeToken(entry: { after: string; commonPrefix: boolean }): string {
  return Buffer.from(
    JSON.stringify([entry.commonPrefix ? "p" : "k", entry.after]),
    "utf8",
  ).toString("base64");
}

function decodeToken(token: string): { after: string; commonPrefix: boolean } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      (parsed[0] === "p" || parsed[0] === "k") &&
      typeof parsed[1] === "string"
    ) {
      return { after: parsed[1], commonPrefix: parsed[0] === "p" };
    }
  } catch {
    // fall through
  }
  throw new AwsError("InvalidArgument", "The continuation token provided is incorrect", 400, {
    ArgumentName: "continuation-token",
  });
}

/**
 * S3's XML error document (`<Error><Code/><Message/>…<RequestId/><HostId/></Error>`).
 * HEAD requests get the status alone, since S3 sends no body for them.
 */
export function s3ErrorResult(
  err: AwsError,
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
