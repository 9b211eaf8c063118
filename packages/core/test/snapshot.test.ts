import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  type CalendarDate,
  calendarDateOfTimestamp,
  daysBetween,
  decodeUserSnapshot,
  encodeUserSnapshot,
  parseCalendarDate,
  parseEmailAddress,
} from "../src/index.js";

const iamUser = {
  UserName: "alice",
  Tags: [{ Key: "email", Value: "alice@example.com" }],
  AccessKeys: [
    {
      AccessKeyId: "AKIAIOSFODNN7EXAMPLE",
      Status: "Active",
      CreateDate: "2026-01-02T23:30:00-02:00",
      LastUsed: "2026-03-01T10:00:00Z",
    },
    {
      AccessKeyId: "AKIAI44QH8DHBEXAMPLE",
      Status: "Inactive",
      CreateDate: "2025-12-01T00:00:00Z",
      LastUsed: "never",
    },
  ],
};

describe("user snapshots", () => {
  it("decodes an IAM-shaped user: UTC creation day, last use as date, never or unknown", () => {
    const u = decodeUserSnapshot(iamUser);
    expect(E.isRight(u) && u.right).toEqual({
      userName: "alice",
      tags: [{ key: "email", value: "alice@example.com" }],
      keys: [
        {
          id: "AKIAIOSFODNN7EXAMPLE",
          status: "Active",
          created: "2026-01-03",
          // The creation second is kept: crash recovery proves with it which key it made.
          createdAt: Date.parse("2026-01-03T01:30:00Z") / 1000,
          lastUse: { _tag: "UsedOn", date: "2026-03-01" },
        },
        {
          id: "AKIAI44QH8DHBEXAMPLE",
          status: "Inactive",
          created: "2025-12-01",
          createdAt: Date.parse("2025-12-01T00:00:00Z") / 1000,
          lastUse: { _tag: "NeverUsed" },
        },
      ],
    });
  });

  it("reads a missing last use as unknown, never as never used", () => {
    const u = decodeUserSnapshot({
      ...iamUser,
      AccessKeys: [{ ...iamUser.AccessKeys[0], LastUsed: undefined }],
    });
    expect(E.isRight(u) && u.right.keys[0]?.lastUse).toEqual({ _tag: "Unknown" });
  });

  it("lists every problem with its path", () => {
    const u = decodeUserSnapshot({
      UserName: "bad name!",
      Tags: [{ Key: "email" }],
      AccessKeys: [{ AccessKeyId: "short", Status: "Enabled", CreateDate: "yesterday" }],
    });
    expect(E.isLeft(u)).toBe(true);
    const text = E.isLeft(u) ? u.left.join("\n") : "";
    for (const part of ["UserName", "Tags.0.Value", "AccessKeyId", "Status", "CreateDate"])
      expect(text).toContain(part);
  });

  it("rejects duplicate key ids", () => {
    const u = decodeUserSnapshot({
      ...iamUser,
      AccessKeys: [iamUser.AccessKeys[0], iamUser.AccessKeys[0]],
    });
    expect(E.isLeft(u)).toBe(true);
  });

  it("round-trips through its JSON form", () => {
    const u = decodeUserSnapshot(iamUser);
    if (E.isLeft(u)) throw new Error(u.left.join());
    expect(decodeUserSnapshot(encodeUserSnapshot(u.right))).toEqual(u);
  });
});

describe("calendar dates and email addresses", () => {
  it.each(["2026-02-30", "2026-13-01", "26-01-01", "2026-1-1", "1969-12-31", ""])(
    "%j is not a date",
    (s) => {
      expect(parseCalendarDate(s)).toBeUndefined();
    },
  );
  it("counts days across a leap day", () => {
    expect(daysBetween("2028-02-28" as CalendarDate, "2028-03-01" as CalendarDate)).toBe(2);
  });
  it("takes the UTC day of a timestamp with an offset", () => {
    expect(calendarDateOfTimestamp("2026-05-31T22:00:00-05:00")).toEqual(E.right("2026-06-01"));
    expect(E.isLeft(calendarDateOfTimestamp("not a time"))).toBe(true);
  });
  it.each([
    ["alice@example.com", true],
    ["first.last+tag@sub.example.co.uk", true],
    ["a@b.com\r\nBcc: x@y.com", false],
    ["<a@b.com>", false],
    ["a@b.com,c@d.com", false],
    ["Alice <a@b.com>", false],
    ["a@@b.com", false],
    ["a@b", false],
    [".a@b.com", false],
  ])("%j is an email address: %s", (s, ok) => {
    expect(E.isRight(parseEmailAddress(s))).toBe(ok);
  });
});
