import { hostname } from "node:os";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import * as E from "fp-ts/lib/Either.js";
import { AwsError, errorCode, mapAwsError } from "./errors.js";
import { type Log, silentLog } from "./log.js";

/**
 * The run lease: one keyrotate run per account at a time.
 *
 * A run that may change anything first takes the lease, an S3 object in the credentials bucket
 * (`keyrotate/lease.json`, outside `credential/`, which the readers' policy covers), with a
 * conditional write that only one writer can win: `PutObject` with `If-None-Match: *`. The object
 * names its owner and an expiry. A lease whose expiry has passed (its run was killed) is taken
 * over with `If-Match` on the ETag that was read, so that of two runs taking it over only one
 * wins. The holder renews it while it runs and deletes it at the end (`If-Match` again: never
 * another run's lease). A second run waits a bounded time for the lease, then gives up with an
 * error naming the holder, having changed nothing.
 */

/** Where the lease lives in the credentials bucket. */
export const DEFAULT_LEASE_KEY = "keyrotate/lease.json";
/** How long a second run waits for the lease by default (`LEASE_WAIT_SECONDS`). */
export const DEFAULT_LEASE_WAIT_MS = 60_000;
/**
 * How long a lease lasts without renewal by default (`LEASE_TTL_SECONDS`): the time a killed run
 * blocks the next one. The holder renews it every third of that, so a long run keeps it.
 */
export const DEFAULT_LEASE_TTL_MS = 300_000;
/**
 * How long a run that waited for another run's lease pauses once it has the lease, before it
 * reads the account: IAM's writes take seconds to show in its reads, and the other run has just
 * written (AWS documents eventual consistency for IAM). Without the pause, the run could act on
 * the account as it was before the other run, and repeat its notices.
 */
export const DEFAULT_LEASE_SETTLE_MS = 10_000;
/** Longest pause between two looks at a held lease. */
const DEFAULT_POLL_MS = 2_000;

/** Options of {@link acquireLease}. Every field has a default. */
export interface LeaseOptions {
  /** The lease object's key (default {@link DEFAULT_LEASE_KEY}). */
  readonly key?: string;
  /** Who holds it, for the message another run shows (default `<host> pid <pid>`). */
  readonly owner?: string;
  /** How long to wait for a lease another run holds (default {@link DEFAULT_LEASE_WAIT_MS}). */
  readonly waitMs?: number;
  /** How long the lease lasts unless renewed (default {@link DEFAULT_LEASE_TTL_MS}). */
  readonly ttlMs?: number;
  /** Longest pause between two looks at a held lease (default 2 s). */
  readonly pollMs?: number;
  /**
   * After waiting for another run's lease, how long to pause once it is ours, so that the other
   * run's writes show in IAM's reads (default {@link DEFAULT_LEASE_SETTLE_MS}).
   */
  readonly settleMs?: number;
  /**
   * The clock that expiries are written and compared with (default the system clock). A wall
   * clock shared by every runner, never the run's `today`: runners on two hosts compare times.
   */
  readonly now?: () => Date;
  /** How to wait; injected so that tests need not sleep (default `setTimeout`). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Renew the lease every `ttlMs / 3` while it is held (default true). */
  readonly renew?: boolean;
}

/** What the lease object holds. */
export interface LeaseRecord {
  readonly owner: string;
  readonly runId: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

/** A lease this run holds. */
export interface HeldLease {
  readonly record: LeaseRecord;
  /** The expired lease this run took over, if it did. */
  readonly tookOver: LeaseRecord | "unreadable" | undefined;
  /** Time spent waiting for another run's lease, in ms (the sum of the pauses). */
  readonly waitedMs: number;
  /** True once the lease may have passed to another run: stop starting users. */
  readonly lost: () => boolean;
  /** Stops renewing and deletes the lease if it is still this run's. Never rejects. */
  readonly release: () => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The default owner: this host and process. */
export const defaultLeaseOwner = (): string => `${hostname()} pid ${process.pid}`;

const isPreconditionFailed = (e: unknown): boolean =>
  errorCode(e) === "PreconditionFailed" ||
  (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === 412;

/** S3's answer to two conditional writes of one key at once: try again. */
const isConditionalConflict = (e: unknown): boolean =>
  errorCode(e) === "ConditionalRequestConflict" ||
  (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === 409;

const isNoSuchKey = (e: unknown): boolean =>
  errorCode(e) === "NoSuchKey" || errorCode(e) === "NotFound";

/** Reads a lease object's body; undefined when it is not a lease keyrotate wrote. */
export const parseLeaseRecord = (text: string): LeaseRecord | undefined => {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const fields = ["owner", "runId", "acquiredAt", "expiresAt"] as const;
    if (fields.some((f) => typeof o[f] !== "string")) return undefined;
    if (Number.isNaN(Date.parse(o.expiresAt as string))) return undefined;
    return {
      owner: o.owner as string,
      runId: o.runId as string,
      acquiredAt: o.acquiredAt as string,
      expiresAt: o.expiresAt as string,
    };
  } catch {
    return undefined;
  }
};

const describeHolder = (r: LeaseRecord): string =>
  `${r.owner}, run ${r.runId}, since ${r.acquiredAt}, until ${r.expiresAt}`;

/**
 * Takes the run lease of `bucket` for run `runId`, waiting up to `waitMs` while another run holds
 * it. Left with a `LeaseHeld` error (naming the holder and its expiry) when the wait ran out, or
 * with the S3 error that kept the lease from being read or written; nothing else was done then.
 *
 * @example const lease = await acquireLease(clients.s3, settings.s3CsvBucket, runId);
 */
export const acquireLease = async (
  s3: S3Client,
  bucket: string,
  runId: string,
  options: LeaseOptions = {},
  log: Log = silentLog,
): Promise<E.Either<AwsError, HeldLease>> => {
  const key = options.key ?? DEFAULT_LEASE_KEY;
  const owner = options.owner ?? defaultLeaseOwner();
  const waitMs = options.waitMs ?? DEFAULT_LEASE_WAIT_MS;
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  const where = `s3://${bucket}/${key}`;
  const acquiredAt = now().toISOString();
  const recordUntil = (): LeaseRecord => ({
    owner,
    runId,
    acquiredAt,
    expiresAt: new Date(now().getTime() + ttlMs).toISOString(),
  });
  const put = async (record: LeaseRecord, condition: { IfNoneMatch: "*" } | { IfMatch: string }) =>
    (
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(record),
          ContentType: "application/json",
          // SSE-S3 always: the lease holds no secret, and reading it must not need a KMS grant.
          ServerSideEncryption: "AES256",
          ...condition,
        }),
      )
    ).ETag;

  let waited = 0;
  let holder: LeaseRecord | "unreadable" | undefined;
  for (;;) {
    // 1. Create the lease if there is none.
    let record = recordUntil();
    try {
      const etag = await put(record, { IfNoneMatch: "*" });
      const lease = held(s3, bucket, key, record, etag, undefined, waited, options, log);
      if (waited > 0) await sleep(options.settleMs ?? DEFAULT_LEASE_SETTLE_MS);
      return E.right(lease);
    } catch (e) {
      if (!isPreconditionFailed(e) && !isConditionalConflict(e)) {
        return E.left(leaseError("s3:PutObject", where, e));
      }
    }
    // 2. There is one: read it, and take it over if it has expired (or is not a lease at all).
    let current: { record: LeaseRecord | undefined; etag: string | undefined } | undefined;
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      current = {
        record: parseLeaseRecord((await got.Body?.transformToString()) ?? ""),
        etag: got.ETag,
      };
    } catch (e) {
      if (!isNoSuchKey(e)) return E.left(leaseError("s3:GetObject", where, e));
      continue; // released meanwhile: try to create it again at once
    }
    holder = current.record ?? "unreadable";
    if (
      current.record?.runId === runId &&
      current.record.owner === owner &&
      current.record.acquiredAt === acquiredAt &&
      current.etag !== undefined
    ) {
      // Our own create took effect but its answer was lost, and the SDK's retry met it.
      return E.right(
        held(s3, bucket, key, current.record, current.etag, undefined, waited, options, log),
      );
    }
    const expired =
      current.record === undefined || Date.parse(current.record.expiresAt) <= now().getTime();
    if (expired && current.etag !== undefined) {
      record = recordUntil();
      try {
        const etag = await put(record, { IfMatch: current.etag });
        log({
          level: "warn",
          event: "lease-taken-over",
          message: `took over the expired run lease ${where} (${holder === "unreadable" ? "not a lease keyrotate wrote" : describeHolder(holder)})`,
        });
        return E.right(held(s3, bucket, key, record, etag, holder, waited, options, log));
      } catch (e) {
        // Another run took it over first, or it was released: look again.
        if (!isPreconditionFailed(e) && !isConditionalConflict(e) && !isNoSuchKey(e)) {
          return E.left(leaseError("s3:PutObject", where, e));
        }
        continue;
      }
    }
    // 3. Held by a live run: wait a while, or give up.
    if (waited >= waitMs) break;
    const pause = Math.min(pollMs, waitMs - waited);
    if (waited === 0) {
      log({
        level: "info",
        event: "lease-wait",
        message: `another keyrotate run holds ${where} (${holder === "unreadable" ? "unreadable" : describeHolder(holder)}); waiting up to ${Math.round(waitMs / 1000)} s`,
      });
    }
    await sleep(pause);
    waited += pause;
  }
  const who =
    holder === undefined || holder === "unreadable" ? "another run" : describeHolder(holder);
  return E.left(
    new AwsError(
      "LeaseHeld",
      "s3:PutObject",
      `another keyrotate run holds the run lease ${where} (${who}); waited ${Math.round(waited / 1000)} s; nothing was changed. Run again once it has finished${holder !== undefined && holder !== "unreadable" ? `, or after ${holder.expiresAt} if it was killed` : ""}.`,
      "PreconditionFailed",
    ),
  );
};

const leaseError = (operation: string, where: string, e: unknown): AwsError => {
  const error = mapAwsError(operation, e);
  return new AwsError(
    error.tag,
    operation,
    `the run lease ${where} could not be taken; nothing was changed: ${error.message}`,
    error.code,
    { cause: error },
  );
};

const held = (
  s3: S3Client,
  bucket: string,
  key: string,
  first: LeaseRecord,
  firstEtag: string | undefined,
  tookOver: LeaseRecord | "unreadable" | undefined,
  waitedMs: number,
  options: LeaseOptions,
  log: Log,
): HeldLease => {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const now = options.now ?? (() => new Date());
  const where = `s3://${bucket}/${key}`;
  let record = first;
  let etag = firstEtag;
  let lost = false;
  let released = false;
  let renewing: Promise<void> = Promise.resolve();
  /** After a 412: the lease may be ours still, renewed by an attempt whose answer was lost. */
  const stillOurs = async (): Promise<boolean> => {
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const current = parseLeaseRecord((await got.Body?.transformToString()) ?? "");
      if (
        current?.runId !== record.runId ||
        current.owner !== record.owner ||
        current.acquiredAt !== record.acquiredAt ||
        got.ETag === undefined
      ) {
        return false;
      }
      record = current;
      etag = got.ETag;
      return true;
    } catch {
      return false;
    }
  };
  const renewOnce = async () => {
    if (lost || released || etag === undefined) return;
    const next: LeaseRecord = {
      ...record,
      expiresAt: new Date(now().getTime() + ttlMs).toISOString(),
    };
    try {
      const out = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(next),
          ContentType: "application/json",
          ServerSideEncryption: "AES256",
          IfMatch: etag,
        }),
      );
      record = next;
      etag = out.ETag;
    } catch (e) {
      if (isPreconditionFailed(e) && (await stillOurs())) return;
      if (isPreconditionFailed(e) || isNoSuchKey(e)) {
        lost = true;
        log({
          level: "error",
          event: "lease-lost",
          message: `the run lease ${where} passed to another run; no further user is started`,
        });
        return;
      }
      log({
        level: "warn",
        event: "lease-renewal-failed",
        message: `the run lease ${where} could not be renewed (${mapAwsError("s3:PutObject", e).message}); it holds until ${record.expiresAt}`,
      });
    }
  };
  const timer =
    options.renew === false
      ? undefined
      : setInterval(
          () => {
            renewing = renewing.then(renewOnce);
          },
          Math.max(1, Math.floor(ttlMs / 3)),
        );
  timer?.unref();
  return {
    record: first,
    tookOver,
    waitedMs,
    lost: () => lost || Date.parse(record.expiresAt) <= now().getTime(),
    release: async () => {
      if (timer !== undefined) clearInterval(timer);
      await renewing;
      released = true;
      if (lost || etag === undefined) return;
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
      } catch (e) {
        // Not ours any more, or S3 failed: the lease expires by itself at its time.
        log({
          level: "warn",
          event: "lease-release-failed",
          message: `the run lease ${where} was not released (${mapAwsError("s3:DeleteObject", e).message}); it expires at ${record.expiresAt}`,
        });
      }
    },
  };
};

/**
 * Reads the lease settings from the environment: `LEASE_WAIT_SECONDS` (default 60) and
 * `LEASE_TTL_SECONDS` (default 300, at least 3). Left with one message naming every bad value.
 *
 * @example leaseOptionsFromEnv(process.env) // E.right({ waitMs: 60000, ttlMs: 300000 })
 */
export const leaseOptionsFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
): E.Either<string, { readonly waitMs: number; readonly ttlMs: number }> => {
  const problems: string[] = [];
  const seconds = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") return fallback;
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
      problems.push(
        `${name} must be a whole number of seconds ≥ ${min}, got ${JSON.stringify(raw)}`,
      );
      return fallback;
    }
    return Number(raw) * 1000;
  };
  const waitMs = seconds("LEASE_WAIT_SECONDS", DEFAULT_LEASE_WAIT_MS, 0);
  const ttlMs = seconds("LEASE_TTL_SECONDS", DEFAULT_LEASE_TTL_MS, 3);
  return problems.length > 0 ? E.left(problems.join("; ")) : E.right({ waitMs, ttlMs });
};
