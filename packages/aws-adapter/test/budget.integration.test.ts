import type { ScenarioUser } from "@keyrotate/sandbox";
import { type Harness, mutatingCalls, startHarness } from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";

const iamCalls = (calls: Record<string, number>): number =>
  Object.entries(calls)
    .filter(([op]) => op.startsWith("iam:"))
    .reduce((n, [, c]) => n + c, 0);

/** `n` users whose single key is `ageDays` old and in use, all with an email tag. */
const users = (prefix: string, n: number, ageDays: number): ScenarioUser[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `${prefix}${String(i).padStart(4, "0")}`,
    tags: { email: `${prefix}${i}@example.com` },
    keys: [{ ageDays, lastUsedDaysAgo: 1 }],
  }));

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("the API budget, measured by the sandbox", () => {
  it("costs at most 3 IAM calls for 1,000 users of whom nobody needs action", async () => {
    // Ages 10..19: not due for a warning (reminders fall on age 31, 38, …), nor anything else.
    h = await startHarness(
      Array.from({ length: 10 }, (_, age) => users(`u${age}x`, 100, 10 + age)).flat(),
    );

    const report = await h.run();

    const calls = h.sandbox.calls();
    expect(report.counts).toMatchObject({ usersSeen: 1000, selected: 0 });
    expect(iamCalls(calls)).toBeLessThanOrEqual(3);
    expect(Object.keys(calls).every((op) => op.startsWith("iam:"))).toBe(true);
    expect(report.apiCalls).toEqual(calls);
  });

  it("adds at most 3 reads per user who needs action (10 due among 1,000), in a dry run that changes nothing", async () => {
    h = await startHarness([...users("calm", 990, 12), ...users("due", 10, 61)], {
      UNUSED_DAYS: "45",
    });

    const report = await h.run({ dryRun: true });

    const calls = h.sandbox.calls();
    expect(report.counts).toMatchObject({ usersSeen: 1000, selected: 10 });
    expect(mutatingCalls(calls)).toBe(0);
    expect(h.sandbox.emails()).toEqual([]);
    expect(h.sandbox.objects()).toEqual([]);
    expect(report.users.every((u) => u.status === "planned")).toBe(true);
    expect(iamCalls(calls)).toBeLessThanOrEqual(3 + 3 * 10);
    expect(calls["iam:ListUserTags"]).toBe(10);
    expect(calls["iam:ListAccessKeys"]).toBe(10);
    // In use yesterday by the report: no GetAccessKeyLastUsed needed.
    expect(calls["iam:GetAccessKeyLastUsed"]).toBeUndefined();
  });

  it("confirms last use only for keys that could be unused: still within 3 reads each", async () => {
    const idle: ScenarioUser[] = Array.from({ length: 5 }, (_, i) => ({
      name: `idle${i}`,
      tags: { email: `idle${i}@example.com` },
      keys: [{ ageDays: 50, lastUsedDaysAgo: 47 }],
    }));
    h = await startHarness([...users("calm", 200, 12), ...idle], { UNUSED_DAYS: "45" });

    const report = await h.run();

    const calls = h.sandbox.calls();
    expect(report.counts).toMatchObject({ selected: 5, deactivated: 5, failed: 0 });
    expect(calls["iam:GetAccessKeyLastUsed"]).toBe(5);
    const reads =
      iamCalls(calls) -
      mutatingCalls(
        Object.fromEntries(Object.entries(calls).filter(([op]) => op.startsWith("iam:"))),
      );
    expect(reads).toBeLessThanOrEqual(3 + 3 * 5);
  });

  it("reads every user in list-users mode, with no credential report", async () => {
    h = await startHarness(users("u", 150, 12));

    const report = await h.run({ scanMode: "list-users" });

    const calls = h.sandbox.calls();
    expect(report.counts).toMatchObject({ usersSeen: 150, selected: 150, failed: 0 });
    expect(calls["iam:ListUsers"]).toBe(2);
    expect(calls["iam:ListUserTags"]).toBe(150);
    expect(calls["iam:GenerateCredentialReport"]).toBeUndefined();
  });
});
