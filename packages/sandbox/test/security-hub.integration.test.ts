import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { describe, expect, it } from "vitest";
import { ASFF_REQUIRED, type Sandbox } from "../src/index.js";
import { caught, raw, sandbox } from "./support.js";

const hubClient = (s: Sandbox) => new SecurityHubClient({ ...s.clientConfig(), maxAttempts: 1 });

const PRODUCT = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default";

/** A valid ASFF finding for access key `key` of user `user`, with `changes`. */
const finding = (
  key: string,
  user = "alice",
  changes: Partial<AwsSecurityFinding> = {},
): AwsSecurityFinding => ({
  SchemaVersion: "2018-10-08",
  Id: `keyrotate/IAM.3/${key}`,
  ProductArn: PRODUCT,
  GeneratorId: "keyrotate/IAM.3",
  AwsAccountId: "123456789012",
  Types: ["Software and Configuration Checks/AWS Security Best Practices"],
  CreatedAt: "2026-11-23T10:00:00.000Z",
  UpdatedAt: "2026-11-23T10:00:00.000Z",
  Severity: { Label: "MEDIUM" },
  Title: "IAM.3 access key not rotated within 90 days",
  Description: `Key ${key} of ${user} is 120 days old.`,
  Resources: [
    { Type: "AwsIamAccessKey", Id: key },
    { Type: "AwsIamUser", Id: `arn:aws:iam::123456789012:user/${user}` },
  ],
  ...changes,
});

describe("Security Hub through the real SDK", () => {
  it("imports findings, upserts by ProductArn and Id and leaves the fields users manage (Workflow, Note) as they were", async () => {
    const s = await sandbox();
    const hub = hubClient(s);
    const first = await hub.send(
      new BatchImportFindingsCommand({ Findings: [finding("AKIA1"), finding("AKIA2", "bob")] }),
    );
    expect(first).toMatchObject({ FailedCount: 0, SuccessCount: 2, FailedFindings: [] });
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [
          finding("AKIA1", "alice", {
            UpdatedAt: "2026-11-24T10:00:00.000Z",
            RecordState: "ARCHIVED",
            Workflow: { Status: "RESOLVED" },
            Note: {
              Text: "overwritten?",
              UpdatedBy: "keyrotate",
              UpdatedAt: "2026-11-24T10:00:00Z",
            },
          }),
        ],
      }),
    );
    const all = s.findings();
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({
      Id: "keyrotate/IAM.3/AKIA1",
      RecordState: "ARCHIVED",
      UpdatedAt: "2026-11-24T10:00:00.000Z",
      Workflow: { Status: "NEW" },
    });
    expect(all[0]?.Note).toBeUndefined();
    expect(all[1]).toMatchObject({ RecordState: "ACTIVE", Workflow: { Status: "NEW" } });
  });

  it("lets a user set Workflow and Note with BatchUpdateFindings, which a later import keeps", async () => {
    const s = await sandbox();
    const hub = hubClient(s);
    await hub.send(new BatchImportFindingsCommand({ Findings: [finding("AKIA1")] }));
    s.clock.advanceDays(1);
    const updated = await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [
          { Id: "keyrotate/IAM.3/AKIA1", ProductArn: PRODUCT },
          { Id: "keyrotate/IAM.3/nope", ProductArn: PRODUCT },
        ],
        Workflow: { Status: "SUPPRESSED" },
        Note: { Text: "service account, accepted risk", UpdatedBy: "alice" },
      }),
    );
    expect(updated.ProcessedFindings).toEqual([
      { Id: "keyrotate/IAM.3/AKIA1", ProductArn: PRODUCT },
    ]);
    expect(updated.UnprocessedFindings?.[0]?.ErrorCode).toBe("FindingNotFound");
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [finding("AKIA1", "alice", { UpdatedAt: "2026-11-25T10:00:00.000Z" })],
      }),
    );
    expect(s.findings()[0]).toMatchObject({
      Workflow: { Status: "SUPPRESSED" },
      Note: {
        Text: "service account, accepted risk",
        UpdatedBy: "alice",
        UpdatedAt: "2026-11-24T10:00:00.000Z",
      },
      UpdatedAt: "2026-11-25T10:00:00.000Z",
    });
  });

  it("fails each finding that lacks a required ASFF field and names the field", async () => {
    const s = await sandbox();
    const hub = hubClient(s);
    const broken = ASFF_REQUIRED.map(({ field }) => {
      const f = finding(`AKIA-${field}`) as unknown as Record<string, unknown>;
      delete f[field];
      return f as unknown as AwsSecurityFinding;
    });
    const badLabel = finding("AKIA-label", "alice", { Severity: { Label: "SEVERE" as "LOW" } });
    const answer = await hub.send(
      new BatchImportFindingsCommand({ Findings: [...broken, badLabel, finding("AKIA-ok")] }),
    );
    expect(answer.SuccessCount).toBe(1);
    expect(answer.FailedCount).toBe(ASFF_REQUIRED.length + 1);
    for (const [i, { field }] of ASFF_REQUIRED.entries()) {
      const failed = answer.FailedFindings?.[i];
      expect(failed?.ErrorCode).toBe("InvalidInput");
      expect(failed?.ErrorMessage).toContain(`${field} is required`);
    }
    expect(answer.FailedFindings?.at(-1)?.ErrorMessage).toContain("Severity must have a Label");
    expect(s.findings().map((f) => f.Id)).toEqual(["keyrotate/IAM.3/AKIA-ok"]);
  });

  it("fails a finding of another account and one over 240 KB, and imports the rest", async () => {
    const s = await sandbox();
    const answer = await hubClient(s).send(
      new BatchImportFindingsCommand({
        Findings: [
          finding("AKIA1", "alice", { AwsAccountId: "999999999999" }),
          finding("AKIA2", "alice", { Description: "x".repeat(240 * 1024) }),
          finding("AKIA3"),
        ],
      }),
    );
    expect(answer.FailedFindings?.map((f) => [f.Id, f.ErrorCode])).toEqual([
      ["keyrotate/IAM.3/AKIA1", "AccessDeniedException"],
      ["keyrotate/IAM.3/AKIA2", "InvalidInput"],
    ]);
    expect(s.findings().map((f) => f.Id)).toEqual(["keyrotate/IAM.3/AKIA3"]);
  });

  it("refuses an import of more than 100 findings as a whole", async () => {
    const s = await sandbox();
    const findings = Array.from({ length: 101 }, (_, i) => finding(`AKIA${i}`));
    const err = await caught(() =>
      hubClient(s).send(new BatchImportFindingsCommand({ Findings: findings })),
    );
    expect(err.name).toBe("InvalidInputException");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(s.findings()).toEqual([]);
  });

  it("filters findings on Id, ResourceId, RecordState and WorkflowStatus", async () => {
    const s = await sandbox();
    const hub = hubClient(s);
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [
          finding("AKIA1"),
          finding("AKIA2", "bob", { RecordState: "ARCHIVED" }),
          finding("AKIA3", "carol", { Workflow: { Status: "SUPPRESSED" } }),
        ],
      }),
    );
    const ids = async (
      Filters: Record<string, { Value: string; Comparison: "EQUALS" | "PREFIX" | "NOT_EQUALS" }[]>,
    ) => ((await hub.send(new GetFindingsCommand({ Filters }))).Findings ?? []).map((f) => f.Id);
    expect(await ids({ Id: [{ Value: "keyrotate/IAM.3/AKIA2", Comparison: "EQUALS" }] })).toEqual([
      "keyrotate/IAM.3/AKIA2",
    ]);
    expect(
      await ids({
        ResourceId: [{ Value: "arn:aws:iam::123456789012:user/carol", Comparison: "EQUALS" }],
      }),
    ).toEqual(["keyrotate/IAM.3/AKIA3"]);
    expect(await ids({ RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }] })).toEqual([
      "keyrotate/IAM.3/AKIA1",
      "keyrotate/IAM.3/AKIA3",
    ]);
    expect(
      await ids({
        RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
        WorkflowStatus: [{ Value: "SUPPRESSED", Comparison: "NOT_EQUALS" }],
      }),
    ).toEqual(["keyrotate/IAM.3/AKIA1"]);
    expect(
      await ids({ Id: [{ Value: "keyrotate/IAM.3/AKIA", Comparison: "PREFIX" }] }),
    ).toHaveLength(3);
  });

  it("pages GetFindings with MaxResults and NextToken and refuses a foreign token", async () => {
    const s = await sandbox();
    const hub = hubClient(s);
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: Array.from({ length: 5 }, (_, i) => finding(`AKIA${i}`)),
      }),
    );
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await hub.send(new GetFindingsCommand({ MaxResults: 2, NextToken }));
      seen.push(...(page.Findings ?? []).map((f) => f.Id as string));
      NextToken = page.NextToken;
      pages++;
    } while (NextToken !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 5 }, (_, i) => `keyrotate/IAM.3/AKIA${i}`));
    const bad = await caught(() => hub.send(new GetFindingsCommand({ NextToken: "garbage" })));
    expect(bad.name).toBe("InvalidInputException");
  });

  it("shows findings for inspection at GET /_sandbox/findings", async () => {
    const s = await sandbox();
    await hubClient(s).send(new BatchImportFindingsCommand({ Findings: [finding("AKIA1")] }));
    const res = await raw(s, "/_sandbox/findings");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).findings.map((f: { Id: string }) => f.Id)).toEqual([
      "keyrotate/IAM.3/AKIA1",
    ]);
  });
});
