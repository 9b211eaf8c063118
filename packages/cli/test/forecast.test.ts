import {
  type AccessKeyId,
  type CalendarDate,
  defaultPolicySettings,
  LastUse,
  type PolicySettings,
  type UserName,
  type UserSnapshot,
} from "@keyrotate/core";
import { describe, expect, it } from "vitest";
import { forecastUser } from "../src/forecast.js";

const today = "2026-03-01" as CalendarDate;
const id = (s: string) => s as AccessKeyId;
const user = (
  keys: UserSnapshot["keys"],
  tags: UserSnapshot["tags"] = [{ key: "email", value: "u@example.com" }],
): UserSnapshot => ({ userName: "u" as UserName, tags, keys });
const key = (
  name: string,
  created: string,
  status: "Active" | "Inactive" = "Active",
  lastUse = LastUse.usedOn("2026-02-28" as CalendarDate),
) => ({ id: id(name), created: created as CalendarDate, status, lastUse });

const next = (settings: PolicySettings, u: UserSnapshot, keyId: string) =>
  forecastUser(settings, today)(u).next.get(id(keyId));
/** A user in phase Rotated since 2026-02-25: old key AKIAOLD…1 (in use), new key AKIANEW…1. */
const rotatedOn20260225 = (): UserSnapshot =>
  user(
    [key("AKIAOLD0000000000001", "2025-12-01"), key("AKIANEW0000000000001", "2026-02-25")],
    [
      { key: "email", value: "u@example.com" },
      { key: "last-check-date", value: "2026-02-25" },
      { key: "last-check-old-key", value: "AKIAOLD0000000000001" },
    ],
  );
/** The original's timing: no minimum notice, no in-use delay (POLICY.md, invariant 10). */
const original: PolicySettings = { ...defaultPolicySettings, minNoticeDays: 0, inUseDelayDays: 0 };

describe("forecastUser", () => {
  it("gives the first warning of a young key on the day it turns WARNING_DAYS + 1 days old", () => {
    // Created 2026-02-19: 10 days old today, 31 days old on 2026-03-22.
    expect(
      next(
        defaultPolicySettings,
        user([key("AKIAYOUNG00000000001", "2026-02-19")]),
        "AKIAYOUNG00000000001",
      ),
    ).toEqual({
      action: "warning",
      date: "2026-03-22",
    });
  });

  it("plans the rotation of an overdue key today, with the original's timing", () => {
    expect(
      next(original, user([key("AKIAOLD0000000000001", "2025-11-01")]), "AKIAOLD0000000000001"),
    ).toEqual({
      action: "rotation",
      date: today,
    });
  });

  it("gives the deactivation and then the deletion of a key in its Rotated phase", () => {
    const u = rotatedOn20260225();

    expect(next(original, u, "AKIAOLD0000000000001")).toEqual({
      action: "deactivation",
      date: "2026-03-08",
    });
    // The new key is only warned once it is old enough itself.
    expect(next(defaultPolicySettings, u, "AKIANEW0000000000001")).toEqual({
      action: "warning",
      date: "2026-03-28",
    });
  });

  it("waits for an exemption date to pass before the rotation", () => {
    const tags = [
      { key: "email", value: "u@example.com" },
      { key: "key-rotation-exempt", value: "2026-03-10" },
    ];

    expect(
      next(
        original,
        user([key("AKIAOLD0000000000001", "2025-11-01")], tags),
        "AKIAOLD0000000000001",
      ),
    ).toEqual({
      action: "rotation",
      date: "2026-03-11",
    });
  });

  it("shows the warning of a never-warned overdue key today and its rotation MIN_NOTICE_DAYS later", () => {
    const f = forecastUser(
      defaultPolicySettings,
      today,
    )(user([key("AKIAOLD0000000000001", "2025-11-01")]));
    expect(f.next.get(id("AKIAOLD0000000000001"))).toEqual({ action: "warning", date: today });
    expect(f.change.get(id("AKIAOLD0000000000001"))).toEqual({
      action: "rotation",
      date: "2026-03-08",
    });
  });

  it("shows an old key in use waiting with an in-use notice until its hard deadline", () => {
    const u = rotatedOn20260225();
    const f = forecastUser(defaultPolicySettings, today)(u);
    expect(f.next.get(id("AKIAOLD0000000000001"))).toEqual({
      action: "in-use notice",
      date: "2026-03-08",
    });
    expect(f.change.get(id("AKIAOLD0000000000001"))).toEqual({
      action: "deactivation",
      date: "2026-03-15",
    });
  });

  it("deactivates a never-used key once UNUSED_DAYS have passed, and assumes a key in use stays in use", () => {
    const settings = { ...defaultPolicySettings, unusedDays: 45, warningDays: 50, overdueDays: 80 };
    // Keys used within UNUSED_DAYS are assumed to stay in use; a never-used key stays unused.
    const idle = key("AKIAIDLE000000000001", "2026-02-10", "Active", LastUse.never);
    const busy = key("AKIABUSY000000000001", "2026-02-10");

    expect(next(settings, user([idle]), "AKIAIDLE000000000001")).toEqual({
      action: "deactivation (unused)",
      date: "2026-03-28",
    });
    expect(next(settings, user([busy]), "AKIABUSY000000000001")).toEqual({
      action: "warning",
      date: "2026-04-02",
    });
  });

  it("names the deletion of an Inactive key that blocks a rotation (INACTIVE_BLOCKER=delete)", () => {
    const settings: PolicySettings = { ...original, inactiveBlocker: "delete" };
    const u = user([
      key("AKIAOLD0000000000001", "2025-11-01"),
      key("AKIAINACT00000000001", "2025-10-01", "Inactive"),
    ]);

    expect(next(settings, u, "AKIAINACT00000000001")).toEqual({
      action: "deletion (blocks a rotation)",
      date: today,
    });
  });

  it("forecasts nothing for a user who is not handled, and nothing for an untracked Inactive key", () => {
    const noEmail = forecastUser(
      defaultPolicySettings,
      today,
    )(user([key("AKIAOLD0000000000001", "2025-01-01")], []));
    const inactive = forecastUser(
      defaultPolicySettings,
      today,
    )(user([key("AKIAINACT00000000001", "2025-01-01", "Inactive")]));

    expect(noEmail.next.size).toBe(0);
    expect(noEmail.plan.findings.map((f) => f.code)).toEqual(["no-email"]);
    expect(inactive.next.size).toBe(0);
  });
});
