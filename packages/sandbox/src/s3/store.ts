import type { Clock } from "../clock.js";
import { ServiceError } from "../errors.js";
import type { HttpResult } from "../http-result.js";
import { SortedIndex } from "../sorted-index.js";
import { checkIfMatch } from "./conditions.js";
import { noSuchBucket, noSuchKey } from "./errors.js";
import { listBuckets, listObjectsV2 } from "./listing.js";
import { type Bucket, objectHeaders, type S3Object, type StoredObject } from "./objects.js";
import { type KmsKeyState, objectToPut, putObjectHeaders } from "./put-object.js";
import { requestHeader, type S3Request } from "./routing.js";

function checkBucketName(name: string): void {
  const valid =
    name.length >= 3 &&
    name.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !/\.\./.test(name) &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name);
  if (!valid)
    throw new ServiceError("InvalidBucketName", "The specified bucket is not valid.", 400, {
      BucketName: name,
    });
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
      throw new ServiceError(
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

  /** The state of a declared KMS key; undefined for one never declared (used as if enabled). */
  kmsKeyState(id: string): KmsKeyState | undefined {
    return this.kmsKeys.get(id);
  }

  /** Removes every bucket and object, and every declared KMS key. */
  clear(): void {
    this.buckets.clear();
    this.kmsKeys.clear();
  }

  private bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw noSuchBucket(name);
    return b;
  }

  private object(b: Bucket, key: string): S3Object {
    const o = b.objects.get(key);
    if (!o) throw noSuchKey(key);
    return o;
  }

  /** Runs one S3 operation (as named by `s3Operation`) and builds its HTTP answer. */
  handle(op: string, req: S3Request): HttpResult {
    const bucket = req.bucket ?? "";
    const key = req.key ?? "";
    switch (op) {
      case "ListBuckets":
        return listBuckets(this.buckets.values());
      case "CreateBucket":
        this.createBucket(bucket);
        return { status: 200, headers: { location: `/${bucket}` }, body: "" };
      case "HeadBucket":
        this.bucket(bucket);
        return { status: 200, headers: { "x-amz-bucket-region": this.region }, body: "" };
      case "DeleteBucket": {
        const b = this.bucket(bucket);
        if (b.objects.size > 0) {
          throw new ServiceError(
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty",
            409,
            {
              BucketName: bucket,
            },
          );
        }
        this.buckets.delete(bucket);
        return { status: 204, headers: {}, body: "" };
      }
      case "ListObjectsV2":
        return listObjectsV2(this.bucket(bucket), req.query);
      case "PutObject": {
        const b = this.bucket(bucket);
        const obj = objectToPut(key, req, {
          existing: b.objects.get(key),
          kmsKeyState: (id) => this.kmsKeyState(id),
          nowMs: this.clock.nowMs(),
        });
        b.objects.set(key, obj);
        return { status: 200, headers: putObjectHeaders(obj), body: "" };
      }
      case "GetObject":
      case "HeadObject": {
        const o = this.object(this.bucket(bucket), key);
        const withChecksums =
          requestHeader(req.headers, "x-amz-checksum-mode")?.toUpperCase() === "ENABLED";
        return {
          status: 200,
          headers: objectHeaders(o, { withChecksums }),
          body: op === "GetObject" ? o.body : "",
        };
      }
      case "DeleteObject": {
        const b = this.bucket(bucket);
        const ifMatch = requestHeader(req.headers, "if-match");
        if (ifMatch !== undefined) checkIfMatch(b.objects.get(key), key, ifMatch);
        b.objects.delete(key);
        return { status: 204, headers: {}, body: "" };
      }
      default:
        throw new ServiceError(
          "NotImplemented",
          "A header or query you provided implies functionality that is not implemented.",
          501,
        );
    }
  }
}
