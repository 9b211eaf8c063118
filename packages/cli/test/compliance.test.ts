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
import { csvCell } from "../src/compliance/csv.js";
import { renderComplianceHtml } from "../src/compliance/html.js";

const decoded = decodeSettings({
  SES_EMAIL: "k@example.com",
  SES_REGION: "us-east-1",
  S3_CSV_BUCKET: "creds",
});
if (E.isLeft(decoded)) throw new Error("test settings");
const settings: Settings = decoded.right;
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

describe("compliance controls", () => {
  it("fails CIS 1.12 at 45 days unused and IAM.8 only beyond 90", () => {
    expect(results(withKey(100, LastUse.usedOn(daysAgo(44))))).toMatchObject({
      "CIS-1.12": "pass",
      "IAM.8": "pass",
    });
    expect(results(withKey(100, LastUse.usedOn(daysAgo(45))))).toMatchObject({
      "CIS-1.12": "fail",
      "IAM.8": "pass",
    });
    expect(results(withKey(100, LastUse.usedOn(daysAgo(90))))).toMatchObject({ "IAM.8": "pass" });
    expect(results(withKey(100, LastUse.usedOn(daysAgo(91))))).toMatchObject({ "IAM.8": "fail" });
    expect(results(withKey(50, LastUse.never))).toMatchObject({
      "CIS-1.12": "fail",
      "IAM.8": "pass",
    });
  });

  it("fails CIS 1.14 and IAM.3 for a key more than 90 days old", () => {
    expect(results(withKey(90, LastUse.usedOn(daysAgo(1))))).toMatchObject({
      "CIS-1.14": "pass",
      "IAM.3": "pass",
    });
    expect(results(withKey(91, LastUse.usedOn(daysAgo(1))))).toMatchObject({
      "CIS-1.14": "fail",
      "IAM.3": "fail",
    });
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
