import { IAMClient } from "@aws-sdk/client-iam";
import {
  BatchImportFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { STSClient } from "@aws-sdk/client-sts";
import { type CalendarDate, defaultPolicySettings } from "@keyrotate/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { type AsffFinding, asffFindings } from "../src/asff.js";
import type { UserReport } from "../src/report.js";
import { asffUserOf, importFindings } from "../src/securityHub.js";

const TODAY = "2026-06-15" as CalendarDate;
const NOW = "2026-06-15T09:00:00.000Z";
const ACCOUNT = "123456789012";
const place = { accountId: ACCOUNT, region: "eu-west-1", partition: "aws" };

const keyId = (i: number) => `AKIAOLD${String(i).padStart(13, "0")}`;
/** A user read by the run, with one Active key 100 days old: it fails IAM.3. */
const oldKeyUser = (i: number): UserReport =>
  ({
    userName: `user-${i}`,
    handled: true,
    triage: [],
    keys: [{ id: keyId(i), status: "Active", created: "2026-03-07", ageDays: 100, lastUse: TODAY }],
    findings: [],
    status: "ok",
    steps: [],
    compensation: [],
    markerLeft: false,
  }) as UserReport;

const clientsFor = (hub: SecurityHubClient) => ({
  iam: new IAMClient({ region: "eu-west-1" }),
  securityHub: async () => hub,
  sts: async () => new STSClient({ region: "eu-west-1" }),
});

const hubMock = mockClient(SecurityHubClient);
afterEach(() => hubMock.reset());

describe("importFindings, against a mocked Security Hub", () => {
  it("imports in batches of 100, reads earlier findings page by page, and reports each rejected finding", async () => {
    const users = Array.from({ length: 150 }, (_, i) => oldKeyUser(i));
    // An earlier run's finding of user-0, and one of a user since made compliant (user-150).
    const resolvedUser = { ...oldKeyUser(150), keys: [] };
    const earlier = asffFindings(
      place,
      [oldKeyUser(0), oldKeyUser(150)].map((u) => asffUserOf(u.userName, u.keys, TODAY)),
      "2026-06-14T09:00:00.000Z",
    );
    hubMock
      .on(GetFindingsCommand)
      .resolvesOnce({ Findings: [earlier[0]] as never, NextToken: "page-2" })
      .resolvesOnce({ Findings: [earlier[1]] as never });
    hubMock.on(BatchImportFindingsCommand).callsFake((input: { Findings: AsffFinding[] }) => ({
      FailedCount: input.Findings.some((f) => f.Id.endsWith(keyId(7))) ? 1 : 0,
      SuccessCount: input.Findings.length,
      FailedFindings: input.Findings.filter((f) => f.Id.endsWith(keyId(7))).map((f) => ({
        Id: f.Id,
        ErrorCode: "InvalidInput",
        ErrorMessage: "Finding does not adhere to Amazon Security Finding Format.",
      })),
    }));
    const hub = new SecurityHubClient({ region: "eu-west-1" });

    const out = await importFindings({
      clients: clientsFor(hub) as never,
      settings: defaultPolicySettings,
      today: TODAY,
      now: NOW,
      users: [...users, resolvedUser],
      deletedUsers: [],
      dryRun: false,
      accountId: ACCOUNT,
    });

    const gets = hubMock.commandCalls(GetFindingsCommand).map((c) => c.args[0].input);
    expect(gets.map((g) => g.NextToken)).toEqual([undefined, "page-2"]);
    expect(gets[0]?.Filters).toMatchObject({
      ProductArn: [
        {
          Value: `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`,
          Comparison: "EQUALS",
        },
      ],
      RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
    });
    const batches = hubMock
      .commandCalls(BatchImportFindingsCommand)
      .map((c) => c.args[0].input.Findings ?? []);
    expect(batches.map((b) => b.length)).toEqual([100, 51]);
    const all = batches.flat();
    expect(all.filter((f) => f.RecordState === "ARCHIVED").map((f) => f.Id)).toEqual([
      `keyrotate/${ACCOUNT}/IAM.3/${keyId(150)}`,
    ]);
    // user-0's finding keeps the CreatedAt of its first import; none carries a workflow status.
    expect(all.find((f) => f.Id?.endsWith(keyId(0)))?.CreatedAt).toBe("2026-06-14T09:00:00.000Z");
    expect(all.some((f) => f.Workflow !== undefined)).toBe(false);
    expect(out).toMatchObject({ status: "failed", sent: 150, archived: 1 });
    expect(out.failures.map((f) => [f.item, f.error.code])).toEqual([
      [`keyrotate/${ACCOUNT}/IAM.3/${keyId(7)}`, "InvalidInput"],
    ]);
  });

  it("imports nothing in a dry run and says how many it would", async () => {
    hubMock.on(GetFindingsCommand).resolves({ Findings: [] });

    const out = await importFindings({
      clients: clientsFor(new SecurityHubClient({ region: "eu-west-1" })) as never,
      settings: defaultPolicySettings,
      today: TODAY,
      now: NOW,
      users: [oldKeyUser(1), oldKeyUser(2)],
      deletedUsers: [],
      dryRun: true,
      accountId: ACCOUNT,
    });

    expect(hubMock.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
    expect(out).toEqual({ status: "dry-run", sent: 0, planned: 2, archived: 0, failures: [] });
  });
});
