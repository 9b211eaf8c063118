import { ServiceError } from "../errors.js";
import { type HttpResult, xmlResult } from "../http-result.js";
import { node, text } from "../xml.js";
import type { Bucket, S3Object } from "./objects.js";

const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

/** ListBuckets: every bucket by name, with a fixed owner. */
export function listBuckets(all: Iterable<Bucket>): HttpResult {
  const buckets = [...all]
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

/**
 * ListObjectsV2 of one bucket: prefix, delimiter (common prefixes), start-after, max-keys (1000 at
 * most), url encoding, and continuation tokens that resume after the last key or prefix listed.
 */
export function listObjectsV2(b: Bucket, q: URLSearchParams): HttpResult {
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const startAfter = q.get("start-after") ?? undefined;
  const token = q.get("continuation-token") ?? undefined;
  const encodingType = q.get("encoding-type") ?? undefined;
  if (encodingType !== undefined && encodingType !== "url") {
    throw new ServiceError("InvalidArgument", "Invalid Encoding Method specified in Request", 400);
  }
  const rawMax = q.get("max-keys");
  let maxKeys = 1000;
  if (rawMax !== null) {
    if (!/^\d+$/.test(rawMax)) {
      throw new ServiceError(
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
  throw new ServiceError("InvalidArgument", "The continuation token provided is incorrect", 400, {
    ArgumentName: "continuation-token",
  });
}
