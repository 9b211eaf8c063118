import { type AccessKeyId, type CalendarDate, LastUse, type UserName } from "@keyrotate/core";
import { describe, expect, it } from "vitest";
import type { CredentialReportUser } from "../src/credentialReport.js";
import { reportLastUse } from "../src/reportLastUse.js";

const DAY = "2026-03-01" as CalendarDate;
const row: CredentialReportUser = {
  userName: "alice" as UserName,
  keys: [
    {
      active: true,
      created: DAY,
      createdAt: "2026-03-01T10:00:00+00:00",
      lastUse: LastUse.usedOn("2026-04-01" as CalendarDate),
    },
    {
      active: true,
      created: DAY,
      createdAt: "2026-03-01T10:00:05+00:00",
      lastUse: LastUse.never,
    },
  ],
};
const second = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe("reportLastUse", () => {
  it("takes the last use of the slot created at the key's second, not another key's of the same day", () => {
    // Prepare
    const first = {
      id: "AKIAFIRST00000000001" as AccessKeyId,
      createdAt: second("2026-03-01T10:00:00Z"),
    };
    const other = {
      id: "AKIAOTHER00000000001" as AccessKeyId,
      createdAt: second("2026-03-01T10:00:05Z"),
    };

    // Act
    const uses = [reportLastUse(row, first), reportLastUse(row, other)];

    // Assess
    expect(uses).toEqual([LastUse.usedOn("2026-04-01" as CalendarDate), LastUse.never]);
  });

  it("leaves the last use unknown without a row, a matching slot or the key's creation time", () => {
    // Prepare
    const unmatched = { createdAt: second("2026-03-01T11:00:00Z") };

    // Act
    const uses = [
      reportLastUse(undefined, { createdAt: second("2026-03-01T10:00:00Z") }),
      reportLastUse(row, unmatched),
      reportLastUse(row, {}),
    ];

    // Assess
    expect(uses).toEqual([LastUse.unknown, LastUse.unknown, LastUse.unknown]);
  });
});
