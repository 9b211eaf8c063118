import { GetUserCommand } from "@aws-sdk/client-iam";
import { startSandbox } from "@keyrotate/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../src/clients.js";
import { mapWithConcurrency } from "../src/concurrency.js";
import { TokenBucket } from "../src/pacing.js";

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

describe("iamPacing", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** 8 parallel users making 5 calls each against IAM throttled at 10 calls/s, burst 5. */
  const burstOfCalls = async (iamPacing?: { ratePerSecond: number; burst: number }) => {
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

  it("is off by default: the same burst is throttled and retried", async () => {
    const unpaced = await burstOfCalls();

    expect(unpaced.faults.throttled).toBeGreaterThan(0);
    expect(unpaced.calls).toBeGreaterThan(40);
  });
});
