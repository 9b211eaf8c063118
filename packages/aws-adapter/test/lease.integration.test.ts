import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { ScenarioUser } from "@keyrotate/sandbox";
import { BUCKET, type Harness, keysOf, startHarness } from "@keyrotate/testkit";
import * as E from "fp-ts/lib/Either.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AttemptMiddleware } from "../src/clients.js";
import {
  acquireLease,
  DEFAULT_LEASE_KEY,
  type HeldLease,
  type LeaseRecord,
  leaseOptionsFromEnv,
} from "../src/lease.js";
import type { LogEntry } from "../src/log.js";

const alice: ScenarioUser = {
  name: "alice",
  tags: { email: "alice@example.com" },
  keys: [{ ageDays: 61, lastUsedDaysAgo: 1, id: "AKIAALICE00000000001" }],
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const T = new Date("2026-01-01T09:00:00Z");
/** A settable wall clock for the lease, apart from the sandbox's. */
const clock = (start = T) => {
  let at = start.getTime();
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
};
/** A sleep that only counts, and runs `during` on each pause. */
const countingSleep = (during: () => Promise<void> | void = () => undefined) => {
  const pauses: number[] = [];
  return {
    pauses,
    sleep: async (ms: number) => {
      pauses.push(ms);
      await during();
    },
  };
};

const leaseObject = (harness: Harness) =>
  harness.sandbox.objects(BUCKET).find((o) => o.key === DEFAULT_LEASE_KEY);
const leaseBody = (harness: Harness): LeaseRecord | undefined => {
  const o = leaseObject(harness);
  return o === undefined ? undefined : (JSON.parse(o.body.toString("utf8")) as LeaseRecord);
};
const held = (e: E.Either<unknown, HeldLease>): HeldLease => {
  if (E.isLeft(e)) throw e.left;
  return e.right;
};

describe("the run lease against the sandbox", () => {
  it("is an object with owner and expiry while held, and gone once released", async () => {
    h = await startHarness([]);
    const c = clock();

    const lease = held(
      await acquireLease(h.clients.s3, BUCKET, "run-a", {
        owner: "cli host-1 pid 42",
        ttlMs: 300_000,
        now: c.now,
        renew: false,
      }),
    );

    expect(leaseBody(h)).toEqual({
      owner: "cli host-1 pid 42",
      runId: "run-a",
      acquiredAt: "2026-01-01T09:00:00.000Z",
      expiresAt: "2026-01-01T09:05:00.000Z",
    });
    expect(leaseObject(h)?.serverSideEncryption).toBe("AES256");
    await lease.release();
    expect(leaseObject(h)).toBeUndefined();
  });

  it("makes a second run wait its bounded time, then give up naming the holder", async () => {
    h = await startHarness([]);
    const c = clock();
    const first = held(
      await acquireLease(h.clients.s3, BUCKET, "run-a", {
        owner: "lambda",
        now: c.now,
        renew: false,
      }),
    );
    const { pauses, sleep } = countingSleep(() => void c.advance(2_000));

    const second = await acquireLease(h.clients.s3, BUCKET, "run-b", {
      waitMs: 10_000,
      pollMs: 2_000,
      now: c.now,
      sleep,
    });

    expect(pauses.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(E.isLeft(second) && second.left.toJSON()).toMatchObject({
      tag: "LeaseHeld",
      message: expect.stringMatching(/lambda, run run-a.*waited 10 s; nothing was changed/),
    });
    expect(leaseBody(h)?.runId).toBe("run-a");
    await first.release();
  });

  it("goes to the waiting run as soon as the holder releases it, which then lets IAM's writes settle", async () => {
    h = await startHarness([]);
    const first = held(await acquireLease(h.clients.s3, BUCKET, "run-a", { renew: false }));
    const { pauses, sleep } = countingSleep(() => first.release());

    const second = held(
      await acquireLease(h.clients.s3, BUCKET, "run-b", { waitMs: 60_000, sleep, renew: false }),
    );

    // One look while the holder works, then the settle pause (10 s by default) before the run
    // reads IAM, so that it sees the other run's writes.
    expect(pauses).toEqual([2_000, 10_000]);
    expect(second.tookOver).toBeUndefined();
    expect(leaseBody(h)?.runId).toBe("run-b");
    await second.release();
  });

  it("takes over an expired lease (a killed run's), and a lease that is not one", async () => {
    h = await startHarness([]);
    const c = clock();
    held(
      await acquireLease(h.clients.s3, BUCKET, "killed", {
        ttlMs: 60_000,
        now: c.now,
        renew: false,
      }),
    );
    c.advance(60_001);

    const next = held(
      await acquireLease(h.clients.s3, BUCKET, "run-b", { waitMs: 0, now: c.now, renew: false }),
    );

    expect(next.tookOver).toMatchObject({ runId: "killed" });
    expect(leaseBody(h)?.runId).toBe("run-b");
    await next.release();

    await h.clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: DEFAULT_LEASE_KEY, Body: "garbage" }),
    );
    const third = held(
      await acquireLease(h.clients.s3, BUCKET, "run-c", { waitMs: 0, renew: false }),
    );
    expect(third.tookOver).toBe("unreadable");
    await third.release();
  });

  it("lets exactly one of several runs take a free or an expired lease at once", async () => {
    h = await startHarness([]);
    const c = clock();
    const harness = h;
    const race = () =>
      Promise.all(
        ["r1", "r2", "r3", "r4"].map((id) =>
          acquireLease(harness.clients.s3, BUCKET, id, { waitMs: 0, now: c.now, renew: false }),
        ),
      );

    const free = await race();
    expect(free.filter(E.isRight)).toHaveLength(1);
    c.advance(10 * 60_000);
    const expired = await race();

    expect(expired.filter(E.isRight)).toHaveLength(1);
    expect(expired.filter((r) => E.isLeft(r) && r.left.tag === "LeaseHeld")).toHaveLength(3);
  });

  it("knows its own lease when the answer to its create was lost and the SDK retried", async () => {
    h = await startHarness([]);
    let puts = 0;
    // The first PutObject reaches S3, but its answer is lost on the way back.
    const lostReply: AttemptMiddleware = (operation) =>
      operation === "s3:PutObject" && ++puts === 1
        ? () => {
            throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
          }
        : undefined;
    const clients = h.clientsWith([lostReply], 3);

    const lease = held(
      await acquireLease(clients.s3, BUCKET, "run-a", { waitMs: 0, renew: false }),
    );

    expect(puts).toBe(2);
    expect(leaseBody(h)?.runId).toBe("run-a");
    await lease.release();
    expect(leaseObject(h)).toBeUndefined();
  });

  it("keeps its lease when the answer to a renewal was lost and the SDK retried", async () => {
    h = await startHarness([]);
    let puts = 0;
    const lostReply: AttemptMiddleware = (operation) =>
      operation === "s3:PutObject" && ++puts === 2
        ? () => {
            throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
          }
        : undefined;
    const clients = h.clientsWith([lostReply], 3);
    const lease = held(await acquireLease(clients.s3, BUCKET, "run-a", { ttlMs: 300 }));

    await vi.waitFor(() => expect(puts).toBeGreaterThanOrEqual(4), {
      timeout: 5_000,
      interval: 20,
    });

    expect(lease.lost()).toBe(false);
    await lease.release();
    expect(leaseObject(h)).toBeUndefined();
  });

  it("renews the lease while held, and knows it lost it when another run took it", async () => {
    h = await startHarness([]);
    const logs: LogEntry[] = [];
    const lease = held(
      await acquireLease(h.clients.s3, BUCKET, "run-a", { ttlMs: 300 }, (e) => logs.push(e)),
    );
    const firstExpiry = lease.record.expiresAt;

    await vi.waitFor(() => expect(leaseBody(h as Harness)?.expiresAt).not.toBe(firstExpiry), {
      timeout: 5_000,
      interval: 20,
    });
    expect(lease.lost()).toBe(false);
    await h.clients.s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: DEFAULT_LEASE_KEY,
        Body: JSON.stringify({ ...lease.record, runId: "run-b" }),
      }),
    );
    await vi.waitFor(() => expect(lease.lost()).toBe(true), { timeout: 5_000, interval: 20 });
    await lease.release();

    expect(logs.map((l) => l.event)).toContain("lease-lost");
    // Another run's lease is never released by this one.
    const got = await h.clients.s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: DEFAULT_LEASE_KEY }),
    );
    expect(JSON.parse((await got.Body?.transformToString()) ?? "{}").runId).toBe("run-b");
  });
});

describe("runKeyrotate with the run lease", () => {
  it("changes nothing and fails with LeaseHeld when another run holds the lease", async () => {
    h = await startHarness([alice], { MIN_NOTICE_DAYS: "0", IN_USE_DELAY_DAYS: "0" });
    const other = held(await acquireLease(h.clients.s3, BUCKET, "lambda-run", { renew: false }));
    h.sandbox.resetCalls();

    const report = await h.run({ lease: { waitMs: 0 } });

    expect(report.status).toBe("failed");
    expect(report.error).toMatchObject({ tag: "LeaseHeld" });
    expect(report.error?.message).toMatch(/run lambda-run/);
    expect(Object.keys(h.sandbox.calls()).filter((c) => !c.startsWith("s3:"))).toEqual([]);
    expect(keysOf(h, "alice")).toHaveLength(1);
    expect(h.sandbox.emails()).toEqual([]);
    await other.release();
  });

  it("runs two runs started together one after the other: the key is rotated once", async () => {
    h = await startHarness([alice], { MIN_NOTICE_DAYS: "0", IN_USE_DELAY_DAYS: "0" });
    const harness = h;
    const started = Date.now();

    const reports = await Promise.all(
      ["run-1", "run-2"].map((runId) =>
        harness.run({ runId, lease: { waitMs: 30_000, pollMs: 50 } }),
      ),
    );

    expect(reports.map((r) => r.status)).toEqual(["completed", "completed"]);
    expect(h.sandbox.calls()["iam:CreateAccessKey"]).toBe(1);
    expect(keysOf(h, "alice")).toHaveLength(2);
    expect(reports.reduce((n, r) => n + r.counts.rotated, 0)).toBe(1);
    expect(leaseObject(h)).toBeUndefined();
    // A figure for RELIABILITY.md, not an assertion: how long the pair took.
    console.info(`two runs started together took ${Date.now() - started} ms`);
  });

  it("takes no lease for a dry run", async () => {
    h = await startHarness([alice], { MIN_NOTICE_DAYS: "0", IN_USE_DELAY_DAYS: "0" });
    const other = held(await acquireLease(h.clients.s3, BUCKET, "lambda-run", { renew: false }));

    const report = await h.run({ dryRun: true, lease: { waitMs: 0 } });

    expect(report.status).toBe("completed");
    await other.release();
  });
});

describe("leaseOptionsFromEnv", () => {
  it("reads LEASE_WAIT_SECONDS and LEASE_TTL_SECONDS, with defaults of 60 s and 5 min", () => {
    expect(leaseOptionsFromEnv({})).toEqual(E.right({ waitMs: 60_000, ttlMs: 300_000 }));
    expect(leaseOptionsFromEnv({ LEASE_WAIT_SECONDS: "0", LEASE_TTL_SECONDS: "30" })).toEqual(
      E.right({ waitMs: 0, ttlMs: 30_000 }),
    );
  });

  it("names every bad value in one message", () => {
    const result = leaseOptionsFromEnv({ LEASE_WAIT_SECONDS: "-1", LEASE_TTL_SECONDS: "1" });
    expect(E.isLeft(result) && result.left).toMatch(
      /LEASE_WAIT_SECONDS.*"-1".*LEASE_TTL_SECONDS.*"1"/,
    );
  });
});
