import { createHash } from "node:crypto";
import { decodeAwsChunked } from "../aws-chunked.js";
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, computeChecksum } from "../checksums.js";
import { ServiceError } from "../errors.js";
import { checkIfMatch, checkIfNoneMatch } from "./conditions.js";
import type { S3Object } from "./objects.js";
import { requestHeader, type S3Request } from "./routing.js";

const SSE_VALUES = ["AES256", "aws:kms", "aws:kms:dsse"];

/** The states of a KMS key that matter to an SSE-KMS put. */
export type KmsKeyState = "Enabled" | "Disabled" | "PendingDeletion";

/** What a put is checked against besides its own request. */
export interface PutContext {
  /** The object the put would replace, if any (for the conditional headers). */
  readonly existing: S3Object | undefined;
  /** The state of a declared KMS key; undefined for a key never declared (accepted). */
  readonly kmsKeyState: (kmsKeyId: string) => KmsKeyState | undefined;
  /** The time stamped on the object. */
  readonly nowMs: number;
}

function checkEncryption(sse: string | null, kmsKeyId: string | null, context: PutContext): void {
  if (sse !== null && !SSE_VALUES.includes(sse)) {
    throw new ServiceError(
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
    throw new ServiceError(
      "InvalidArgument",
      "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
      400,
    );
  }
  if (kmsKeyId === null) return;
  const state = context.kmsKeyState(kmsKeyId);
  if (state === "Disabled") {
    throw new ServiceError("KMS.DisabledException", `${kmsKeyId} is disabled.`, 400);
  }
  if (state === "PendingDeletion") {
    throw new ServiceError("KMS.KMSInvalidStateException", `${kmsKeyId} is pending deletion.`, 400);
  }
}

/** The body as sent: aws-chunked decoded (with its trailers) when the request says so. */
function readBody(
  req: S3Request,
  encodings: readonly string[],
): { body: Buffer; trailers: Record<string, string> } {
  const chunked =
    encodings.includes("aws-chunked") ||
    (requestHeader(req.headers, "x-amz-content-sha256") ?? "").startsWith("STREAMING-");
  if (!chunked) return { body: req.body, trailers: {} };
  const { data: body, trailers } = decodeAwsChunked(req.body);
  const declared = requestHeader(req.headers, "x-amz-decoded-content-length");
  if (declared !== undefined && Number(declared) !== body.length) {
    throw new ServiceError(
      "IncompleteBody",
      "You did not provide the number of bytes specified by the Content-Length HTTP header",
      400,
    );
  }
  return { body, trailers };
}

/** Checks `Content-MD5` and every `x-amz-checksum-*` sent (header or trailer); returns the latter. */
function checkDigests(
  req: S3Request,
  body: Buffer,
  digest: Buffer,
  trailers: Record<string, string>,
): Partial<Record<ChecksumAlgorithm, string>> {
  const md5 = requestHeader(req.headers, "content-md5");
  if (md5 !== undefined && md5 !== digest.toString("base64")) {
    throw new ServiceError(
      "BadDigest",
      "The Content-MD5 you specified did not match what we received.",
      400,
    );
  }
  const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const alg of CHECKSUM_ALGORITHMS) {
    const sent =
      trailers[`x-amz-checksum-${alg}`] ?? requestHeader(req.headers, `x-amz-checksum-${alg}`);
    if (sent === undefined) continue;
    const actual = computeChecksum(alg, body);
    if (actual !== undefined && actual !== sent) {
      throw new ServiceError(
        "BadDigest",
        `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`,
        400,
      );
    }
    checksums[alg] = sent;
  }
  return checksums;
}

function userMetadata(req: S3Request): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith("x-amz-meta-") && value !== undefined) {
      metadata[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
    }
  }
  return metadata;
}

/**
 * Checks a PutObject as S3 does (key length, encryption and KMS key, aws-chunked length,
 * Content-MD5 and checksums, then the conditional headers last, right before the object is
 * replaced) and returns the object to store.
 */
export function objectToPut(key: string, req: S3Request, context: PutContext): S3Object {
  if (key.length > 1024) throw new ServiceError("KeyTooLongError", "Your key is too long", 400);
  const sse = requestHeader(req.headers, "x-amz-server-side-encryption") ?? null;
  const kmsKeyId =
    requestHeader(req.headers, "x-amz-server-side-encryption-aws-kms-key-id") ?? null;
  checkEncryption(sse, kmsKeyId, context);
  const encodings = (requestHeader(req.headers, "content-encoding") ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  const { body, trailers } = readBody(req, encodings);
  const digest = createHash("md5").update(body).digest();
  const checksums = checkDigests(req, body, digest, trailers);
  const metadata = userMetadata(req);
  const ifNoneMatch = requestHeader(req.headers, "if-none-match");
  if (ifNoneMatch !== undefined) checkIfNoneMatch(context.existing, ifNoneMatch);
  const ifMatch = requestHeader(req.headers, "if-match");
  if (ifMatch !== undefined) checkIfMatch(context.existing, key, ifMatch);
  const contentEncoding = encodings.filter((e) => e !== "aws-chunked").join(", ");
  return {
    key,
    body,
    contentType: requestHeader(req.headers, "content-type") ?? "binary/octet-stream",
    contentEncoding: contentEncoding === "" ? undefined : contentEncoding,
    serverSideEncryption: sse,
    kmsKeyId,
    metadata,
    lastModifiedMs: context.nowMs,
    etag: `"${digest.toString("hex")}"`,
    checksums,
  };
}

/** The response headers of a PutObject that stored `obj`. */
export function putObjectHeaders(obj: S3Object): Record<string, string> {
  const out: Record<string, string> = { etag: obj.etag };
  if (obj.serverSideEncryption) out["x-amz-server-side-encryption"] = obj.serverSideEncryption;
  if (obj.kmsKeyId) out["x-amz-server-side-encryption-aws-kms-key-id"] = obj.kmsKeyId;
  for (const [alg, value] of Object.entries(obj.checksums)) out[`x-amz-checksum-${alg}`] = value;
  return out;
}
