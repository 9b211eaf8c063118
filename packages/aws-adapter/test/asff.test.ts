import { ASFF_REQUIRED_FIELDS, asffProblems, isAsffTimestamp } from "@keyrotate/testkit";
import { describe, expect, it } from "vitest";
import {
  type AsffFinding,
  type AsffPlace,
  type AsffUser,
  asffFindings,
  asffUpdates,
  partitionOf,
} from "../src/asff.js";

const place: AsffPlace = { accountId: "123456789012", region: "eu-west-1", partition: "aws" };
const now = "2026-03-01T06:00:00.000Z";
const later = "2026-03-02T06:00:00.000Z";
const pass = { result: "pass", reason: "fine" } as const;

const oldKey = "AKIAOLD0000000000001";
const newKey = "AKIANEW0000000000002";
const user = (controls: AsffUser["controls"]): AsffUser => ({
  userName: "alice",
  keys: [
    { id: oldKey, status: "Active", created: "2025-10-01" },
    { id: newKey, status: "Active", created: "2026-02-20" },
  ],
  controls,
});
const oldKeyTooOld = user({
  "IAM.3": { result: "fail", reason: `${oldKey} is 151 days old (> 90)`, keys: [oldKey] },
  "IAM.8": pass,
  "CIS-1.13": pass,
});

describe("ASFF findings of a compliance report", () => {
  it("makes one FAILED, ACTIVE finding per key that fails IAM.3, naming the key and its user", () => {
    const findings = asffFindings(place, [oldKeyTooOld], now);

    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({
      SchemaVersion: "2018-10-08",
      Id: `keyrotate/123456789012/IAM.3/${oldKey}`,
      ProductArn: "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
      GeneratorId: "keyrotate/IAM.3",
      AwsAccountId: "123456789012",
      CreatedAt: now,
      UpdatedAt: now,
      Severity: { Label: "MEDIUM" },
      Title: "IAM users' access keys should be rotated every 90 days or less",
      Types: ["Software and Configuration Checks/AWS Security Best Practices"],
      Compliance: { Status: "FAILED" },
      RecordState: "ACTIVE",
    });
    expect(f?.Description).toContain(`${oldKey} is 151 days old`);
    expect(f?.Resources).toEqual([
      {
        Type: "AwsIamAccessKey",
        Id: `AWS::IAM::AccessKey:${oldKey}`,
        Partition: "aws",
        Region: "eu-west-1",
        Details: {
          AwsIamAccessKey: {
            AccessKeyId: oldKey,
            AccountId: "123456789012",
            UserName: "alice",
            PrincipalName: "alice",
            PrincipalType: "IAMUser",
            Status: "Active",
            CreatedAt: "2025-10-01T00:00:00Z",
          },
        },
      },
      {
        Type: "AwsIamUser",
        Id: "arn:aws:iam::123456789012:user/alice",
        Partition: "aws",
        Region: "eu-west-1",
      },
    ]);
    expect(f).not.toHaveProperty("Workflow");
    expect(asffProblems(f)).toEqual([]);
  });

  it("makes one finding per failing key and control, and one per user for CIS 1.13", () => {
    const u = user({
      "IAM.8": { result: "fail", reason: "both unused", keys: [oldKey, newKey] },
      "IAM.22": { result: "fail", reason: "both unused", keys: [oldKey, newKey] },
      "CIS-1.13": { result: "fail", reason: "2 Active keys" },
      "CIS-1.12": { result: "fail", reason: "not a Security Hub finding", keys: [oldKey] },
    });

    const ids = asffFindings(place, [u], now).map((f) => f.Id);

    expect(ids).toEqual([
      `keyrotate/123456789012/IAM.8/${oldKey}`,
      `keyrotate/123456789012/IAM.8/${newKey}`,
      `keyrotate/123456789012/IAM.22/${oldKey}`,
      `keyrotate/123456789012/IAM.22/${newKey}`,
      "keyrotate/123456789012/CIS-1.13/user/alice",
    ]);
    const cis = asffFindings(place, [u], now).find((f) => f.GeneratorId === "keyrotate/CIS-1.13");
    expect(cis?.Resources.map((r) => r.Type)).toEqual(["AwsIamUser"]);
    expect(cis?.Severity.Label).toBe("LOW");
  });

  it("makes no finding for a control that passes or is unknown", () => {
    const u = user({
      "IAM.3": pass,
      "IAM.8": { result: "unknown", reason: `last use unknown for ${oldKey}` },
      "CIS-1.13": pass,
    });

    expect(asffFindings(place, [u], now)).toEqual([]);
  });

  it("gives a finding the same Id on every run, so that a re-import updates it", () => {
    const first = asffFindings(place, [oldKeyTooOld], now).map((f) => f.Id);
    const second = asffFindings(place, [oldKeyTooOld], later).map((f) => f.Id);

    expect(second).toEqual(first);
  });

  it("uses the partition of the region in the product and resource ARNs", () => {
    const china: AsffPlace = {
      ...place,
      region: "cn-north-1",
      partition: partitionOf("cn-north-1"),
    };

    const [f] = asffFindings(china, [oldKeyTooOld], now);

    expect(f?.ProductArn).toBe(
      "arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default",
    );
    expect(f?.Resources[1]?.Id).toBe("arn:aws-cn:iam::123456789012:user/alice");
    expect(partitionOf("us-gov-west-1")).toBe("aws-us-gov");
    expect(partitionOf("eu-west-1")).toBe("aws");
  });

  it("cuts a Description longer than ASFF's 1,024 characters", () => {
    const long = user({ "IAM.3": { result: "fail", reason: "x".repeat(2000), keys: [oldKey] } });

    const [f] = asffFindings(place, [long], now);

    expect(f?.Description).toHaveLength(1024);
    expect(asffProblems(f)).toEqual([]);
  });
});

describe("ASFF updates after a new report", () => {
  it("archives a finding that no longer fails as PASSED, keeping its CreatedAt", () => {
    const previous = asffFindings(place, [oldKeyTooOld], now);
    const rotated = user({ "IAM.3": pass, "CIS-1.13": pass });

    const updates = asffUpdates(previous, asffFindings(place, [rotated], later), later);

    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      Id: previous[0]?.Id,
      CreatedAt: now,
      UpdatedAt: later,
      Compliance: { Status: "PASSED" },
      RecordState: "ARCHIVED",
      Severity: { Label: "INFORMATIONAL" },
    });
    expect(asffProblems(updates[0])).toEqual([]);
  });

  it("updates a finding that still fails with today's UpdatedAt and its first CreatedAt", () => {
    const previous = asffFindings(place, [oldKeyTooOld], now);

    const updates = asffUpdates(previous, asffFindings(place, [oldKeyTooOld], later), later);

    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      CreatedAt: now,
      UpdatedAt: later,
      Compliance: { Status: "FAILED" },
      RecordState: "ACTIVE",
    });
  });

  it("leaves the user's workflow status out, and an archived finding archived", () => {
    const [found] = asffFindings(place, [oldKeyTooOld], now);
    if (found === undefined) throw new Error("no finding to start from");
    const fromSecurityHub = { ...found, Workflow: { Status: "SUPPRESSED" } } as AsffFinding;
    const archived = { ...found, Id: `${found.Id}-gone`, RecordState: "ARCHIVED" } as const;

    const updates = asffUpdates([fromSecurityHub, archived], [], later);

    expect(updates).toHaveLength(1);
    expect(updates[0]).not.toHaveProperty("Workflow");
    expect(updates[0]?.Id).toBe(found.Id);
  });
});

describe("the ASFF rule checker", () => {
  const [valid] = asffFindings(place, [oldKeyTooOld], now);
  const broken = (change: Record<string, unknown>): Record<string, unknown> => ({
    ...valid,
    ...change,
  });
  const without = (field: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(valid ?? {}).filter(([k]) => k !== field));

  it("passes a valid finding", () => {
    expect(asffProblems(valid)).toEqual([]);
  });

  it.each(ASFF_REQUIRED_FIELDS)("fails a finding without %s", (field) => {
    expect(asffProblems(without(field))).toContain(`${field}: required`);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["another schema version", { SchemaVersion: "2020-01-01" }, "SchemaVersion"],
    ["an Id longer than 512", { Id: "i".repeat(513) }, "Id: longer than 512"],
    ["a Title longer than 256", { Title: "t".repeat(257) }, "Title: longer than 256"],
    [
      "a Description longer than 1024",
      { Description: "d".repeat(1025) },
      "Description: longer than 1024",
    ],
    ["a blank Title", { Title: "  " }, "Title: not a non-blank string"],
    ["a numeric Id", { Id: 42 }, "Id: not a non-blank string"],
    ["an 11-digit account", { AwsAccountId: "12345678901" }, "AwsAccountId: not 12 digits"],
    ["a date without a time", { CreatedAt: "2026-03-01" }, "CreatedAt: not an ISO 8601"],
    ["an impossible date", { UpdatedAt: "2026-02-30T00:00:00Z" }, "UpdatedAt: not an ISO 8601"],
    ["a time without a zone", { CreatedAt: "2026-03-01T06:00:00" }, "CreatedAt: not an ISO 8601"],
    ["an update before creation", { UpdatedAt: "2026-02-01T00:00:00Z" }, "UpdatedAt: before"],
    ["a severity label not in ASFF", { Severity: { Label: "SEVERE" } }, "Severity.Label"],
    ["a lower-case severity label", { Severity: { Label: "medium" } }, "Severity.Label"],
    ["a type outside ASFF's namespaces", { Types: ["Bad Things/Keys"] }, "Types:"],
    ["no types", { Types: [] }, "Types: not a list"],
    [
      "a product ARN of another service",
      { ProductArn: "arn:aws:iam::123456789012:product/x" },
      "ProductArn",
    ],
    [
      "a product ARN without a product",
      { ProductArn: "arn:aws:securityhub:eu-west-1:123456789012:product" },
      "ProductArn",
    ],
    ["no resources", { Resources: [] }, "Resources: not a list"],
    [
      "a resource type keyrotate does not make",
      { Resources: [{ Type: "AwsS3Bucket", Id: "arn:aws:s3:::b" }] },
      "Resources[0].Type",
    ],
    ["a resource without an Id", { Resources: [{ Type: "AwsIamUser" }] }, "Resources[0].Id"],
    [
      "a key status not Active or Inactive",
      {
        Resources: [
          {
            Type: "AwsIamAccessKey",
            Id: "AWS::IAM::AccessKey:AKIA",
            Details: { AwsIamAccessKey: { Status: "Deleted" } },
          },
        ],
      },
      "Resources[0].Details.AwsIamAccessKey.Status",
    ],
    ["a compliance status not in ASFF", { Compliance: { Status: "FAIL" } }, "Compliance.Status"],
    ["a record state not in ASFF", { RecordState: "DELETED" }, "RecordState"],
    ["a non-string product field", { ProductFields: { a: 1 } }, "ProductFields"],
  ])("fails a finding with %s", (_, change, rule) => {
    const problems = asffProblems(broken(change));

    expect(problems.some((p) => p.startsWith(rule))).toBe(true);
  });

  it("accepts Security Hub's timestamp forms and rejects others", () => {
    expect(
      [
        "2019-01-31T23:00:00Z",
        "2019-01-31T23:00:00.123456789Z",
        "2024-01-04T15:25:10+17:59",
        "2024-01-04T15:25:10-1759",
      ].map(isAsffTimestamp),
    ).toEqual([true, true, true, true]);
    expect(
      ["2019-01-31 23:00:00Z", "2019-01-31T23:00:00.1234567890Z", "2019-13-01T00:00:00Z", 0].map(
        isAsffTimestamp,
      ),
    ).toEqual([false, false, false, false]);
  });
});
