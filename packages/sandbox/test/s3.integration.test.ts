import { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { authorization, caught, clients, raw, sandbox, sandboxWithClients, T0 } from "./support.js";

/** Records the request headers the SDK actually sends, to prove which encoding a test exercised. */
function recordHeaders(client: S3Client): Record<string, string>[] {
  const seen: Record<string, string>[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      seen.push({ ...(args.request as { headers: Record<string, string> }).headers });
      return next(args);
    },
    { step: "finalizeRequest", name: "recordHeaders" },
  );
  return seen;
}

describe("S3 through the real SDK (path-style)", () => {
  it("puts and gets objects, recording SSE, KMS key, content type and metadata, and echoing SSE", async () => {
    const { s, s3 } = await sandboxWithClients();
    await s3.send(new CreateBucketCommand({ Bucket: "reports" }));
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: "reports",
        Key: "2026/11/keys report.csv",
        Body: "user,age\nalice,95\n",
        ContentType: "text/csv",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: "arn:aws:kms:us-east-1:123456789012:key/abcd",
        Metadata: { "run-id": "r-1" },
      }),
    );
    expect(put.ServerSideEncryption).toBe("aws:kms");
    expect(put.SSEKMSKeyId).toBe("arn:aws:kms:us-east-1:123456789012:key/abcd");
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);

    const got = await s3.send(
      new GetObjectCommand({ Bucket: "reports", Key: "2026/11/keys report.csv" }),
    );
    expect(await got.Body?.transformToString()).toBe("user,age\nalice,95\n");
    expect(got).toMatchObject({
      ContentType: "text/csv",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: "arn:aws:kms:us-east-1:123456789012:key/abcd",
      Metadata: { "run-id": "r-1" },
      LastModified: new Date(T0),
      ETag: put.ETag,
    });
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: "reports", Key: "2026/11/keys report.csv" }),
    );
    expect(head.ContentLength).toBe(18);
    expect(head.ServerSideEncryption).toBe("aws:kms");

    const [stored] = s.objects("reports");
    expect(stored).toMatchObject({
      bucket: "reports",
      key: "2026/11/keys report.csv",
      contentType: "text/csv",
      serverSideEncryption: "aws:kms",
      kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/abcd",
      metadata: { "run-id": "r-1" },
      lastModified: new Date(T0),
    });
    expect(stored?.body.toString("utf8")).toBe("user,age\nalice,95\n");

    await s3.send(
      new PutObjectCommand({
        Bucket: "reports",
        Key: "plain",
        Body: "x",
        ServerSideEncryption: "AES256",
      }),
    );
    expect(s.objects("reports").find((o) => o.key === "plain")).toMatchObject({
      serverSideEncryption: "AES256",
      kmsKeyId: null,
    });
    const badSse = await caught(() =>
      s3.send(
        new PutObjectCommand({
          Bucket: "reports",
          Key: "k",
          Body: "x",
          ServerSideEncryption: "rot13" as "AES256",
        }),
      ),
    );
    expect(badSse.name).toBe("InvalidArgument");
  });

  it("stores exactly the bytes put as a string, a Buffer and an aws-chunked stream with trailing checksum", async () => {
    const { s, s3 } = await sandboxWithClients();
    const headers = recordHeaders(s3);
    await s3.send(new CreateBucketCommand({ Bucket: "bytes" }));
    const text = "héllo wörld ✓ — ".repeat(1000);
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    await s3.send(new PutObjectCommand({ Bucket: "bytes", Key: "string", Body: text }));
    await s3.send(new PutObjectCommand({ Bucket: "bytes", Key: "buffer", Body: binary }));
    await s3.send(
      new PutObjectCommand({
        Bucket: "bytes",
        Key: "stream",
        Body: Readable.from([binary.subarray(0, 40_000), binary.subarray(40_000)]),
        ContentLength: binary.length,
      }),
    );
    const streamPut = headers.find((h) => h["content-encoding"] === "aws-chunked");
    expect(streamPut?.["x-amz-decoded-content-length"]).toBe(String(binary.length));
    expect(streamPut?.["x-amz-trailer"]).toMatch(/^x-amz-checksum-/);
    const byKey = Object.fromEntries(s.objects("bytes").map((o) => [o.key, o.body]));
    expect(byKey.string?.equals(Buffer.from(text, "utf8"))).toBe(true);
    expect(byKey.buffer?.equals(binary)).toBe(true);
    expect(byKey.stream?.equals(binary)).toBe(true);
    const back = await s3.send(
      new GetObjectCommand({ Bucket: "bytes", Key: "stream", ChecksumMode: "ENABLED" }),
    );
    expect(Buffer.from((await back.Body?.transformToByteArray()) ?? []).equals(binary)).toBe(true);
    expect(back.ChecksumCRC32).toBeTypeOf("string");
  });

  it("decodes a signed aws-chunked body and rejects a body whose checksum does not match (BadDigest)", async () => {
    const s = await sandbox();
    await clients(s).s3.send(new CreateBucketCommand({ Bucket: "raw-bucket" }));
    const data = Buffer.from("chunk-one|chunk-two");
    const sig = `;chunk-signature=${"0".repeat(64)}`;
    const body = Buffer.concat([
      Buffer.from(`a${sig}\r\n`),
      data.subarray(0, 10),
      Buffer.from(`\r\n9${sig}\r\n`),
      data.subarray(10),
      Buffer.from(`\r\n0${sig}\r\n\r\n`),
    ]);
    const auth = authorization("s3");
    const ok = await raw(s, "/raw-bucket/signed", {
      method: "PUT",
      headers: {
        authorization: auth,
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-decoded-content-length": String(data.length),
      },
      body,
    });
    expect(ok.status).toBe(200);
    expect(s.objects("raw-bucket")[0]?.body.toString()).toBe("chunk-one|chunk-two");

    const trailer = Buffer.concat([
      Buffer.from("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"),
    ]);
    const bad = await raw(s, "/raw-bucket/bad", {
      method: "PUT",
      headers: {
        authorization: auth,
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-decoded-content-length": "3",
      },
      body: trailer,
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("<Code>BadDigest</Code>");
    const garbled = await raw(s, "/raw-bucket/garbled", {
      method: "PUT",
      headers: {
        authorization: auth,
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      },
      body: "zz\r\nnot hex\r\n",
    });
    expect(garbled.status).toBe(400);
    expect(garbled.text).toContain("<Code>IncompleteBody</Code>");
    expect(s.objects("raw-bucket").map((o) => o.key)).toEqual(["signed"]);
  });

  it("lists with prefix, delimiter, max-keys and continuation tokens (paginateListObjectsV2)", async () => {
    const { s3 } = await sandboxWithClients({ seed: { buckets: ["listing"] } });
    const keys = [
      ...Array.from({ length: 25 }, (_, i) => `logs/${String(i).padStart(2, "0")}.txt`),
      "other/a",
      "other/b",
      "top",
    ];
    for (const Key of keys)
      await s3.send(new PutObjectCommand({ Bucket: "listing", Key, Body: Key }));
    const pages: number[] = [];
    const listed: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 10 },
      { Bucket: "listing", Prefix: "logs/" },
    )) {
      pages.push(page.KeyCount ?? 0);
      listed.push(...(page.Contents ?? []).map((c) => c.Key as string));
    }
    expect(pages).toEqual([10, 10, 5]);
    expect(listed).toEqual(keys.slice(0, 25));
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: "listing", Delimiter: "/" }));
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["logs/", "other/"]);
    expect(grouped.Contents?.map((c) => c.Key)).toEqual(["top"]);
    const first = await s3.send(
      new ListObjectsV2Command({ Bucket: "listing", Delimiter: "/", MaxKeys: 1 }),
    );
    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["logs/"]);
    const second = await s3.send(
      new ListObjectsV2Command({
        Bucket: "listing",
        Delimiter: "/",
        MaxKeys: 1,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["other/"]);
    const badToken = await caught(() =>
      s3.send(new ListObjectsV2Command({ Bucket: "listing", ContinuationToken: "nope" })),
    );
    expect(badToken.name).toBe("InvalidArgument");
    const item = (await s3.send(new ListObjectsV2Command({ Bucket: "listing", Prefix: "top" })))
      .Contents?.[0];
    expect(item).toMatchObject({
      Key: "top",
      Size: 3,
      StorageClass: "STANDARD",
      LastModified: new Date(T0),
    });
  });

  it("deletes objects and answers missing buckets and keys with S3's errors", async () => {
    const { s, s3 } = await sandboxWithClients({ seed: { buckets: ["present"] } });
    await s3.send(new PutObjectCommand({ Bucket: "present", Key: "k", Body: "v" }));
    await s3.send(new DeleteObjectCommand({ Bucket: "present", Key: "k" }));
    await s3.send(new DeleteObjectCommand({ Bucket: "present", Key: "never-existed" }));
    expect(s.objects()).toEqual([]);
    const noKey = await caught(() =>
      s3.send(new GetObjectCommand({ Bucket: "present", Key: "k" })),
    );
    expect(noKey).toBeInstanceOf(NoSuchKey);
    expect(noKey.$metadata.httpStatusCode).toBe(404);
    const noBucket = await caught(() =>
      s3.send(new PutObjectCommand({ Bucket: "absent", Key: "k", Body: "v" })),
    );
    expect(noBucket).toBeInstanceOf(NoSuchBucket);
    const listMissing = await caught(() => s3.send(new ListObjectsV2Command({ Bucket: "absent" })));
    expect(listMissing).toBeInstanceOf(NoSuchBucket);
    const headMissing = await caught(() =>
      s3.send(new HeadObjectCommand({ Bucket: "present", Key: "k" })),
    );
    expect(headMissing).toBeInstanceOf(S3ServiceException);
    expect(headMissing.$metadata.httpStatusCode).toBe(404);
    const badName = await caught(() => s3.send(new CreateBucketCommand({ Bucket: "Not_Valid" })));
    expect(badName.name).toBe("InvalidBucketName");
  });

  it("answers unsupported S3 features with NotImplemented instead of pretending", async () => {
    const s = await sandbox({ seed: { buckets: ["feature"] } });
    const res = await raw(s, "/feature?versioning", {
      headers: { authorization: authorization("s3") },
    });
    expect(res.status).toBe(501);
    expect(res.text).toContain("<Code>NotImplemented</Code>");
    expect(s.calls()).toEqual({ "s3:Unsupported:GET": 1 });
    const client = new S3Client(s.clientConfig());
    const created = await client.send(new CreateBucketCommand({ Bucket: "feature" }));
    expect(created.$metadata.httpStatusCode).toBe(200); // idempotent in us-east-1, as on AWS
  });

  it("refuses an SSE-KMS put with a disabled or deleting key as S3 does, and stores nothing", async () => {
    const disabled = "arn:aws:kms:us-east-1:123456789012:key/disabled";
    const deleting = "alias/deleting";
    const { s, s3 } = await sandboxWithClients({
      seed: {
        buckets: ["creds"],
        kmsKeys: [
          { id: disabled, state: "Disabled" },
          { id: deleting, state: "PendingDeletion" },
          { id: "alias/fine" },
        ],
      },
    });
    const put = (key: string, kms: string) =>
      s3.send(
        new PutObjectCommand({
          Bucket: "creds",
          Key: key,
          Body: "x",
          ServerSideEncryption: "aws:kms",
          SSEKMSKeyId: kms,
        }),
      );

    const off = await caught(() => put("a", disabled));
    const gone = await caught(() => put("b", deleting));
    await put("c", "alias/fine");
    await put("d", "arn:aws:kms:us-east-1:123456789012:key/never-declared");

    expect([off.name, off.$metadata.httpStatusCode, off.message]).toEqual([
      "KMS.DisabledException",
      400,
      `${disabled} is disabled.`,
    ]);
    expect([gone.name, gone.$metadata.httpStatusCode]).toEqual([
      "KMS.KMSInvalidStateException",
      400,
    ]);
    expect(s.objects("creds").map((o) => o.key)).toEqual(["c", "d"]);
  });
});

describe("S3 conditional writes, as S3 documents them", () => {
  const put = (extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]>, body = "a") =>
    new PutObjectCommand({ Bucket: "locks", Key: "lease.json", Body: body, ...extra });

  it("creates with If-None-Match: * only when the key is absent (412 PreconditionFailed after)", async () => {
    const { s3 } = await sandboxWithClients();
    await s3.send(new CreateBucketCommand({ Bucket: "locks" }));

    const first = await s3.send(put({ IfNoneMatch: "*" }, "first"));
    const second = await caught(() => s3.send(put({ IfNoneMatch: "*" }, "second")));

    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(second).toBeInstanceOf(S3ServiceException);
    expect(second).toMatchObject({
      name: "PreconditionFailed",
      $metadata: { httpStatusCode: 412 },
    });
    const got = await s3.send(new GetObjectCommand({ Bucket: "locks", Key: "lease.json" }));
    expect(await got.Body?.transformToString()).toBe("first");
  });

  it("replaces with If-Match only while the ETag is the one given", async () => {
    const { s3 } = await sandboxWithClients();
    await s3.send(new CreateBucketCommand({ Bucket: "locks" }));
    const { ETag } = await s3.send(put({}, "v1"));

    const replaced = await s3.send(put({ IfMatch: ETag }, "v2"));
    const stale = await caught(() => s3.send(put({ IfMatch: ETag }, "v3")));
    const absent = await caught(() =>
      s3.send(new PutObjectCommand({ Bucket: "locks", Key: "other", Body: "x", IfMatch: ETag })),
    );

    expect(replaced.ETag).not.toBe(ETag);
    expect(stale).toMatchObject({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
    expect(absent).toBeInstanceOf(NoSuchKey);
    const got = await s3.send(new GetObjectCommand({ Bucket: "locks", Key: "lease.json" }));
    expect(await got.Body?.transformToString()).toBe("v2");
  });

  it("deletes with If-Match only while the ETag is the one given", async () => {
    const { s, s3 } = await sandboxWithClients();
    await s3.send(new CreateBucketCommand({ Bucket: "locks" }));
    const { ETag: old } = await s3.send(put({}, "v1"));
    const { ETag: current } = await s3.send(put({}, "v2"));

    const refused = await caught(() =>
      s3.send(new DeleteObjectCommand({ Bucket: "locks", Key: "lease.json", IfMatch: old })),
    );
    expect(refused).toMatchObject({ name: "PreconditionFailed" });
    expect(s.objects("locks")).toHaveLength(1);

    await s3.send(
      new DeleteObjectCommand({ Bucket: "locks", Key: "lease.json", IfMatch: current }),
    );
    expect(s.objects("locks")).toEqual([]);
  });

  it("refuses If-None-Match with an ETag on a write: S3 supports only *", async () => {
    const { s3 } = await sandboxWithClients();
    await s3.send(new CreateBucketCommand({ Bucket: "locks" }));

    const error = await caught(() => s3.send(put({ IfNoneMatch: '"abc"' })));

    expect(error).toMatchObject({ $metadata: { httpStatusCode: 501 } });
  });
});
