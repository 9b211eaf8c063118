import type { ScenarioUser } from "@keyrotate/sandbox";
import { type Harness, keysOf, startHarness, undeliveredKeys } from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { RunReport } from "../src/report.js";

const overdue = (name: string, id: string): ScenarioUser => ({
  name,
  tags: { email: `${name}@example.com` },
  keys: [{ ageDays: 61, lastUsedDaysAgo: 1, id }],
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const userIn = (report: RunReport, name: string) => report.users.find((u) => u.userName === name);

describe("IAM's LimitExceeded during a run", () => {
  it("fails that user at the first attempt and leaves the run's other users unaffected", async () => {
    const oldKeys: Record<string, string> = {
      alice: "AKIAALICE00000000001",
      bob: "AKIABOB0000000000001",
      carol: "AKIACAROL00000000001",
    };
    // Rotation on first sight (the original's timing), so that all three rotate today.
    h = await startHarness(
      Object.entries(oldKeys).map(([name, id]) => overdue(name, id)),
      { MIN_NOTICE_DAYS: "0", IN_USE_DELAY_DAYS: "0" },
    );
    // The first CreateAccessKey of the run meets the two-key quota (a key the user just made).
    h.sandbox.setFaults({
      failOperations: {
        "iam:CreateAccessKey": { count: 1, status: 409, code: "LimitExceeded" },
      },
    });

    const report = await h.run({ clients: h.clientsWith([], 5) });

    const failed = report.users.filter((u) => u.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toMatchObject({
      tag: "LimitExceeded",
      operation: "iam:CreateAccessKey",
    });
    // One attempt for the user who hit the quota, one for each of the others: no retry.
    expect(h.sandbox.calls()["iam:CreateAccessKey"]).toBe(3);
    const rotated = Object.keys(oldKeys).filter((n) => n !== failed[0]?.userName);
    for (const name of rotated) {
      expect(userIn(report, name)?.status).toBe("ok");
      expect(keysOf(h, name)).toHaveLength(2);
      expect(undeliveredKeys(h, name, [oldKeys[name] ?? ""])).toEqual([]);
    }
  });
});
