import { GetUserCommand } from "@aws-sdk/client-iam";
import { startSandbox } from "@keyrotate/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../src/clients.js";
import { mapWithConcurrency } from "../src/concurrency.js";
import { DEFAULT_IAM_PACING, PacedBackoff, THROTTLE_BACKOFF, TokenBucket } from "../src/pacing.js";

/** A clock that only moves when the bucket sleeps, and the sleeps it was asked for. */
const fakeTime = () => {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
};

describe("TokenBucket", () => {
  it("lets a burst through at once, then paces callers at the rate, in order", async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ ratePerSecond: 4, burst: 2 }, time.now, time.sleep);
    const order: number[] = [];

    await Promise.all([0, 1, 2, 3, 4].map((i) => bucket.take().then(() => order.push(i))));

    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(time.sleeps).toEqual([250, 250, 250]);
  });

  it("refills while idle, never beyond the burst", async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 }, time.now, time.sleep);
    for (let i = 0; i < 3; i += 1) await bucket.take();
    time.advance(60_000);

    for (let i = 0; i < 4; i += 1) await bucket.take();

    expect(time.sleeps).toEqual([100]);
  });

  it("defaults the burst to one second's worth and rejects a rate that is not positive", () => {
    expect(new TokenBucket({ ratePerSecond: 20 }).burst).toBe(20);
    expect(new TokenBucket({ ratePerSecond: 0.5 }).burst).toBe(1);
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 5, burst: 0 })).toThrow(RangeError);
  });
});

describe("TokenBucket that learns", () => {
  const learning = (ratePerSecond: number, burst: number) => ({
    ratePerSecond,
    burst,
    learn: true,
    minRatePerSecond: 2,
    maxRatePerSecond: 40,
  });

  it("slows down once per throttling storm and empties the bucket, so callers behind wait", async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(learning(20, 20), time.now, time.sleep);

    for (let i = 0; i < 5; i += 1) bucket.throttled();
    await bucket.take();

    expect(bucket.ratePerSecond).toBeCloseTo(20 * THROTTLE_BACKOFF);
    expect(bucket.burst).toBe(14);
    expect(time.sleeps).toHaveLength(1);
    expect(time.sleeps[0]).toBeCloseTo(1000 / (20 * THROTTLE_BACKOFF));
  });

  it("slows down again for a throttle a second later, but never below its minimum", () => {
    const time = fakeTime();
    const bucket = new TokenBucket(learning(20, 20), time.now, time.sleep);

    for (let i = 0; i < 20; i += 1) {
      bucket.throttled();
      time.advance(1_000);
    }

    expect(bucket.ratePerSecond).toBe(2);
  });

  it("speeds up slowly while callers wait on it and nothing is throttled, up to its maximum", async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(learning(10, 10), time.now, time.sleep);
    const rates: number[] = [];

    for (let i = 0; i < 400; i += 1) {
      await bucket.take();
      bucket.succeeded();
      rates.push(bucket.ratePerSecond);
    }

    expect(rates.slice(0, 25).every((r) => r === 10)).toBe(true);
    expect(rates.at(-1)).toBeGreaterThan(10);
    expect(rates.at(-1)).toBeLessThanOrEqual(40);
    expect([...rates].sort((a, b) => a - b)).toEqual(rates);
  });

  it("does not speed up while it is not the bottleneck", async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(learning(10, 10), time.now, time.sleep);

    for (let i = 0; i < 100; i += 1) {
      await bucket.take();
      bucket.succeeded();
      time.advance(200);
    }

    expect(bucket.ratePerSecond).toBe(10);
    expect(time.sleeps).toEqual([]);
  });

  it("settles near a server's lower rate without a retry storm", async () => {
    // A server bucket of 8 calls/s, burst 8, fed by the learning bucket that starts at 20.
    const time = fakeTime();
    const bucket = new TokenBucket(learning(20, 20), time.now, time.sleep);
    let serverTokens = 8;
    let serverLast = 0;
    let throttles = 0;
    for (let i = 0; i < 400; i += 1) {
      await bucket.take();
      serverTokens = Math.min(8, serverTokens + ((time.now() - serverLast) / 1000) * 8);
      serverLast = time.now();
      if (serverTokens >= 1) {
        serverTokens -= 1;
        bucket.succeeded();
      } else {
        throttles += 1;
        bucket.throttled();
      }
    }

    expect(throttles).toBeLessThan(40);
    expect(bucket.ratePerSecond).toBeGreaterThan(4);
    expect(bucket.ratePerSecond).toBeLessThan(12);
    expect(400 / (time.now() / 1000)).toBeGreaterThan(8 * 0.75);
  });

  it("does nothing on throttles and answers unless it learns", () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ ratePerSecond: 20, burst: 20 }, time.now, time.sleep);

    bucket.throttled();
    time.advance(10_000);
    bucket.succeeded();

    expect(bucket.ratePerSecond).toBe(20);
    expect(DEFAULT_IAM_PACING.learn).toBe(true);
  });
});

describe("PacedBackoff", () => {
  // The SDK's standard strategy sets the base before each delay: its throttling base is larger.
  const THROTTLING_BASE = 1_000;

  it("retries a first throttle at once: the learning bucket does the waiting", () => {
    const backoff = new PacedBackoff(() => 0.999);

    backoff.setDelayBase(THROTTLING_BASE);

    expect(backoff.computeNextBackoffDelay(0)).toBe(0);
  });

  it("backs a call throttled again off as the SDK does, one doubling behind", () => {
    const backoff = new PacedBackoff(() => 0.5);

    backoff.setDelayBase(THROTTLING_BASE);
    const delays = [1, 2, 3, 10].map((i) => backoff.computeNextBackoffDelay(i));

    expect(delays).toEqual([500, 1_000, 2_000, 10_000]);
  });

  it("keeps the SDK's schedule for errors that are not throttling", () => {
    const backoff = new PacedBackoff(() => 0.5);

    backoff.setDelayBase(PacedBackoff.BASE_DELAY_MS);
    const delays = [0, 1, 2].map((i) => backoff.computeNextBackoffDelay(i));

    expect(delays).toEqual([25, 50, 100]);
  });
});

describe("iamPacing", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** 8 parallel users making 5 calls each against IAM throttled at 10 calls/s, burst 5. */
  const burstOfCalls = async (
    iamPacing?: { ratePerSecond: number; burst: number; learn?: boolean } | false,
  ) => {
    const sandbox = await startSandbox({ now: "2026-06-15T09:00:00Z", randomSeed: 5 });
    closers.push(() => sandbox.close());
    sandbox.setFaults({ throttle: { iam: { ratePerSecond: 10, burst: 5 } } });
    const { endpoint, region, credentials } = sandbox.clientConfig();
    const clients = createAwsClients({
      endpoint,
      region,
      credentials,
      retryMode: "standard",
      ...(iamPacing === undefined ? {} : { iamPacing }),
    });
    let failed = 0;
    await mapWithConcurrency([...Array(8).keys()], 8, async () => {
      for (let i = 0; i < 5; i += 1) {
        // Unpaced, a call can run out of retries: that is counted, not thrown.
        await clients.iam.send(new GetUserCommand({})).catch(() => {
          failed += 1;
        });
      }
    });
    return { failed, faults: sandbox.faultCounts(), calls: sandbox.calls()["iam:GetUser"] ?? 0 };
  };

  it("keeps parallel users within IAM's rate: no call is throttled and retried", async () => {
    const paced = await burstOfCalls({ ratePerSecond: 9, burst: 4 });

    expect(paced.faults.throttled).toBe(0);
    expect(paced.failed).toBe(0);
    expect(paced.calls).toBe(40);
  });

  it("by default learns IAM's rate from a throttle: few throttled attempts, none failed", async () => {
    const learned = await burstOfCalls();

    // Only the opening burst (20, above the server's 5) can be throttled; after it, no storm.
    expect(learned.failed).toBe(0);
    expect(learned.faults.throttled).toBeLessThanOrEqual(15);
    expect(learned.calls).toBe(40 + learned.faults.throttled);
  });

  // Contract change (issue 16): pacing used to be off by default; it is now off only when asked.
  it("turned off, the same burst is throttled and retried", async () => {
    const unpaced = await burstOfCalls(false);

    expect(unpaced.faults.throttled).toBeGreaterThan(0);
    expect(unpaced.calls).toBeGreaterThan(40);
  });
});
