import {
  type AccessKeyId,
  type CalendarDate,
  decodeSettings,
  LastUse,
  type Settings,
  type UserName,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { assessAccount, assessUser } from "../src/compliance/assess.js";
import { csvCell, renderComplianceCsv } from "../src/compliance/csv.js";
import { renderHistogramSvg } from "../src/compliance/histogramSvg.js";
import { renderComplianceHtml } from "../src/compliance/html.js";

const settingsWith = (policy: Readonly<Record<string, string>>): Settings => {
  const decoded = decodeSettings({
    SES_EMAIL: "k@example.com",
    SES_REGION: "us-east-1",
    S3_CSV_BUCKET: "creds",
    ...policy,
  });
  if (E.isLeft(decoded)) throw new Error("test settings");
  return decoded.right;
};
const settings: Settings = settingsWith({});
const today = "2026-03-01" as CalendarDate;
const daysAgo = (n: number) =>
  new Date(Date.UTC(2026, 2, 1 - n)).toISOString().slice(0, 10) as CalendarDate;

const withKey = (
  ageDays: number,
  lastUse: ReturnType<typeof LastUse.usedOn> | typeof LastUse.never,
) => ({
  userName: "u" as UserName,
  tags: [{ key: "email", value: "u@example.com" }],
  keys: [
    {
      id: "AKIAKEY0000000000001" as AccessKeyId,
      status: "Active" as const,
      created: daysAgo(ageDays),
      lastUse,
    },
  ],
});

const results = (u: ReturnType<typeof withKey>) =>
  Object.fromEntries(
    Object.entries(assessUser(settings, today)(u).controls).map(([k, v]) => [k, v.result]),
  );

const usedDaysAgo = (n: number) => LastUse.usedOn(daysAgo(n));

/** Expects, for a user with one key of each age and last use, the results of the named controls. */
const expectControls = (
  cases: ReadonlyArray<
    readonly [ageDays: number, lastUse: Parameters<typeof withKey>[1], Record<string, string>]
  >,
) => {
  for (const [ageDays, lastUse, expected] of cases)
    expect(results(withKey(ageDays, lastUse)), `${ageDays} days old`).toMatchObject(expected);
};

describe("compliance controls", () => {
  it("fails CIS 1.12 at 45 days unused and IAM.8 only beyond 90", () => {
    expectControls([
      [100, usedDaysAgo(44), { "CIS-1.12": "pass", "IAM.8": "pass" }],
      [100, usedDaysAgo(45), { "CIS-1.12": "fail", "IAM.8": "pass" }],
      [100, usedDaysAgo(90), { "IAM.8": "pass" }],
      [100, usedDaysAgo(91), { "IAM.8": "fail" }],
      [50, LastUse.never, { "CIS-1.12": "fail", "IAM.8": "pass" }],
    ]);
  });

  it("fails CIS 1.14 and IAM.3 for a key more than 90 days old", () => {
    expectControls([
      [90, usedDaysAgo(1), { "CIS-1.14": "pass", "IAM.3": "pass" }],
      [91, usedDaysAgo(1), { "CIS-1.14": "fail", "IAM.3": "fail" }],
    ]);
  });

  it("calls a control unknown, not passed, when a key's last use is unknown", () => {
    const u = assessUser(
      settings,
      today,
    )({
      ...withKey(10, LastUse.never),
      keys: withKey(10, LastUse.never).keys.map((k) => ({ ...k, lastUse: LastUse.unknown })),
    });
    expect(u.controls["CIS-1.12"].result).toBe("unknown");
    expect(u.result).toBe("unknown");
  });

  it("escapes account values in HTML and defuses formulas in CSV", () => {
    const report = assessAccount({
      settings,
      today,
      users: [
        {
          ...withKey(10, LastUse.never),
          userName: "x" as UserName,
          tags: [{ key: "email", value: "<b>@x" }],
        },
      ],
      generatedAt: "2026-03-01T00:00:00Z",
    });
    const html = renderComplianceHtml(report);
    expect(html).not.toContain("<b>@x");
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("-12")).toBe("-12");
  });
});

const key = (n: number, ageDays: number, lastUsedDaysAgo: number) => ({
  id: `AKIAKEY000000000000${n}` as AccessKeyId,
  status: "Active" as const,
  created: daysAgo(ageDays),
  lastUse: LastUse.usedOn(daysAgo(lastUsedDaysAgo)),
});

describe("the compliance report's next actions", () => {
  it("gives each key the next action and its date that plan shows, in JSON, CSV and HTML", () => {
    // Prepare: an overdue key never warned (warned today, rotated after the minimum notice) and a
    // young one (warned at 31 days, in 21 days).
    const users = [
      { ...withKey(95, LastUse.usedOn(daysAgo(1))), userName: "old" as UserName },
      { ...withKey(10, LastUse.usedOn(daysAgo(1))), userName: "young" as UserName },
    ];

    // Act
    const report = assessAccount({ settings, today, users, generatedAt: "2026-03-01T00:00:00Z" });
    const csv = renderComplianceCsv(report).split("\r\n");
    const html = renderComplianceHtml(report);

    // Assess
    expect(report.users.map((u) => u.keys[0]?.next)).toEqual([
      { action: "warning", date: "2026-03-01" },
      { action: "warning", date: "2026-03-22" },
    ]);
    expect(report.users[0]?.keys[0]?.nextChange).toEqual({
      action: "rotation",
      date: "2026-03-08",
    });
    const header = csv[0]?.split(",") ?? [];
    const at = (line: number, column: string) => csv[line]?.split(",")[header.indexOf(column)];
    expect([at(1, "key_next_action"), at(1, "key_next_action_date")]).toEqual([
      "warning",
      "2026-03-01",
    ]);
    expect([at(2, "key_next_action"), at(2, "key_next_action_date")]).toEqual([
      "warning",
      "2026-03-22",
    ]);
    expect(html).toContain("next: warning on 2026-03-01");
    expect(html).toContain("next: warning on 2026-03-22");
  });

  it("says of a mid-rotation user failing CIS 1.13 that a rotation is under way, and when it ends", () => {
    // Prepare: rotated 3 days ago; the old key has not been used since.
    const user = {
      userName: "mid" as UserName,
      tags: [
        { key: "email", value: "mid@example.com" },
        { key: "last-check-date", value: daysAgo(3) },
        { key: "last-check-old-key", value: "AKIAKEY0000000000001" },
      ],
      keys: [key(1, 100, 5), key(2, 3, 1)],
    };

    // Act
    const report = assessAccount({ settings, today, users: [user], generatedAt: "2026-03-01" });
    const [assessed] = report.users;

    // Assess
    // The forecast takes a key used lately to stay in use: an "old key still in use" notice
    // comes first, then the deactivation (POLICY.md: never break a key in use).
    const deactivation = assessed?.keys[0]?.nextChange;
    expect(deactivation?.action).toBe("deactivation");
    expect(assessed?.controls["CIS-1.13"].result).toBe("fail");
    expect(assessed?.notes).toEqual([
      {
        control: "CIS-1.13",
        until: deactivation?.date,
        message: `mid-rotation: AKIAKEY0000000000001 is being replaced by AKIAKEY0000000000002; keyrotate deactivates AKIAKEY0000000000001 on ${deactivation?.date}, and CIS 1.13 passes from then on`,
      },
    ]);
    expect(renderComplianceCsv(report)).toContain(`CIS-1.13: mid-rotation`);
    expect(renderComplianceHtml(report)).toContain(`<code>CIS-1.13</code> mid-rotation`);
  });

  it("gives no mid-rotation note to a user who made a second key by hand", () => {
    const user = {
      userName: "two" as UserName,
      tags: [{ key: "email", value: "two@example.com" }],
      keys: [key(1, 20, 1), key(2, 3, 1)],
    };

    const [assessed] = assessAccount({ settings, today, users: [user], generatedAt: "x" }).users;

    expect(assessed?.controls["CIS-1.13"].result).toBe("fail");
    expect(assessed?.notes).toEqual([]);
  });
});

describe("the key-age histogram", () => {
  it("names in its legend every colour it draws", () => {
    // Prepare: keys in every bin, Active and Inactive.
    const users = [5, 45, 75, 120, 200, 400].map((age, i) => ({
      userName: `u${i}` as UserName,
      tags: [],
      keys: [
        { ...key(1, age, 1), id: `AKIAKEY10000000000${i}0` as AccessKeyId },
        {
          ...key(2, age, 1),
          id: `AKIAKEY10000000000${i}1` as AccessKeyId,
          status: "Inactive" as const,
        },
      ],
    }));

    // Act
    const svg = renderHistogramSvg(
      assessAccount({ settings, today, users, generatedAt: "x" }).histogram,
    );

    // Assess: bars are the rects with a <title>; legend swatches are followed by their label.
    const drawn = new Set([...svg.matchAll(/fill="(#[0-9a-f]{6})"><title>/g)].map((m) => m[1]));
    const legend = new Map(
      [...svg.matchAll(/fill="(#[0-9a-f]{6})"\/><text[^>]*>([^<]+)<\/text>/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    expect(drawn.size).toBe(4);
    for (const colour of drawn) expect(legend.get(colour)).toBeTruthy();
    expect([...legend.values()]).toEqual([
      "Active, ≤ 60 days",
      "Active, 61–90 days",
      "Active, &gt; 90 days",
      "Inactive",
    ]);
  });
});

describe("the settings a compliance report names", () => {
  it("are every policy setting, STATE_TAG_KEY included, and no delivery setting", () => {
    // Prepare
    const custom = settingsWith({ STATE_TAG_KEY: "our-state", MIN_NOTICE_DAYS: "3" });

    // Act
    const report = assessAccount({ settings: custom, today, users: [], generatedAt: "x" });

    // Assess
    expect(report.settings.STATE_TAG_KEY).toBe("our-state");
    expect(report.settings.MIN_NOTICE_DAYS).toBe("3");
    expect(report.settings.UNUSED_DAYS).toBe("off");
    expect(Object.keys(report.settings)).not.toContain("S3_CSV_BUCKET");
    expect(Object.keys(report.settings)).not.toContain("SES_EMAIL");
  });
});
