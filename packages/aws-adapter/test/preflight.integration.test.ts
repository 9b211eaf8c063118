import { readFileSync } from "node:fs";
import type { CalendarDate } from "@keyrotate/core";
import { type Sandbox, type Scenario, type ScenarioUser, startSandbox } from "@keyrotate/sandbox";
import { BUCKET, mailedUser, SENDER, TEST_KMS_KEY } from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../src/clients.js";
import { PREFLIGHT_OBJECT_KEY, preflight } from "../src/preflight.js";
import type { RunReport } from "../src/report.js";
import { runKeyrotate } from "../src/run.js";
import { settingsFrom } from "./fixtures.js";
import { validate } from "./jsonSchema.js";

const schema = JSON.parse(
  readFileSync(new URL("../schema/run-report.schema.json", import.meta.url), "utf8"),
);

const KMS_KEY = TEST_KMS_KEY;

/** Two users due for rotation, one due for a warning, one whose old key is due to go. */
const users: ScenarioUser[] = [
  mailedUser("anna", [{ ageDays: 95, lastUsedDaysAgo: 0, id: "AKIAANNA000000000001" }]),
  mailedUser("ben", [{ ageDays: 70, lastUsedDaysAgo: 0, id: "AKIABEN0000000000001" }]),
  mailedUser("carla", [{ ageDays: 31, lastUsedDaysAgo: 0, id: "AKIACARLA00000000001" }]),
  mailedUser(
    "dora",
    [
      { ageDays: 80, lastUsedDaysAgo: 2, id: "AKIADORA000000000001" },
      { ageDays: 19, lastUsedDaysAgo: 0, id: "AKIADORA000000000002" },
    ],
    { "last-check-date": "2026-01-01", "last-check-old-key": "AKIADORA000000000001" },
  ),
];

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** A run against a sandbox seeded with `users` and `account`, on 2026-01-20. */
const runAgainst = async (
  account: Scenario,
  env: Record<string, string> = {},
): Promise<{ sb: Sandbox; report: RunReport }> => {
  sandbox = await startSandbox({
    now: "2026-01-20T09:00:00Z",
    randomSeed: 5,
    reportGenerationMs: 2,
    seed: { ...account, users },
  });
  const sb = sandbox;
  // Rotation without a warning first (the original's timing), so that both users rotate today.
  const settings = settingsFrom({
    SES_EMAIL: SENDER,
    SES_REGION: sb.region,
    S3_CSV_BUCKET: BUCKET,
    MIN_NOTICE_DAYS: "0",
    ...env,
  });
  const { endpoint, region, credentials } = sb.clientConfig();
  const clients = createAwsClients({ settings, endpoint, region, credentials, maxAttempts: 2 });
  const report = await runKeyrotate({
    // The preflight on its own: the run lease (which a missing bucket stops first) has tests
    // of its own, and one below.
    lease: false,
    clients,
    settings,
    today: "2026-01-20" as CalendarDate,
    polling: { initialDelayMs: 5, maxDelayMs: 20 },
    runId: "run-preflight",
  });
  return { sb, report };
};

const created = (sb: Sandbox) => sb.keyEvents().filter((e) => e.operation === "CreateAccessKey");
const userOf = (report: RunReport, name: string) => report.users.find((u) => u.userName === name);
const mailTo = (sb: Sandbox, name: string) =>
  sb.emails().filter((e) => e.destinations.to.includes(`${name}@example.com`));
const tagKeys = (sb: Sandbox, name: string) =>
  (sb.users().find((u) => u.name === name)?.tags ?? []).map((t) => t.key).sort();

/** What every failed preflight must leave: no key made, no rotation tagged, one message. */
const heldBack = (sb: Sandbox, report: RunReport, check: string) => {
  expect(created(sb)).toEqual([]);
  expect(tagKeys(sb, "anna")).toEqual(["email"]);
  expect(tagKeys(sb, "ben")).toEqual(["email"]);
  expect(report.status).toBe("failed");
  expect(report.preflight).toMatchObject({ status: "failed", check, heldBack: ["anna", "ben"] });
  expect(report.error?.message).toContain(`Preflight check ${check} failed:`);
  expect(report.error?.message).toContain("then run again");
  expect(report.error?.message).toContain("No key was created; 2 rotations wait for the next run.");
  for (const name of ["anna", "ben"]) {
    expect(userOf(report, name)).toMatchObject({
      status: "failed",
      error: { message: `rotation held back: preflight check ${check} failed` },
    });
    expect(userOf(report, name)?.steps.every((s) => s.reason === "preflight-failed")).toBe(true);
  }
  expect(report.counts.rotated).toBe(0);
  expect(validate(schema, JSON.parse(JSON.stringify(report)))).toEqual([]);
};

describe("the preflight before a run's first rotation, against the sandbox", () => {
  it("holds back every rotation when the SES sender is not verified, and still sends what it can", async () => {
    const { sb, report } = await runAgainst({ buckets: [BUCKET] });

    heldBack(sb, report, "ses-sender-verified");
    expect(report.error).toMatchObject({
      tag: "AccessDenied",
      operation: "ses:GetIdentityVerificationAttributes",
    });
    expect(report.error?.message).toContain(
      `the SES sender ${SENDER} is not verified in us-east-1`,
    );
    // One check, once: not per user.
    expect(report.apiCalls["ses:GetIdentityVerificationAttributes"]).toBe(1);
    expect(report.apiCalls["s3:PutObject"]).toBeUndefined();
    // The warning and the deactivation are not rotations: they are tried (SES refuses the mail).
    expect(userOf(report, "carla")?.steps.map((s) => [s.step.action, s.status])).toEqual([
      ["SendNotice", "failed"],
      // A warning is recorded only once it was sent (POLICY.md invariant 14).
      ["TagUser", "skipped"],
    ]);
    expect(sb.calls()["iam:UpdateAccessKey"]).toBe(1);
    expect(report.counts.failed).toBe(4);
  });

  it("holds back every rotation when the bucket is missing: no create-and-undo per user", async () => {
    const { sb, report } = await runAgainst({ verifiedEmails: [SENDER] });

    heldBack(sb, report, "bucket-exists");
    expect(report.error).toMatchObject({ tag: "NotFound", operation: "s3:PutObject" });
    expect(report.error?.message).toContain(`the credentials bucket ${BUCKET} does not exist`);
    expect(sb.calls()["s3:PutObject"]).toBe(1);
    expect(sb.calls()["iam:DeleteAccessKey"]).toBeUndefined();
    expect(mailTo(sb, "carla").map((e) => e.subject)).toEqual([
      expect.stringContaining("will be rotated"),
    ]);
    expect(mailTo(sb, "dora")).toHaveLength(1);
    expect(mailTo(sb, "anna")).toEqual([]);
    expect(report.counts.failed).toBe(2);
  });

  it("holds back every rotation when S3 cannot use the KMS key", async () => {
    const { sb, report } = await runAgainst(
      {
        verifiedEmails: [SENDER],
        buckets: [BUCKET],
        kmsKeys: [{ id: KMS_KEY, state: "Disabled" }],
      },
      { KMS_KEY_ID: KMS_KEY },
    );

    heldBack(sb, report, "kms-key-usable");
    expect(report.error).toMatchObject({ code: "KMS.DisabledException" });
    expect(report.error?.message).toContain(`S3 cannot encrypt with the KMS key ${KMS_KEY}`);
    expect(sb.objects(BUCKET)).toEqual([]);
    expect(mailTo(sb, "carla")).toHaveLength(1);
    expect(mailTo(sb, "dora")).toHaveLength(1);
    expect(report.counts.failed).toBe(2);
  });

  it("holds back every rotation when sending is paused for the SES account", async () => {
    const { sb, report } = await runAgainst({
      verifiedEmails: [SENDER],
      buckets: [BUCKET],
      ses: { sendingEnabled: false },
    });

    heldBack(sb, report, "ses-sending-enabled");
    expect(report.error?.message).toContain("update-account-sending-enabled");
  });

  it("holds back every rotation when the 24-hour sending quota is used up", async () => {
    const { sb, report } = await runAgainst({
      verifiedEmails: [SENDER],
      buckets: [BUCKET],
      ses: { max24HourSend: 0 },
    });

    heldBack(sb, report, "ses-send-quota");
    expect(report.error).toMatchObject({ tag: "LimitExceeded", operation: "ses:GetSendQuota" });
    expect(report.error?.message).toContain("has used its 24-hour sending quota (0 of 0)");
  });

  it("fails closed when a check cannot be made, and says which permission to grant", async () => {
    sandbox = await startSandbox({
      now: "2026-01-20T09:00:00Z",
      reportGenerationMs: 2,
      seed: { verifiedEmails: [SENDER], buckets: [BUCKET], users },
      faults: {
        failOperations: {
          "ses:GetAccountSendingEnabled": { count: 5, status: 403, code: "AccessDenied" },
        },
      },
    });
    const settings = settingsFrom({
      SES_EMAIL: SENDER,
      SES_REGION: sandbox.region,
      S3_CSV_BUCKET: BUCKET,
      MIN_NOTICE_DAYS: "0",
    });
    const { endpoint, region, credentials } = sandbox.clientConfig();

    const report = await runKeyrotate({
      lease: false,
      clients: createAwsClients({ settings, endpoint, region, credentials, maxAttempts: 2 }),
      settings,
      today: "2026-01-20" as CalendarDate,
      polling: { initialDelayMs: 5, maxDelayMs: 20 },
    });

    heldBack(sandbox, report, "ses-sending-enabled");
    expect(report.error?.message).toContain(
      "keyrotate could not check that SES sending is enabled: ses:GetAccountSendingEnabled failed: AccessDenied",
    );
    expect(report.error?.message).toContain(
      "Let keyrotate's role call ses:GetAccountSendingEnabled",
    );
  });

  it("passes once per run, leaves nothing in the bucket but the secrets, and the rotations go ahead", async () => {
    const { sb, report } = await runAgainst(
      { verifiedEmails: [SENDER], buckets: [BUCKET], kmsKeys: [{ id: KMS_KEY }] },
      { KMS_KEY_ID: KMS_KEY },
    );

    expect(report.status).toBe("completed");
    expect(report.preflight).toEqual({
      status: "passed",
      checks: [
        "ses-sender-verified",
        "ses-sending-enabled",
        "ses-send-quota",
        "bucket-exists",
        "bucket-writable",
        "kms-key-usable",
      ],
    });
    expect(created(sb)).toHaveLength(2);
    expect(report.counts).toMatchObject({ rotated: 2, failed: 0 });
    expect(report.apiCalls).toMatchObject({
      "ses:GetIdentityVerificationAttributes": 1,
      "ses:GetAccountSendingEnabled": 1,
      "ses:GetSendQuota": 1,
      "s3:PutObject": 3,
      "s3:DeleteObject": 1,
    });
    expect(sb.objects(BUCKET).map((o) => o.key)).not.toContain(PREFLIGHT_OBJECT_KEY);
    expect(sb.objects(BUCKET).every((o) => o.kmsKeyId === KMS_KEY)).toBe(true);
  });

  it("makes no check in a run that rotates nobody", async () => {
    sandbox = await startSandbox({
      now: "2026-01-20T09:00:00Z",
      reportGenerationMs: 2,
      seed: { users: users.slice(2) },
    });
    const settings = settingsFrom({
      SES_EMAIL: SENDER,
      SES_REGION: sandbox.region,
      S3_CSV_BUCKET: BUCKET,
    });
    const { endpoint, region, credentials } = sandbox.clientConfig();

    const report = await runKeyrotate({
      lease: false,
      clients: createAwsClients({ settings, endpoint, region, credentials, maxAttempts: 1 }),
      settings,
      today: "2026-01-20" as CalendarDate,
      polling: { initialDelayMs: 5, maxDelayMs: 20 },
    });

    expect(report.preflight).toEqual({ status: "not-run", reason: "no-rotation-due" });
    expect(report.status).toBe("completed");
    expect(Object.keys(report.apiCalls).filter((op) => op.startsWith("ses:Get"))).toEqual([]);
  });

  it("finds SES and S3 through AWS_ENDPOINT_URL_SES and AWS_ENDPOINT_URL_S3, as any SDK client does", async () => {
    sandbox = await startSandbox({
      now: "2026-01-20T09:00:00Z",
      seed: { verifiedEmails: [SENDER], buckets: [BUCKET] },
    });
    const settings = settingsFrom({
      SES_EMAIL: SENDER,
      SES_REGION: sandbox.region,
      S3_CSV_BUCKET: BUCKET,
    });
    const names = ["AWS_ENDPOINT_URL_SES", "AWS_ENDPOINT_URL_S3"] as const;
    const before = names.map((n) => process.env[n]);
    for (const n of names) process.env[n] = sandbox.url;
    try {
      const clients = createAwsClients({
        settings,
        region: sandbox.region,
        credentials: sandbox.clientConfig().credentials,
        maxAttempts: 1,
      });

      const failed = await preflight(clients, settings, "run-env");

      expect(failed).toBeUndefined();
      expect(sandbox.calls()).toEqual({
        "ses:GetIdentityVerificationAttributes": 1,
        "ses:GetAccountSendingEnabled": 1,
        "ses:GetSendQuota": 1,
        "s3:PutObject": 1,
        "s3:DeleteObject": 1,
      });
    } finally {
      names.forEach((n, i) => {
        const value = before[i];
        if (value === undefined) delete process.env[n];
        else process.env[n] = value;
      });
    }
  });
});
