import { readFileSync } from "node:fs";
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { describe, expect, it } from "vitest";
import type { LogEntry } from "../src/log.js";
import type { RunReport } from "../src/report.js";
import { runKeyrotate } from "../src/run.js";
import {
  daysAgo,
  mockedClients,
  mockWritesSucceed,
  NEW_KEY_ID,
  recordingSleep,
  reportCsv,
  reportResponse,
  row,
  SECRET,
  settingsFrom,
  TODAY,
} from "./fixtures.js";
import { validate } from "./jsonSchema.js";

const schema = JSON.parse(
  readFileSync(new URL("../schema/run-report.schema.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

const OLD = "AKIAOLDOLDOLDOLDOLD1";
const NEW = NEW_KEY_ID;
const IDLE = "AKIAIDLEIDLEIDLEIDL1";

type Mocks = ReturnType<typeof mockedClients>;

/** An account: alice is overdue, bob has no email tag, gone is deleted mid-scan, fresh is fine. */
const account = (m: Mocks) => {
  m.iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
  m.iam
    .on(GetCredentialReportCommand)
    .resolves(
      reportResponse(
        reportCsv(
          row("alice", { active: true, created: daysAgo(61), lastUsed: daysAgo(1) }),
          row("bob", { active: true, created: daysAgo(70), lastUsed: daysAgo(1) }),
          row("gone", { active: true, created: daysAgo(65) }),
          row("fresh", { active: true, created: daysAgo(5), lastUsed: daysAgo(1) }),
          row("idle", { active: true, created: daysAgo(20), lastUsed: daysAgo(19) }),
        ),
      ),
    );
  m.iam
    .on(ListUserTagsCommand, { UserName: "alice" })
    .resolves({ Tags: [{ Key: "email", Value: "alice@example.com" }] })
    .on(ListUserTagsCommand, { UserName: "bob" })
    .resolves({ Tags: [] })
    .on(ListUserTagsCommand, { UserName: "idle" })
    .resolves({ Tags: [{ Key: "email", Value: "idle@example.com" }] })
    .on(ListUserTagsCommand, { UserName: "gone" })
    .rejects(new NoSuchEntityException({ $metadata: {}, message: "no user gone" }));
  const key = (id: string, age: number) => ({
    AccessKeyMetadata: [
      { AccessKeyId: id, Status: "Active" as const, CreateDate: new Date(daysAgo(age)) },
    ],
  });
  m.iam
    .on(ListAccessKeysCommand, { UserName: "alice" })
    .resolves(key(OLD, 61))
    .on(ListAccessKeysCommand, { UserName: "bob" })
    .resolves(key("AKIABOBBOBBOBBOBBOB1", 70))
    .on(ListAccessKeysCommand, { UserName: "idle" })
    .resolves(key(IDLE, 20));
  m.iam.on(GetAccessKeyLastUsedCommand).resolves({
    AccessKeyLastUsed: { LastUsedDate: new Date(daysAgo(19)), Region: "x", ServiceName: "s3" },
  });
  mockWritesSucceed(m);
};

/** The original's timing (no minimum notice, no in-use delay): the run's mechanics are tested here. */
const env = {
  ADMIN_EMAIL: "admin@example.com",
  UNUSED_DAYS: "15",
  MIN_NOTICE_DAYS: "0",
  IN_USE_DELAY_DAYS: "0",
};

const run = (m: Mocks, options: { dryRun?: boolean; log?: (e: LogEntry) => void } = {}) =>
  runKeyrotate({
    clients: m.clients,
    settings: settingsFrom(env),
    today: TODAY,
    polling: { sleep: recordingSleep().sleep },
    runId: "run-1",
    now: () => new Date(`${TODAY}T08:00:00Z`),
    // These tests count the run's own calls; the lease is tested in lease.integration.test.ts.
    lease: false,
    ...options,
  });

const MUTATING = [
  TagUserCommand,
  UntagUserCommand,
  CreateAccessKeyCommand,
  UpdateAccessKeyCommand,
  DeleteAccessKeyCommand,
] as const;

const mutatingCalls = (m: Mocks): number =>
  MUTATING.reduce((n, c) => n + m.iam.commandCalls(c as never).length, 0) +
  m.s3.calls().length +
  m.ses.calls().length;

const schemaProblems = (report: RunReport): string[] =>
  validate(schema, JSON.parse(JSON.stringify(report)));

describe("runKeyrotate", () => {
  it("scans, decides, applies and reports one run", async () => {
    const m = mockedClients();
    account(m);

    const report = await run(m);

    expect(report).toMatchObject({
      runId: "run-1",
      date: TODAY,
      dryRun: false,
      scanMode: "credential-report",
      status: "completed",
      adminSummary: { status: "sent" },
    });
    expect(report.counts).toEqual({
      usersSeen: 5,
      selected: 4,
      handled: 2,
      withFindings: 1,
      warned: 0,
      rotated: 1,
      deactivated: 1,
      deleted: 0,
      noticesSent: 2,
      failed: 0,
      deferred: 0,
      skipped: 1,
    });
    expect(report.users.map((u) => [u.userName, u.status])).toEqual([
      ["alice", "ok"],
      ["bob", "ok"],
      ["idle", "ok"],
    ]);
    expect(report.users[0]?.newKeyId).toBe(NEW);
    expect(report.users[0]?.keys).toEqual([
      { id: OLD, status: "Active", created: "2026-04-15", ageDays: 61, lastUse: "2026-06-14" },
    ]);
    expect(report.users[1]?.findings.map((f) => f.code)).toEqual(["no-email"]);
    expect(report.skippedUsers).toMatchObject([{ userName: "gone", reason: "deleted" }]);
    expect(report.settings.UNUSED_DAYS).toBe("15");
    const summary = m.ses.commandCalls(SendEmailCommand).at(-1)?.args[0].input;
    expect(summary?.Destination?.ToAddresses).toEqual(["admin@example.com"]);
    // Per user what was done, not counters.
    expect(summary?.Message?.Body?.Text?.Data).toMatch(/alice: rotated AKIA\w+ to AKIA\w+/);
  });

  it("makes no mutating call and sends nothing in a dry run, yet plans everything", async () => {
    const m = mockedClients();
    account(m);

    const report = await run(m, { dryRun: true });

    expect(mutatingCalls(m)).toBe(0);
    expect(report.dryRun).toBe(true);
    expect(report.adminSummary).toEqual({ status: "dry-run" });
    const alice = report.users.find((u) => u.userName === "alice");
    expect(alice?.status).toBe("planned");
    expect(alice?.steps.map((s) => s.step.action)).toEqual([
      "TagUser",
      "CreateKey",
      "StoreNewKeySecret",
      "TagUser",
      "SendNotice",
      "UntagUser",
    ]);
    expect(report.counts.rotated).toBe(0);
  });

  it("fails the run without any change when the credential report is truncated", async () => {
    const m = mockedClients();
    account(m);
    m.iam
      .on(GetCredentialReportCommand)
      .resolves(
        reportResponse(
          reportCsv(row("alice", { active: true, created: daysAgo(61) })).slice(0, -30),
        ),
      );

    const report = await run(m);

    expect(report.status).toBe("failed");
    expect(report.error).toMatchObject({
      tag: "MalformedReport",
      operation: "iam:GetCredentialReport",
    });
    expect(report.users).toEqual([]);
    expect(MUTATING.reduce((n, c) => n + m.iam.commandCalls(c as never).length, 0)).toBe(0);
    expect(m.s3.calls()).toHaveLength(0);
    expect(m.iam.commandCalls(ListUserTagsCommand)).toHaveLength(0);
    expect(report.adminSummary.status).toBe("sent");
  });

  it("reports a failed rotation as failed, with its compensation, and the rest as usual", async () => {
    const m = mockedClients();
    account(m);
    m.s3
      .on(PutObjectCommand, { Key: `credential/alice/alice_${NEW}.csv` })
      .rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));

    const report = await run(m);

    const alice = report.users.find((u) => u.userName === "alice");
    expect(alice).toMatchObject({ status: "failed", markerLeft: false });
    expect(alice?.compensation.map((c) => c.step.action)).toEqual([
      "DeleteStoredSecret",
      "DeactivateKey",
      "DeleteKey",
      "UntagUser",
    ]);
    expect(report.counts).toMatchObject({ failed: 1, rotated: 0, deleted: 0, deactivated: 1 });
    expect(schemaProblems(report)).toEqual([]);
  });

  it("never lets the secret into the report, the log or any email", async () => {
    const m = mockedClients();
    account(m);
    const entries: LogEntry[] = [];

    const report = await run(m, { log: (e) => entries.push(e) });

    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(JSON.stringify(entries)).not.toContain(SECRET);
    for (const call of m.ses.commandCalls(SendEmailCommand)) {
      expect(JSON.stringify(call.args[0].input)).not.toContain(SECRET);
    }
    expect(entries.map((e) => e.event)).toContain("run-finished");
  });

  it("writes reports that the published JSON schema describes completely", async () => {
    const reports: RunReport[] = [];
    for (const variant of ["normal", "dry", "failed-scan", "deferred"] as const) {
      const m = mockedClients();
      account(m);
      if (variant === "failed-scan") {
        m.iam
          .on(GenerateCredentialReportCommand)
          .rejects(Object.assign(new Error("no"), { name: "AccessDenied" }));
      }
      reports.push(
        await runKeyrotate({
          clients: m.clients,
          settings: settingsFrom(env),
          today: TODAY,
          polling: { sleep: recordingSleep().sleep },
          dryRun: variant === "dry",
          ...(variant === "deferred" ? { shouldStartUser: () => false } : {}),
        }),
      );
    }

    for (const report of reports) expect(schemaProblems(report)).toEqual([]);
    expect(reports[3]?.counts.deferred).toBeGreaterThan(0);
  });

  it("is caught by the schema check when a report carries a field the schema does not describe", () => {
    const problems = validate(schema, { schemaVersion: 1, surprise: true });
    expect(problems).toContain("$: must NOT have additional properties (surprise)");
    expect(problems).toContain("$: must have required property 'runId' (runId)");
  });
});
