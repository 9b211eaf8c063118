import type { CalendarDate } from "@keyrotate/core";
import { describe, expect, it } from "vitest";
import type { RunReport, UserReport } from "../src/report.js";
import { keysAfterRun } from "../src/securityHub.js";
import { userActionMessages } from "../src/snsMessages.js";
import { webhookMessage } from "../src/webhook.js";

const TODAY = "2026-06-15" as CalendarDate;
const OLD = "AKIAOLDOLDOLDOLDOLD1";
const NEW = "AKIANEWNEWNEWNEWNEW1";

const user = (over: Partial<UserReport>): UserReport =>
  ({
    userName: "alice",
    handled: true,
    triage: [],
    keys: [{ id: OLD, status: "Active", created: "2026-01-01", ageDays: 165, lastUse: TODAY }],
    findings: [],
    status: "ok",
    steps: [],
    compensation: [],
    markerLeft: false,
    ...over,
  }) as UserReport;

const report = (users: UserReport[]): RunReport =>
  ({
    runId: "run-1",
    date: TODAY,
    dryRun: false,
    scanMode: "credential-report",
    status: "completed",
    counts: {
      usersSeen: users.length,
      selected: users.length,
      rotated: 0,
      deactivated: 0,
      deleted: 0,
      failed: 0,
    },
    users,
    skippedUsers: [],
  }) as unknown as RunReport;

describe("the Slack message of a run", () => {
  it("keeps within Slack's limits however many users a run touched: sections ≤ 3,000 characters, ≤ 50 blocks", () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      user({
        userName: `user-${String(i).padStart(4, "0")}-with-a-rather-long-name`,
        findings: [{ code: "no-email", message: "no email tag" }] as UserReport["findings"],
      }),
    );

    const message = webhookMessage(report(many));

    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(Math.max(...message.blocks.map((b) => b.text.text.length))).toBeLessThanOrEqual(3000);
    expect(message.blocks.at(-1)?.text.text).toMatch(
      /^… and \d+ more sections: see the run report\.$/,
    );
    expect(message.text).toBe(
      "keyrotate 2026-06-15: 0 rotated, 0 deactivated, 0 deleted, 0 failed",
    );
  });

  it("escapes what mrkdwn would read as markup in user names", () => {
    const message = webhookMessage(
      report([
        user({
          userName: "a<b>&c",
          findings: [{ code: "no-email", message: "x" }] as UserReport["findings"],
        }),
      ]),
    );

    expect(JSON.stringify(message.blocks)).toContain("a&lt;b&gt;&amp;c: no-email: x");
  });
});

describe("the keys a run leaves", () => {
  it("adds the new key of a rotation and keeps the old one Active until it is deactivated", () => {
    const rotated = user({
      newKeyId: NEW,
      steps: [{ status: "ok", step: { action: "CreateKey", keyId: OLD, summary: "" } }],
    });

    expect(keysAfterRun(rotated, TODAY).map((k) => [k.id, k.status, k.lastUse])).toEqual([
      [OLD, "Active", TODAY],
      [NEW, "Active", "never"],
    ]);
  });

  it("drops a rotation's new key when the rotation was undone, and applies deactivations and deletions", () => {
    const undone = user({
      newKeyId: NEW,
      status: "failed",
      steps: [
        { status: "ok", step: { action: "CreateKey", keyId: OLD, summary: "" } },
        { status: "failed", step: { action: "TagUser", summary: "" } },
      ],
      compensation: [{ status: "ok", step: { action: "DeleteKey", keyId: NEW, summary: "" } }],
    });
    const retired = user({
      keys: [
        { id: OLD, status: "Active", created: "2026-01-01", ageDays: 165, lastUse: TODAY },
        { id: NEW, status: "Inactive", created: "2026-01-01", ageDays: 165, lastUse: "never" },
      ],
      steps: [
        { status: "ok", step: { action: "DeactivateKey", keyId: OLD, summary: "" } },
        { status: "ok", step: { action: "DeleteKey", keyId: NEW, summary: "" } },
      ],
    });

    expect(keysAfterRun(undone, TODAY).map((k) => k.id)).toEqual([OLD]);
    expect(keysAfterRun(retired, TODAY).map((k) => [k.id, k.status])).toEqual([[OLD, "Inactive"]]);
  });
});

describe("the SNS messages of a user", () => {
  it("says what was performed, never what was only planned, and reports a failure with its reason", () => {
    const u = user({
      status: "failed",
      error: { tag: "AccessDenied", operation: "iam:TagUser", code: undefined, message: "denied" },
      steps: [
        { status: "ok", step: { action: "SendNotice", noticeKind: "Warning", summary: "" } },
        { status: "skipped", step: { action: "DeactivateKey", keyId: OLD, summary: "" } },
      ],
    });

    const messages = userActionMessages({ runId: "run-1", date: TODAY }, u, "123456789012");

    expect(messages.map((m) => [m.action, m.reason])).toEqual([
      ["warned", "Warning"],
      ["failed", "denied"],
    ]);
    expect(messages.every((m) => m.account === "123456789012" && m.date === TODAY)).toBe(true);
  });
});
