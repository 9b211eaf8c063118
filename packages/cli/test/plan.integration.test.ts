import type { Sandbox } from "@keyrotate/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alice, cli, deliverySets, startTestSandbox, userWithKeys } from "./harness.js";

describe("keyrotate plan", () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startTestSandbox([
      alice(95),
      userWithKeys("bob", { id: "AKIABOB0000000000001", ageDays: 35, lastUsedDaysAgo: 2 }),
      userWithKeys("carol", { id: "AKIACAROL00000000001", ageDays: 5, lastUsedDaysAgo: null }),
      {
        name: "dave",
        tags: { team: "ops" },
        keys: [{ id: "AKIADAVE000000000001", ageDays: 200, lastUsedDaysAgo: 3 }],
      },
      {
        name: "erin",
        tags: {
          email: "erin@example.com",
          "last-check-date": "2026-02-25",
          "last-check-old-key": "AKIAERIN000000000001",
        },
        keys: [
          { id: "AKIAERIN000000000001", ageDays: 70, lastUsedDaysAgo: 4 },
          { id: "AKIAERIN000000000002", ageDays: 4, lastUsedDaysAgo: 0 },
        ],
      },
    ]);
  });
  afterAll(() => sandbox.close());

  it("shows each user's keys with status, age, last use and the next action with its date", async () => {
    const { code, stdout, stderr } = await cli(["plan", ...deliverySets], { sandbox });

    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("keyrotate plan for 2026-03-01\n");
    expect(stdout).toMatch(/USER\s+KEY\s+STATUS\s+AGE\s+LAST USED\s+NEXT ACTION/);
    expect(stdout).toMatch(
      /alice\s+AKIAALICE00000000001\s+Active\s+95\s+2026-02-28\s+rotation on 2026-03-01 \(today\)/,
    );
    // bob's key is 35 days old: reminders fall on ages 31, 38, …: the next is 2026-03-04.
    expect(stdout).toMatch(
      /bob\s+AKIABOB0000000000001\s+Active\s+35\s+2026-02-27\s+warning on 2026-03-04/,
    );
    // carol's key turns 31 days old on 2026-03-27.
    expect(stdout).toMatch(
      /carol\s+AKIACAROL00000000001\s+Active\s+5\s+never\s+warning on 2026-03-27/,
    );
    expect(stdout).toMatch(
      /dave\s+AKIADAVE000000000001\s+Active\s+200\s+2026-02-26\s+none: not handled \(no-email\)/,
    );
    // erin was rotated on 2026-02-25: the old key is deactivated 11 days later, deleted 11 after that.
    expect(stdout).toMatch(
      /erin\s+AKIAERIN000000000001\s+Active\s+70\s+2026-02-25\s+deactivation on 2026-03-08/,
    );
    expect(stdout).toContain("1 user with actions: 1 rotation, 0 warnings");
    expect(stdout).toContain("dave: no-email:");
  });

  it("forecasts a day with --as-of, as if today were that date", async () => {
    const { code, stdout } = await cli(["plan", "--as-of", "2026-03-27", ...deliverySets], {
      sandbox,
    });

    expect(code).toBe(0);
    expect(stdout).toContain("keyrotate plan for 2026-03-27 (a forecast; today is 2026-03-01)");
    expect(stdout).toMatch(
      /carol\s+AKIACAROL00000000001\s+Active\s+31\s+never\s+warning on 2026-03-27 \(today\)/,
    );
    expect(stdout).toMatch(
      /erin\s+AKIAERIN000000000001\s+Active\s+96\s+\S+\s+deactivation on 2026-03-27 \(today\)/,
    );
  });

  it("prints the dry-run report with --json and changes nothing", async () => {
    sandbox.resetCalls();
    const keysBefore = JSON.stringify(sandbox.users().map((u) => u.keys));

    const { code, stdout, stderr } = await cli(["plan", "--json", ...deliverySets], { sandbox });

    expect(code).toBe(0);
    expect(stderr).toBe("");
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      schemaVersion: 1,
      dryRun: true,
      status: "completed",
      date: "2026-03-01",
    });
    const alice = report.users.find((u: { userName: string }) => u.userName === "alice");
    expect(alice.status).toBe("planned");
    expect(alice.steps.map((s: { step: { action: string } }) => s.step.action)).toContain(
      "CreateKey",
    );
    expect(alice.steps.every((s: { status: string }) => s.status === "skipped")).toBe(true);
    expect(JSON.stringify(sandbox.users().map((u) => u.keys))).toBe(keysBefore);
    const calls = Object.keys(sandbox.calls());
    expect(calls.filter((c) => !/^iam:(Get|List|Generate)/.test(c))).toEqual([]);
    expect(sandbox.emails()).toHaveLength(0);
  });
});
