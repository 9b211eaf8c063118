import { type AsffPlace, asffFindings, asffUpdates, partitionOf } from "@keyrotate/aws-adapter";
import { addDays, type CalendarDate, type EmailAddress, type Settings } from "@keyrotate/core";
import { dayArb, settingsArb, userArb } from "@keyrotate/core/arbitraries";
import { asffProblems } from "@keyrotate/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assessAccount } from "../src/compliance/assess.js";

const delivery = {
  sesEmail: "keyrotate@example.com" as EmailAddress,
  sesRegion: "us-east-1",
  s3CsvBucket: "creds",
  lambdaFunctionName: undefined,
  dryRun: false,
  adminEmail: undefined,
  kmsKeyId: undefined,
  secretStore: "s3",
  concurrency: 1,
  securityHub: false,
  snsTopicArn: undefined,
  webhookUrl: undefined,
  webhookUrlParameter: undefined,
} as const;

const placeArb: fc.Arbitrary<AsffPlace> = fc
  .record({
    accountId: fc.stringMatching(/^\d{12}$/),
    region: fc.constantFrom("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"),
  })
  .map(({ accountId, region }) => ({ accountId, region, partition: partitionOf(region) }));

/** Compliance reports of accounts of up to five users, as keyrotate's core can find them. */
const caseArb = fc.tuple(settingsArb, dayArb, placeArb).chain(([policy, today, place]) =>
  fc
    .uniqueArray(userArb(policy, today), { maxLength: 5, selector: (u) => u.userName })
    .map((users) => {
      const settings: Settings = { ...policy, ...delivery };
      const report = assessAccount({
        settings,
        today,
        users,
        generatedAt: `${today}T06:00:00.000Z`,
      });
      return { report, place, today };
    }),
);

const PER_KEY = ["IAM.3", "IAM.8", "IAM.22"] as const;

describe("ASFF findings of any compliance report", () => {
  it("are valid ASFF, one per failing key and control and per user failing CIS 1.13, with distinct Ids", () => {
    let made = 0;
    fc.assert(
      fc.property(caseArb, ({ report, place }) => {
        const findings = asffFindings(place, report.users, report.generatedAt);

        expect(findings.flatMap(asffProblems)).toEqual([]);
        expect(new Set(findings.map((f) => f.Id)).size).toBe(findings.length);
        const expected = report.users.reduce(
          (n, u) =>
            n +
            PER_KEY.reduce((m, c) => m + (u.controls[c].keys?.length ?? 0), 0) +
            (u.controls["CIS-1.13"].result === "fail" ? 1 : 0),
          0,
        );
        expect(findings).toHaveLength(expected);
        for (const f of findings) expect(f.AwsAccountId).toBe(place.accountId);
        made += findings.length;
      }),
      { numRuns: 300 },
    );
    // The reports do fail controls: the property was not checked on empty arrays only.
    expect(made).toBeGreaterThan(100);
  });

  it("archive as valid PASSED findings the next day once nothing fails", () => {
    fc.assert(
      fc.property(caseArb, ({ report, place, today }) => {
        const before = asffFindings(place, report.users, report.generatedAt);
        const nextDay = `${addDays(today as CalendarDate, 1)}T06:00:00.000Z`;

        const updates = asffUpdates(before, [], nextDay);

        expect(updates).toHaveLength(before.length);
        expect(updates.flatMap(asffProblems)).toEqual([]);
        for (const u of updates)
          expect([u.Compliance.Status, u.RecordState]).toEqual(["PASSED", "ARCHIVED"]);
      }),
      { numRuns: 100 },
    );
  });
});
