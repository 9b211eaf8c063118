import { Logger } from "@aws-lambda-powertools/logger";
import {
  type AccountCredentials,
  createAwsClients,
  createOrgClients,
  decodeOrgSettings,
  type OrgReport,
  runOrganization,
} from "@keyrotate/aws-adapter";
import { decodeSettings } from "@keyrotate/core";
import { type Sandbox, startSandbox } from "@keyrotate/sandbox";
import { fakeContext, type Json, troubledOrganization } from "@keyrotate/testkit";
import * as E from "fp-ts/lib/Either.js";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkerEvent } from "../src/events.js";
import { createListHandler } from "../src/list.js";
import { getJson } from "../src/store.js";
import { createSummariseHandler } from "../src/summarise.js";
import { createWorkerHandler } from "../src/worker.js";
import { orgTemplate } from "./deployment.js";
import { runMap } from "./mapRun.js";

// list → worker per account → summarise, in-process against the multi-account sandbox, with the
// Distributed Map simulated (mapRun.ts): the same handlers the deployed bundle exports.

const NOW = "2026-01-01T09:00:00Z";
const SENDER = "keyrotate@example.com";
const ADMIN = "security@example.com";
const RESULTS = "keyrotate-org-results";
const ROLE = "KeyrotateMember";
const EXTERNAL_ID = "keyrotate-org-test";

// Each member account has its own credentials bucket, as member-role.yaml makes it.
const ORG = troubledOrganization(
  { sender: SENDER, bucketOf: (id) => `keyrotate-credentials-${id}` },
  { name: ROLE, externalId: EXTERNAL_ID },
);

/** The functions' environment, as template.yaml's Globals set it (policy, ORG_*, bucket). */
const ENV = {
  SES_EMAIL: SENDER,
  SES_REGION: "us-east-1",
  S3_CSV_BUCKET: "keyrotate-credentials-{accountId}",
  ADMIN_EMAIL: ADMIN,
  // Rotation on first sight (the original's timing), so that overdue keys rotate in one run.
  MIN_NOTICE_DAYS: "0",
  IN_USE_DELAY_DAYS: "0",
  ORG_ROLE_NAME: ROLE,
  ORG_EXTERNAL_ID: EXTERNAL_ID,
  ORG_EXCLUDE_ACCOUNTS: "123456789012",
  RESULTS_BUCKET: RESULTS,
};

const silent = () => new Logger({ serviceName: "keyrotate-org", logLevel: "SILENT" });

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** The sandbox and the three handlers wired to it, as the deployed functions are to AWS. */
const deploy = async () => {
  const s = await startSandbox({
    now: NOW,
    randomSeed: 7,
    reportGenerationMs: 5,
    seed: { organization: ORG, buckets: [RESULTS], verifiedEmails: [SENDER] },
  });
  open.push(s);
  const { endpoint, region, credentials } = s.clientConfig();
  const now = () => new Date(NOW);
  const orgClients = () => createOrgClients({ endpoint, region, credentials, maxAttempts: 2 });
  const management = () =>
    createAwsClients({ settings: { sesRegion: "us-east-1" }, endpoint, region, credentials });
  const list = createListHandler({
    env: ENV,
    orgClients,
    clients: management,
    now,
    logger: silent(),
  });
  const worker = createWorkerHandler({
    env: ENV,
    orgClients,
    // Standard retries, two attempts: a throttling storm outlasts them quickly.
    clientsFor: (c: AccountCredentials, _id, settings) =>
      createAwsClients({
        settings,
        endpoint,
        region,
        credentials: c,
        maxAttempts: 2,
        retryMode: "standard",
      }),
    now,
    logger: silent(),
    polling: { initialDelayMs: 10, maxDelayMs: 50, timeoutMs: 500 },
  });
  const summarise = createSummariseHandler({
    env: ENV,
    clients: management,
    now,
    logger: silent(),
  });
  return { s, list, worker, summarise, s3: management().s3 };
};

/** The keys the state machine's ListAccounts step keeps of the list step's output. */
const listResultSelector = (): string[] => {
  const machine = orgTemplate.Resources.OrgStateMachine as { Properties: Record<string, Json> };
  const definition = machine.Properties.Definition as {
    States: Record<string, { ResultSelector?: Record<string, Json> }>;
  };
  return Object.keys(definition.States.ListAccounts?.ResultSelector ?? {})
    .map((k) => k.replace(/\.\$$/, ""))
    .sort();
};

describe("the organisation state machine's steps against a multi-account sandbox", () => {
  it("lists, runs every account through the worker and summarises, with failures isolated per account", async () => {
    // Prepare
    const { s, list, worker, summarise, s3 } = await deploy();
    const runId = "exec-2026-01-01";
    // Act: the list step, then (before the Map reaches it) an account is suspended.
    const listed = await list({ runId, input: {} }, fakeContext());
    s.account("555555555555").setStatus("SUSPENDED");
    const map = await runMap(
      s3,
      listed,
      (e: WorkerEvent, c) => worker(e, c),
      `runs/${runId}/results`,
    );
    const summary = await summarise({ list: listed, map });
    // Assess: the list step's output is what the state machine keeps of it.
    expect(Object.keys(listed).sort()).toEqual(listResultSelector());
    expect(listed).toMatchObject({ runId, date: "2026-01-01", dryRun: false, selected: 6 });
    const report = (await getJson(s3, RESULTS, summary.reportKey)) as OrgReport;
    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
      ["111111111111", "completed"],
      ["222222222222", "completed"],
      ["555555555555", "unreachable"],
      ["444444444444", "unreachable"],
      ["666666666666", "failed"],
      ["777777777777", "completed"],
    ]);
    expect(report.skippedAccounts.map((a) => [a.accountId, a.reason])).toEqual([
      ["123456789012", "excluded"],
      ["333333333333", "suspended"],
    ]);
    const section = (id: string) => report.accounts.find((a) => a.accountId === id);
    expect(section("444444444444")?.error?.tag).toBe("AccessDenied");
    // The throttled account failed the child execution (the Map would retry it with backoff).
    expect(section("666666666666")?.error).toMatchObject({
      tag: "Throttled",
      code: "Keyrotate.AccountThrottled",
    });
    expect(section("777777777777")?.report?.counts.failed).toBeGreaterThan(0);
    for (const id of ["111111111111", "222222222222"]) {
      expect(section(id)?.report?.counts.rotated, id).toBe(1);
      // The secret went to the account's own bucket, named from S3_CSV_BUCKET's {accountId}.
      expect(s.account(id).objects(`keyrotate-credentials-${id}`).length, id).toBeGreaterThan(0);
    }
    expect(s.account("333333333333").calls()).toEqual({});
    expect(s.keyEvents()).toEqual([]);
    expect(report).toMatchObject({ runId, date: "2026-01-01", status: "partial", dryRun: false });
    // The selection as the list step recorded it: the external id only as "set".
    expect(report.selection).toEqual({
      roleName: ROLE,
      externalId: "set",
      includeOus: [],
      includeAccounts: [],
      excludeAccounts: ["123456789012"],
      optOutTag: null,
      concurrency: 4,
    });
    expect(JSON.stringify(report)).not.toContain(EXTERNAL_ID);
    expect(report.totals.accounts).toEqual({
      discovered: 8,
      selected: 6,
      completed: 3,
      failed: 1,
      unreachable: 2,
      deferred: 0,
      skipped: 2,
    });
    expect(summary).toEqual({
      status: "partial",
      bucket: RESULTS,
      reportKey: `runs/${runId}/org-report.json`,
      accounts: report.totals.accounts,
      adminSummary: "sent",
    });
    // The admin mail from the deployment account names every account's outcome.
    const mail = s.emails().filter((e) => e.destinations.to.includes(ADMIN));
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toContain("3 of 6 accounts completed");
    for (const id of ["111111111111", "444444444444", "666666666666", "333333333333"])
      expect(mail[0]?.text).toContain(id);
    // No secret anywhere in the results bucket or the mail.
    const stored = s
      .objects(RESULTS)
      .map((o) => o.body.toString("utf8"))
      .join("\n");
    for (const id of ["111111111111", "222222222222", "777777777777"])
      for (const secret of s.account(id).issuedSecrets()) {
        expect(stored).not.toContain(secret.secretAccessKey);
        expect(mail[0]?.text).not.toContain(secret.secretAccessKey);
      }
  });

  it("makes the same AWS calls in an account as the adapter's runOrganization does for it", async () => {
    // Prepare: two organisations alike, one for the worker, one for runOrganization.
    const { list, worker } = await deploy();
    const other = await deploy();
    const listed = await list({ runId: "exec-calls", input: { dryRun: true } }, fakeContext());
    const { endpoint, region, credentials } = other.s.clientConfig();
    const org = decodeOrgSettings({ ...ENV, ORG_INCLUDE_ACCOUNTS: "111111111111" });
    const settings = decodeSettings({
      ...ENV,
      S3_CSV_BUCKET: "keyrotate-credentials-111111111111",
    });
    if (E.isLeft(org) || E.isLeft(settings)) throw new Error("test settings");
    // Act
    const section = await worker(
      {
        account: { id: "111111111111", name: "shared" },
        runId: listed.runId,
        date: listed.date,
        dryRun: true,
      },
      fakeContext(),
    );
    const viaAdapter = await runOrganization({
      orgClients: createOrgClients({ endpoint, region, credentials, maxAttempts: 2 }),
      org: org.right,
      settings: settings.right,
      today: listed.date,
      dryRun: true,
      polling: { initialDelayMs: 10, maxDelayMs: 50, timeoutMs: 500 },
      clientsFor: (c) =>
        createAwsClients({
          settings: settings.right,
          endpoint,
          region,
          credentials: c,
          maxAttempts: 2,
          retryMode: "standard",
        }),
    });
    // Assess
    expect(section.status).toBe("completed");
    expect(section.report?.dryRun).toBe(true);
    expect(section.report?.apiCalls).toEqual(viaAdapter.accounts[0]?.report?.apiCalls);
    expect(section.report?.counts).toEqual(viaAdapter.accounts[0]?.report?.counts);
  });

  it("reports the accounts as deferred when the Map failed before running them, and mails nothing on a dry run", async () => {
    // Prepare
    const { list, summarise } = await deploy();
    const listed = await list({ runId: "exec-failed-map", input: { dryRun: true } }, fakeContext());
    // Act
    const summary = await summarise({
      list: listed,
      mapError: { Error: "States.ExceedToleratedFailureThreshold", Cause: "too many failures" },
    });
    // Assess
    expect(listed.dryRun).toBe(true);
    expect(summary.status).toBe("failed");
    expect(summary.accounts).toMatchObject({ selected: 6, deferred: 6, completed: 0 });
  });

  it("rejects a worker event that names no account, before any AWS call", async () => {
    // Prepare
    const { s, worker } = await deploy();
    s.resetCalls();
    // Act
    const run = worker(
      { account: { id: "42" }, runId: "r", date: "2026-13-01", dryRun: "no" },
      fakeContext(),
    );
    // Assess
    await expect(run).rejects.toThrow(
      /"account\.id" must be a 12-digit account id, not "42"; "date" must be a date YYYY-MM-DD, not "2026-13-01"; "dryRun" must be true or false, not "no"/,
    );
    expect(s.calls()).toEqual({});
  });

  it("stops on invalid settings with one message naming each, before any AWS call", async () => {
    // Prepare
    const worker = createWorkerHandler({
      env: { ...ENV, S3_CSV_BUCKET: "", RESULTS_BUCKET: "No_Such", ORG_ROLE_NAME: "" },
      logger: silent(),
    });
    // Act
    const error = await worker({}, fakeContext()).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^keyrotate cannot run: 3 invalid settings/);
    for (const name of ["ORG_ROLE_NAME", "S3_CSV_BUCKET", "RESULTS_BUCKET"])
      expect(message).toContain(name);
  });
});
