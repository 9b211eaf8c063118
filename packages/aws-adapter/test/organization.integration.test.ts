import { readFileSync } from "node:fs";
import type { CalendarDate } from "@keyrotate/core";
import { type Sandbox, type Scenario, startSandbox } from "@keyrotate/sandbox";
import { memberScenario, troubledOrganization } from "@keyrotate/testkit";
import { Ajv2020 } from "ajv/dist/2020.js";
import * as E from "fp-ts/lib/Either.js";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../src/clients.js";
import {
  type AccountCredentials,
  createOrgClients,
  type OrgProgressEvent,
  runOrganization,
} from "../src/organization.js";
import type { OrgReport } from "../src/orgReport.js";
import { decodeOrgSettings, type OrgSettings } from "../src/orgSettings.js";
import { runKeyrotate } from "../src/run.js";
import { settingsFrom } from "./fixtures.js";

const SENDER = "keyrotate@example.com";
const BUCKET = "creds-bucket";
const NOW = "2026-01-01T09:00:00Z";
const TODAY = "2026-01-01" as CalendarDate;
const ROLE = "KeyrotateMember";
const EXTERNAL_ID = "keyrotate-org-test";

const delivery = { sender: SENDER, bucketOf: () => BUCKET };
const ORG = troubledOrganization(delivery, { name: ROLE, externalId: EXTERNAL_ID });

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const start = async (seed: Scenario): Promise<Sandbox> => {
  const s = await startSandbox({ now: NOW, randomSeed: 11, reportGenerationMs: 5, seed });
  open.push(s);
  return s;
};

const orgSettings = (env: Record<string, string> = {}): OrgSettings => {
  const decoded = decodeOrgSettings({
    ORG_ROLE_NAME: ROLE,
    ORG_EXTERNAL_ID: EXTERNAL_ID,
    ORG_EXCLUDE_ACCOUNTS: "123456789012",
    ORG_OPT_OUT_TAG: "keyrotate:opt-out=true",
    ...env,
  });
  if (E.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
  return decoded.right;
};

// Rotation on first sight (the original's timing), so that overdue keys rotate in one run.
const settings = settingsFrom({
  SES_EMAIL: SENDER,
  SES_REGION: "us-east-1",
  S3_CSV_BUCKET: BUCKET,
  MIN_NOTICE_DAYS: "0",
  IN_USE_DELAY_DAYS: "0",
});

const run = (
  s: Sandbox,
  org: OrgSettings,
  extra: Partial<Parameters<typeof runOrganization>[0]> = {},
) => {
  const { endpoint, region, credentials } = s.clientConfig();
  return runOrganization({
    orgClients: createOrgClients({ endpoint, region, credentials, maxAttempts: 2 }),
    org,
    settings,
    today: TODAY,
    // A throttling storm keeps the credential report "not ready": give up on it quickly.
    polling: { initialDelayMs: 10, maxDelayMs: 50, timeoutMs: 500 },
    // Standard retries: the adaptive mode's client-side rate limit would stretch the storm out.
    clientsFor: (c: AccountCredentials) =>
      createAwsClients({
        settings,
        endpoint,
        region,
        credentials: c,
        maxAttempts: 2,
        retryMode: "standard",
      }),
    ...extra,
  });
};

const loadSchema = (name: string): object =>
  JSON.parse(readFileSync(new URL(`../schema/${name}`, import.meta.url), "utf8")) as object;

const schemaProblems = (report: OrgReport): string[] => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addFormat("date-time", (v: string) => !Number.isNaN(Date.parse(v)));
  ajv.addSchema(loadSchema("run-report.schema.json"));
  const validate = ajv.compile(loadSchema("org-report.schema.json"));
  validate(JSON.parse(JSON.stringify(report)));
  return (validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message}`);
};

const section = (report: OrgReport, accountId: string) =>
  report.accounts.find((a) => a.accountId === accountId);

describe("runOrganization against a multi-account sandbox", () => {
  it("runs every covered account and isolates a denied role, a throttling storm and a rejecting SES", async () => {
    // Prepare
    const s = await start({ organization: ORG });
    // Act
    const report = await run(s, orgSettings());
    // Assess
    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
      ["111111111111", "completed"],
      ["222222222222", "completed"],
      ["444444444444", "unreachable"],
      ["666666666666", "failed"],
      ["777777777777", "completed"],
    ]);
    expect(report.skippedAccounts.map((a) => [a.accountId, a.reason])).toEqual([
      ["123456789012", "excluded"],
      ["333333333333", "suspended"],
      ["555555555555", "opted-out"],
    ]);
    expect(section(report, "444444444444")?.error?.tag).toBe("AccessDenied");
    // The storm's throttling outlasts the SDK's retries: the scan fails, as Throttled.
    expect(section(report, "666666666666")?.report?.error?.tag).toBe("Throttled");
    expect(s.account("666666666666").faultCounts().throttled).toBeGreaterThan(0);
    const mailless = section(report, "777777777777")?.report;
    expect(mailless?.counts.failed).toBeGreaterThan(0);
    expect(section(report, "111111111111")?.report?.counts.rotated).toBe(1);
    expect(section(report, "222222222222")?.report?.counts.rotated).toBe(1);
    expect(
      s
        .account("222222222222")
        .keyEvents()
        .map((e) => e.operation),
    ).toContain("CreateAccessKey");
    expect(s.account("555555555555").keyEvents()).toEqual([]);
    expect(s.keyEvents()).toEqual([]);
    expect(report.status).toBe("partial");
    expect(report.totals.accounts).toEqual({
      discovered: 8,
      selected: 5,
      completed: 3,
      failed: 1,
      unreachable: 1,
      deferred: 0,
      skipped: 3,
    });
    const rotated = report.accounts.reduce((n, a) => n + (a.report?.counts.rotated ?? 0), 0);
    expect(report.totals.users.rotated).toBe(rotated);
    expect(report.totals.users.usersSeen).toBe(6);
    expect(report.apiCalls["sts:AssumeRole"]).toBe(5);
    expect(schemaProblems(report)).toEqual([]);
    const text = JSON.stringify(report);
    for (const id of ["111111111111", "222222222222", "777777777777"])
      for (const secret of s.account(id).issuedSecrets())
        expect(text).not.toContain(secret.secretAccessKey);
  });

  it("makes the same IAM calls in an account as a single-account run of it", async () => {
    // Prepare
    const single = await start(memberScenario(delivery, "111111111111", "shared"));
    const { endpoint, region, credentials } = single.clientConfig();
    const alone = await runKeyrotate({
      clients: createAwsClients({ settings, endpoint, region, credentials, maxAttempts: 2 }),
      settings,
      today: TODAY,
      polling: { initialDelayMs: 10, maxDelayMs: 50 },
    });
    const s = await start({ organization: ORG });
    // Act
    const report = await run(s, orgSettings({ ORG_INCLUDE_ACCOUNTS: "111111111111" }));
    // Assess
    const inOrg = section(report, "111111111111")?.report;
    expect(inOrg?.apiCalls).toEqual(alone.apiCalls);
    expect(inOrg?.counts).toEqual(alone.counts);
  });

  it("covers nested OUs of ORG_INCLUDE_OUS, adds ORG_INCLUDE_ACCOUNTS and reports an unknown one", async () => {
    // Prepare
    const s = await start({ organization: ORG });
    const workloads = s.accounts().find((a) => a.id === "222222222222")?.parentId as string;
    // Act
    const report = await run(
      s,
      orgSettings({
        ORG_INCLUDE_OUS: workloads,
        ORG_INCLUDE_ACCOUNTS: "111111111111,999999999999",
        ORG_EXCLUDE_ACCOUNTS: "666666666666",
        ORG_OPT_OUT_TAG: "",
        ORG_CONCURRENCY: "1",
      }),
    );
    // Assess
    expect(report.accounts.map((a) => a.accountId).sort()).toEqual([
      "111111111111",
      "222222222222",
      "444444444444",
      "555555555555",
      "777777777777",
    ]);
    expect(report.skippedAccounts.map((a) => [a.accountId, a.reason])).toEqual([
      ["999999999999", "not-in-organization"],
      ["333333333333", "suspended"],
      ["666666666666", "excluded"],
    ]);
  });

  it("runs at most ORG_CONCURRENCY accounts at once and reports each as it goes", async () => {
    // Prepare
    const accounts = Array.from({ length: 6 }, (_, i) => ({
      id: String(100000000000 + i),
      name: `acct-${i}`,
      scenario: memberScenario(delivery, String(100000000000 + i), `a${i}`),
    }));
    const s = await start({
      organization: { memberRole: { name: ROLE }, management: { role: null }, accounts },
    });
    const events: OrgProgressEvent[] = [];
    let running = 0;
    let most = 0;
    // Act
    const report = await run(
      s,
      orgSettings({ ORG_EXTERNAL_ID: "", ORG_OPT_OUT_TAG: "", ORG_CONCURRENCY: "2" }),
      {
        onAccountProgress: (e) => {
          events.push(e);
          if (e.kind === "account-started") most = Math.max(most, ++running);
          if (e.kind === "account-finished") running -= 1;
        },
      },
    );
    // Assess
    expect(report.status).toBe("completed");
    expect(most).toBe(2);
    expect(events[0]).toMatchObject({ kind: "discovered", selected: 6 });
    expect(events.filter((e) => e.kind === "account-finished")).toHaveLength(6);
  });

  it("defers the accounts not started once shouldStartAccount says no", async () => {
    // Prepare
    const s = await start({ organization: ORG });
    let budget = 2;
    // Act
    const report = await run(s, orgSettings({ ORG_CONCURRENCY: "1" }), {
      shouldStartAccount: () => budget-- > 0,
    });
    // Assess
    expect(report.accounts.map((a) => a.status)).toEqual([
      "completed",
      "completed",
      "deferred",
      "deferred",
      "deferred",
    ]);
    expect(s.account("444444444444").calls()).toEqual({});
    expect(report.status).toBe("partial");
  });

  it("finds STS and Organizations through AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_ORGANIZATIONS", async () => {
    // Prepare
    const s = await start({ organization: ORG });
    const { region, credentials } = s.clientConfig();
    const saved = {
      sts: process.env.AWS_ENDPOINT_URL_STS,
      org: process.env.AWS_ENDPOINT_URL_ORGANIZATIONS,
    };
    process.env.AWS_ENDPOINT_URL_STS = s.url;
    process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = s.url;
    try {
      // Act
      const report = await run(s, orgSettings({ ORG_INCLUDE_ACCOUNTS: "222222222222" }), {
        orgClients: createOrgClients({ region, credentials, maxAttempts: 1 }),
      });
      // Assess
      expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
        ["222222222222", "completed"],
      ]);
      expect(report.apiCalls).toEqual({
        "organizations:ListAccounts": 1,
        "organizations:ListTagsForResource": 1,
        "sts:AssumeRole": 1,
      });
    } finally {
      if (saved.sts === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
      else process.env.AWS_ENDPOINT_URL_STS = saved.sts;
      if (saved.org === undefined) delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
      else process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = saved.org;
    }
  });

  it("fails as a whole, running nothing, when the organisation cannot be listed", async () => {
    // Prepare
    const s = await start({ organization: ORG });
    const { endpoint, region } = s.clientConfig();
    const member = s.account("111111111111").credentials;
    // Act
    const report = await run(s, orgSettings(), {
      orgClients: createOrgClients({ endpoint, region, credentials: member, maxAttempts: 1 }),
    });
    // Assess
    expect(report.status).toBe("failed");
    expect(report.error?.tag).toBe("AccessDenied");
    expect(report.accounts).toEqual([]);
    expect(s.account("222222222222").calls()).toEqual({});
    expect(schemaProblems(report)).toEqual([]);
  });
});
