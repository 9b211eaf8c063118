import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { type AwsClients, createAwsClients } from "@keyrotate/aws-adapter";
import type { Settings } from "@keyrotate/core";
import { type Sandbox, startSandbox } from "@keyrotate/sandbox";
import { fakeContext } from "@keyrotate/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createHandler, type HandlerDeps } from "../src/handler.js";

// createHandler with injected clients, clock, logger and metrics, against the sandbox.

const SENDER = "keyrotate@example.com";
const BUCKET = "keyrotate-credentials";

let sandbox: Sandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const start = async (): Promise<Sandbox> => {
  sandbox = await startSandbox({
    now: "2026-11-23T09:00:00Z",
    randomSeed: 3,
    seed: {
      verifiedEmails: [SENDER],
      buckets: [BUCKET],
      users: [
        {
          name: "dave",
          tags: { email: "dave@example.com" },
          keys: [{ ageDays: 45, lastUsedDaysAgo: 2 }],
        },
      ],
    },
  });
  return sandbox;
};

interface Harness {
  readonly deps: HandlerDeps;
  readonly createClients: ReturnType<typeof vi.fn<(settings: Settings) => AwsClients>>;
  readonly metrics: Metrics;
  readonly published: Array<Record<string, number>>;
}

const harness = (sb: Sandbox, env: Record<string, string>, now: () => Date): Harness => {
  const createClients = vi.fn((settings: Settings) =>
    createAwsClients({
      settings,
      endpoint: sb.url,
      region: sb.region,
      credentials: sb.clientConfig().credentials,
      maxAttempts: 1,
    }),
  );
  const metrics = new Metrics({ namespace: "keyrotate", serviceName: "keyrotate" });
  const published: Array<Record<string, number>> = [];
  vi.spyOn(metrics, "publishStoredMetrics").mockImplementation(function (this: Metrics) {
    const emf = this.serializeMetrics() as unknown as Record<string, number>;
    published.push(emf);
    this.clearMetrics();
    return this;
  });
  const deps: HandlerDeps = {
    env: { SES_EMAIL: SENDER, SES_REGION: sb.region, S3_CSV_BUCKET: BUCKET, ...env },
    createClients,
    now,
    logger: new Logger({ serviceName: "keyrotate", logLevel: "SILENT" }),
    metrics,
    polling: { initialDelayMs: 25, maxDelayMs: 50 },
  };
  return { deps, createClients, metrics, published };
};

describe("createHandler", () => {
  it("builds the clients once per container and computes today's UTC date on every invocation", async () => {
    const sb = await start();
    const times = ["2026-11-23T23:59:59+01:00", "2026-11-23T23:59:59Z", "2026-11-24T00:00:01Z"];
    let tick = 0;
    const h = harness(sb, {}, () => new Date(times[Math.min(tick, times.length - 1)] as string));
    const handler = createHandler(h.deps);
    expect(h.createClients).toHaveBeenCalledTimes(1);

    const dates: string[] = [];
    for (tick = 0; tick < times.length; tick += 1) {
      dates.push((await handler({}, fakeContext())).date);
    }

    expect(dates).toEqual(["2026-11-23", "2026-11-23", "2026-11-24"]);
    expect(h.createClients).toHaveBeenCalledTimes(1);
  });

  it("publishes the run's metrics, zeros included, once per invocation", async () => {
    const sb = await start();
    const h = harness(sb, { REMINDER_INTERVAL_DAYS: "1" }, () => new Date("2026-11-23T09:00:00Z"));
    const handler = createHandler(h.deps);

    const report = await handler(undefined, fakeContext());

    expect(report.counts.warned).toBe(1);
    expect(h.published).toEqual([
      expect.objectContaining({
        warnings: 1,
        rotations: 0,
        deactivations: 0,
        deletions: 0,
        failures: 0,
        deferred: 0,
      }),
    ]);
  });

  it("returns a failed scan as a report, counted as a failure, without throwing", async () => {
    const sb = await start();
    sb.setFaults({
      failOperations: { "iam:GenerateCredentialReport": { count: 5, status: 500 } },
    });
    const h = harness(sb, {}, () => new Date("2026-11-23T09:00:00Z"));
    const handler = createHandler(h.deps);

    const report = await handler({}, fakeContext());

    expect(report.status).toBe("failed");
    expect(report.error?.operation).toBe("iam:GenerateCredentialReport");
    expect(h.published).toEqual([expect.objectContaining({ failures: 1 })]);
    expect(sb.users()[0]?.keys).toHaveLength(1);
  });

  it("returns a failed preflight as a failed report with one error line, and rotates nobody", async () => {
    sandbox = await startSandbox({
      now: "2026-11-23T09:00:00Z",
      randomSeed: 3,
      seed: {
        buckets: [BUCKET],
        users: [{ name: "erin", tags: { email: "erin@example.com" }, keys: [{ ageDays: 95 }] }],
      },
    });
    const h = harness(sandbox, { MIN_NOTICE_DAYS: "0" }, () => new Date("2026-11-23T09:00:00Z"));
    const logger = new Logger({ serviceName: "keyrotate", logLevel: "SILENT" });
    const errors = vi.spyOn(logger, "error");
    const handler = createHandler({ ...h.deps, logger });

    const report = await handler({}, fakeContext());

    expect(report.status).toBe("failed");
    expect(report.preflight).toMatchObject({ status: "failed", check: "ses-sender-verified" });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]?.[0]).toMatch(/^Preflight check ses-sender-verified failed: /);
    expect(errors.mock.calls[0]?.[1]).toMatchObject({ event: "preflight-failed" });
    expect(h.published).toEqual([expect.objectContaining({ failures: 2, rotations: 0 })]);
    expect(sandbox.users()[0]?.keys).toHaveLength(1);
  });

  it("lets an event ask for a dry run but never turn DRY_RUN off", async () => {
    const sb = await start();
    const h = harness(sb, { DRY_RUN: "true" }, () => new Date("2026-11-23T09:00:00Z"));
    const handler = createHandler(h.deps);

    const report = await handler({ dryRun: false }, fakeContext());

    expect(report.dryRun).toBe(true);
    expect(sb.emails()).toEqual([]);
  });

  it("rejects an event whose dryRun is not a boolean before any AWS call", async () => {
    const sb = await start();
    const h = harness(sb, {}, () => new Date("2026-11-23T09:00:00Z"));
    const handler = createHandler(h.deps);

    await expect(handler({ dryRun: "yes" }, fakeContext())).rejects.toThrow(
      /keyrotate cannot run: the event's "dryRun" must be true or false, not "yes"/,
    );
    expect(sb.calls()).toEqual({});
  });

  it("does not build clients from invalid settings, and throws on every invocation", async () => {
    const sb = await start();
    const h = harness(
      sb,
      { WARNING_DAYS: "90", OVERDUE_DAYS: "60" },
      () => new Date("2026-11-23T09:00:00Z"),
    );
    const handler = createHandler(h.deps);

    for (let i = 0; i < 2; i += 1) {
      await expect(handler({}, fakeContext())).rejects.toThrow(
        'keyrotate cannot run: 1 invalid setting:\n- WARNING_DAYS="90": must be less than OVERDUE_DAYS (60)',
      );
    }
    expect(h.createClients).not.toHaveBeenCalled();
    expect(h.published).toEqual([]);
    expect(sb.calls()).toEqual({});
  });

  it("refuses a bad lease setting on every invocation, before any AWS call", async () => {
    const sb = await start();
    const h = harness(sb, { LEASE_TTL_SECONDS: "1" }, () => new Date("2026-11-23T09:00:00Z"));
    const handler = createHandler(h.deps);

    await expect(handler({}, fakeContext())).rejects.toThrow(
      'keyrotate cannot run: LEASE_TTL_SECONDS must be a whole number of seconds ≥ 3, got "1"',
    );
    expect(sb.calls()).toEqual({});
  });
});
