import type { ScenarioUser } from "@keyrotate/sandbox";
import {
  crashSwitch,
  emailTexts,
  type Harness,
  keysOf,
  secretHygiene,
  startHarness,
  tagsOf,
  undeliveredKeys,
  useNewestKey,
} from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { AttemptMiddleware } from "../src/clients.js";
import type { LogEntry } from "../src/log.js";
import type { RunReport } from "../src/report.js";

const OLD = "AKIAALICE00000000001";
const alice: ScenarioUser = {
  name: "alice",
  tags: { email: "alice@example.com" },
  keys: [{ ageDays: 61, lastUsedDaysAgo: 1, id: OLD }],
};

/** The rotation's mechanics are tested here: the original's timing, no minimum notice. */
const ORIGINAL_TIMING = { MIN_NOTICE_DAYS: "0", IN_USE_DELAY_DAYS: "0" };

/** Every Rotated notice names the secret file of the key it announces (invariant 12). */
const rotatedNoticesNameTheirFile = (harness: Harness): string[] =>
  harness.sandbox
    .emails()
    .filter((e) => /was rotated: new key/.test(e.subject ?? ""))
    .flatMap((e) => {
      const id = /new key (AKIA\w+)/.exec(e.subject ?? "")?.[1];
      const file = `credential/alice/alice_${id}.csv`;
      return (e.text ?? "").includes(`aws s3 cp s3://`) && (e.text ?? "").includes(file)
        ? []
        : [`${e.subject}: no download of ${file}`];
    });

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const userIn = (report: RunReport, name: string) => report.users.find((u) => u.userName === name);

/** Alice still works with her old key only, and nothing of the failed rotation is left. */
const untouched = (harness: Harness) => {
  expect(keysOf(harness, "alice").map((k) => [k.accessKeyId, k.status])).toEqual([[OLD, "Active"]]);
  expect(harness.sandbox.objects()).toEqual([]);
  expect(tagsOf(harness, "alice")).toEqual({ email: "alice@example.com" });
};

describe("a failing rotation against the sandbox", () => {
  it("leaves no new key behind when storing the secret fails", async () => {
    h = await startHarness([alice], ORIGINAL_TIMING);
    h.sandbox.setFaults({
      failOperations: {
        "s3:PutObject": { skip: 1, count: 10, status: 403, code: "AccessDenied" },
      },
    });

    const report = await h.run();

    expect(userIn(report, "alice")).toMatchObject({
      status: "failed",
      markerLeft: false,
      error: { tag: "AccessDenied", operation: "s3:PutObject" },
    });
    untouched(h);
    expect(h.sandbox.emails()).toEqual([]);
    expect(h.sandbox.calls()["iam:DeleteAccessKey"]).toBe(1);
  });

  it("leaves no new key and no tracking tags behind when the commit TagUser fails", async () => {
    h = await startHarness([alice], ORIGINAL_TIMING);
    let tagUsers = 0;
    const failCommit: AttemptMiddleware = (operation) => {
      if (operation === "iam:TagUser" && ++tagUsers === 2) {
        throw Object.assign(new Error("User: not authorized to perform iam:TagUser"), {
          name: "AccessDenied",
          $metadata: { httpStatusCode: 403 },
        });
      }
      return undefined;
    };

    const report = await h.run({ clients: h.clientsWith([failCommit]) });

    expect(userIn(report, "alice")).toMatchObject({ status: "failed", markerLeft: false });
    untouched(h);
  });

  it("leaves the marker when undoing fails, and the next run cleans up and rotates", async () => {
    h = await startHarness([alice], ORIGINAL_TIMING);
    h.sandbox.setFaults({
      failOperations: {
        "s3:PutObject": { skip: 1, count: 10, status: 403, code: "AccessDenied" },
        "iam:DeleteAccessKey": { count: 10, status: 403, code: "AccessDenied" },
      },
    });

    const failed = await h.run();

    expect(userIn(failed, "alice")).toMatchObject({ status: "failed", markerLeft: true });
    const stray = keysOf(h, "alice").find((k) => k.accessKeyId !== OLD);
    expect(stray?.status).toBe("Inactive");
    expect(tagsOf(h, "alice")["key-rotation-state"]).toMatch(/^rotating:/);

    h.sandbox.setFaults({});
    h.sandbox.clock.advanceMs(3_600_000);
    const recovered = await h.run();

    expect(userIn(recovered, "alice")?.status).toBe("ok");
    expect(userIn(recovered, "alice")?.findings.map((f) => f.code)).toContain("recovered-rotation");
    expect(keysOf(h, "alice").map((k) => k.accessKeyId)).not.toContain(stray?.accessKeyId);
    expect(keysOf(h, "alice")).toHaveLength(2);
    expect(undeliveredKeys(h, "alice", [OLD])).toEqual([]);
    expect(tagsOf(h, "alice")["key-rotation-state"]).toBeUndefined();
  });

  it("keeps the marker when CreateAccessKey fails, and the next run rotates", async () => {
    h = await startHarness([alice], ORIGINAL_TIMING);
    h.sandbox.setFaults({
      failOperations: { "iam:CreateAccessKey": { count: 10, status: 500 } },
    });

    const failed = await h.run({ clients: h.clientsWith([], 2) });

    expect(userIn(failed, "alice")).toMatchObject({ status: "failed", markerLeft: true });
    h.sandbox.setFaults({});
    const recovered = await h.run();
    expect(userIn(recovered, "alice")?.status).toBe("ok");
    expect(undeliveredKeys(h, "alice", [OLD])).toEqual([]);
    expect(keysOf(h, "alice")).toHaveLength(2);
  });
});

/** The mutating calls of a run with one rotation, in order: the preflight's, then the plan's. */
const ROTATION_CALLS = [
  "s3:PutObject",
  "s3:DeleteObject",
  "iam:TagUser",
  "iam:CreateAccessKey",
  "s3:PutObject",
  "iam:TagUser",
  "ses:SendEmail",
  "iam:UntagUser",
];

describe("a crash between any two calls of a rotation", () => {
  const cases = ROTATION_CALLS.flatMap((operation, i) => [
    { k: i + 1, operation, lostReply: false },
    { k: i + 1, operation, lostReply: true },
  ]);

  it.each(cases)(
    "is recovered by the next run: crash after call $k ($operation), reply lost: $lostReply",
    async ({ k, lostReply }) => {
      h = await startHarness([alice], ORIGINAL_TIMING);
      const logs: LogEntry[] = [];
      const log = (entry: LogEntry) => logs.push(entry);

      const crashed = await h.run({
        clients: h.clientsWith(
          [crashSwitch({ after: k, counting: "changing-calls", lostReply }).middleware],
          2,
        ),
        log,
      });
      h.sandbox.clock.advanceMs(3_600_000);
      const next = await h.run({ log });

      expect(next.status).toBe("completed");
      expect(userIn(next, "alice")?.status).toBe("ok");
      expect(keysOf(h, "alice").find((key) => key.accessKeyId === OLD)?.status).toBe("Active");
      expect(keysOf(h, "alice").length).toBeLessThanOrEqual(2);
      expect(undeliveredKeys(h, "alice", [OLD])).toEqual([]);
      expect(tagsOf(h, "alice")["key-rotation-state"]).toBeUndefined();
      // A Rotated notice sent again after the crash still says where the secret is (issue 13).
      expect(rotatedNoticesNameTheirFile(h)).toEqual([]);

      // And the rotation runs its course: alice always holds a working, delivered key.
      for (let day = 1; day <= 25; day += 1) {
        h.sandbox.clock.advanceDays(1);
        await useNewestKey(h, "alice");
        const report = await h.run();
        expect(report.counts.failed).toBe(0);
        expect(keysOf(h, "alice").some((key) => key.status === "Active")).toBe(true);
      }
      const keys = keysOf(h, "alice");
      expect(rotatedNoticesNameTheirFile(h)).toEqual([]);
      expect(keys).toHaveLength(1);
      expect(keys[0]?.accessKeyId).not.toBe(OLD);
      expect(undeliveredKeys(h, "alice", [])).toEqual([]);
      expect(h.sandbox.objects().map((o) => o.key)).toEqual([
        `credential/alice/alice_${keys[0]?.accessKeyId}.csv`,
      ]);
      // Secret hygiene: no secret in the logs, the reports or the notices.
      expect(
        secretHygiene(h.sandbox).scan({ logs, crashed, next, ...emailTexts(h.sandbox.emails()) }),
      ).toEqual([]);
    },
  );
});
