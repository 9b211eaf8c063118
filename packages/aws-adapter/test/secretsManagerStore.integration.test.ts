import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  crashSwitch,
  emailTexts,
  type Harness,
  keysOf,
  mailedUser,
  secretHygiene,
  startHarness,
  undeliveredKeys,
  useNewestKey,
} from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { LogEntry } from "../src/log.js";
import type { RunReport } from "../src/report.js";
import { secretName, secretVersionId } from "../src/secretsManagerStore.js";

const OLD = "AKIAANNAOLDKEY000001";
const START = "2026-01-01T09:00:00Z";
/** Short days, the original's timing: a key is rotated after 10 days and retired 3 + 3 later. */
const SHORT = {
  SECRET_STORE: "secretsmanager",
  WARNING_DAYS: "5",
  OVERDUE_DAYS: "10",
  DEACTIVATE_DAYS: "3",
  DELETION_DAYS: "3",
  MIN_NOTICE_DAYS: "0",
  IN_USE_DELAY_DAYS: "0",
};
const anna = mailedUser("anna", [{ ageDays: 15, lastUsedDaysAgo: 0, id: OLD }]);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const secretOfAnna = (harness: Harness) =>
  harness.sandbox.secrets({ values: true }).find((s) => s.name === "keyrotate/anna");

/** A Secrets Manager client signed with one of the user's own keys, as the user reads. */
const userClient = (harness: Harness, accessKeyId: string): SecretsManagerClient => {
  const { endpoint, region } = harness.sandbox.clientConfig();
  const secretAccessKey = harness.sandbox.secretOf(accessKeyId);
  if (secretAccessKey === undefined) throw new Error(`no secret for ${accessKeyId}`);
  return new SecretsManagerClient({
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
  });
};

const newKeyOf = (report: RunReport): string | undefined =>
  report.users.find((u) => u.userName === "anna")?.newKeyId;

describe("SECRET_STORE=secretsmanager against the sandbox", () => {
  it("delivers each new key in the user's own secret and retires the old key's value with it", async () => {
    // Prepare
    h = await startHarness([anna], SHORT, START);
    const logs: LogEntry[] = [];
    const reports: RunReport[] = [];
    const problems: string[] = [];

    // Act: daily runs until the first key made by keyrotate has itself been rotated and deleted.
    for (let day = 0; day < 32; day++) {
      if (day > 0) h.sandbox.clock.advanceDays(1);
      await useNewestKey(h, "anna");
      const report = await h.run({ log: (e) => logs.push(e) });
      reports.push(report);
      if (report.counts.failed > 0) problems.push(`day ${day}: ${report.counts.failed} failed`);
      for (const p of undeliveredKeys(h, "anna", [OLD])) problems.push(`day ${day}: ${p}`);
    }

    // Assess
    expect(problems).toEqual([]);
    const made = reports.map(newKeyOf).filter((k): k is string => k !== undefined);
    // Rotated after 10 days, retired 3 + 3 days later: three rotations in 32 days.
    expect(made).toHaveLength(3);
    const first = made[0] as string;
    const newest = made[2] as string;
    const secret = secretOfAnna(h);
    const user = h.sandbox.users().find((u) => u.name === "anna");
    // The owner-only policy: the user may read, every other principal is denied.
    const policy = JSON.parse(secret?.resourcePolicy ?? "{}");
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Effect: "Allow", Principal: { AWS: user?.arn } }),
      expect.objectContaining({
        Effect: "Deny",
        Principal: "*",
        Action: "secretsmanager:GetSecretValue",
        Condition: { ArnNotEquals: { "aws:PrincipalArn": user?.arn } },
      }),
    ]);
    // The Rotated notice names the secret and the exact command, not an S3 file.
    const rotated = h.sandbox.emails().filter((e) => /was rotated: new key/.test(e.subject ?? ""));
    expect(rotated).toHaveLength(3);
    expect(rotated[2]?.text).toContain(
      `aws secretsmanager get-secret-value --secret-id keyrotate/anna --region ${h.sandbox.region} --query SecretString --output text`,
    );
    expect(rotated.some((e) => /s3:\/\//.test(e.text ?? ""))).toBe(false);
    // The user reads the current value with the newest key's own credentials: the command's call.
    const client = userClient(h, newest);
    const read = await client.send(new GetSecretValueCommand({ SecretId: "keyrotate/anna" }));
    expect(JSON.parse(read.SecretString ?? "{}")).toEqual({
      UserName: "anna",
      AccessKeyId: newest,
      SecretAccessKey: h.sandbox.secretOf(newest),
    });
    // The first key is deleted, and its value no longer readable by any staging label.
    expect(keysOf(h, "anna").map((k) => k.accessKeyId)).not.toContain(first);
    expect(secret?.versions.find((v) => v.versionId === secretVersionId(first))?.stages).toEqual(
      [],
    );
    await expect(
      client.send(
        new GetSecretValueCommand({ SecretId: "keyrotate/anna", VersionStage: "AWSPREVIOUS" }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    client.destroy();
    // No secret anywhere else: logs, reports, notices, the bucket.
    secretHygiene(h.sandbox).assertClean({
      logs,
      reports,
      ...emailTexts(h.sandbox.emails()),
      objects: h.sandbox.objects().map((o) => o.body.toString("utf8")),
    });
  });

  it("undoes the new key when the value cannot be put (a disabled KMS key)", async () => {
    // Prepare
    h = await startHarness([anna], SHORT, START);
    h.sandbox.setFaults({
      failOperations: {
        "secretsmanager:PutSecretValue": {
          count: 10,
          status: 400,
          code: "EncryptionFailure",
          message: "the KMS key is disabled",
        },
      },
    });

    // Act
    const report = await h.run();

    // Assess
    expect(report.users.find((u) => u.userName === "anna")).toMatchObject({
      status: "failed",
      markerLeft: false,
      error: { tag: "AccessDenied", operation: "secretsmanager:PutSecretValue" },
    });
    expect(keysOf(h, "anna").map((k) => k.accessKeyId)).toEqual([OLD]);
    expect(h.sandbox.calls()["iam:DeleteAccessKey"]).toBe(1);
    // The secret made for the value holds none: nothing of the new key is readable.
    expect(secretOfAnna(h)?.versions).toEqual([]);
    expect(h.sandbox.emails()).toEqual([]);
  });

  it("gives AWSCURRENT back to the previous key's version when a later rotation is undone", async () => {
    // Prepare: a first rotation into the secret, then days until the new key is due itself.
    h = await startHarness([anna], SHORT, START);
    const first = newKeyOf(await h.run());
    for (let day = 1; day <= 10; day++) {
      h.sandbox.clock.advanceDays(1);
      await useNewestKey(h, "anna");
      await h.run();
    }
    h.sandbox.clock.advanceDays(1);
    await useNewestKey(h, "anna");
    // The commit (the plan's second TagUser) is refused, after the value was put.
    h.sandbox.setFaults({
      failOperations: { "iam:TagUser": { skip: 1, count: 1, status: 403, code: "AccessDenied" } },
    });

    // Act
    const report = await h.run();

    // Assess
    const user = report.users.find((u) => u.userName === "anna");
    expect(user).toMatchObject({ status: "failed", markerLeft: false });
    const undone = user?.newKeyId as string;
    expect(keysOf(h, "anna").map((k) => k.accessKeyId)).toEqual([first]);
    const stages = Object.fromEntries(
      (secretOfAnna(h)?.versions ?? []).map((v) => [v.versionId, v.stages]),
    );
    expect(stages[secretVersionId(first as string)]).toEqual(["AWSCURRENT"]);
    expect(stages[secretVersionId(undone)]).toEqual([]);
  });

  it("holds every rotation back when the preflight finds Secrets Manager refusing keyrotate's role", async () => {
    // Prepare
    h = await startHarness([anna], SHORT, START);
    h.sandbox.setFaults({
      failOperations: {
        "secretsmanager:DescribeSecret": { count: 1, status: 400, code: "AccessDeniedException" },
      },
    });

    // Act
    const report = await h.run();

    // Assess
    expect(report.preflight).toMatchObject({ status: "failed", check: "secret-store-usable" });
    expect(report.preflight?.status === "failed" && report.preflight.error.message).toMatch(
      /Secrets Manager on secret:keyrotate\/\*/,
    );
    expect(keysOf(h, "anna").map((k) => k.accessKeyId)).toEqual([OLD]);
    expect(h.sandbox.calls()["iam:CreateAccessKey"]).toBeUndefined();
  });

  /** The changing calls of a first rotation into Secrets Manager, in order. */
  const rotationCalls = [
    "iam:TagUser",
    "iam:CreateAccessKey",
    "secretsmanager:CreateSecret",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:PutSecretValue",
  ];
  const crashes = rotationCalls
    .map((operation, i) => ({ k: i + 1, operation }))
    .filter(({ operation }) => operation.startsWith("secretsmanager:"))
    .flatMap((c) => [
      { ...c, lostReply: false },
      { ...c, lostReply: true },
    ]);

  it.each(crashes)(
    "is recovered after a crash after call $k ($operation), reply lost: $lostReply",
    async ({ k, lostReply }) => {
      // Prepare
      h = await startHarness([anna], SHORT, START);
      const logs: LogEntry[] = [];
      const crash = crashSwitch({ after: k, counting: "changing-calls", lostReply });

      // Act: the crashed run, then the next one an hour later.
      const crashed = await h.run({
        clients: h.clientsWith([crash.middleware], 2),
        log: (e) => logs.push(e),
      });
      h.sandbox.clock.advanceMs(3_600_000);
      const next = await h.run({ log: (e) => logs.push(e) });

      // Assess: no key without its secret, no secret lost, no duplicate key.
      expect(crash.fired()).toBe(true);
      expect(next.counts.failed).toBe(0);
      expect(undeliveredKeys(h, "anna", [OLD])).toEqual([]);
      const keys = keysOf(h, "anna");
      expect(keys.length).toBeLessThanOrEqual(2);
      expect(keys.map((x) => x.accessKeyId)).toContain(OLD);
      // Every labelled version belongs to a key that exists: no value of a discarded key readable.
      const labelled = (secretOfAnna(h)?.versions ?? []).filter((v) => v.stages.length > 0);
      const versionsOfKeys = keys.map((x) => secretVersionId(x.accessKeyId));
      expect(labelled.every((v) => versionsOfKeys.includes(v.versionId))).toBe(true);
      // The rotation was completed by the next run: one new key, delivered and announced.
      expect(keys).toHaveLength(2);
      expect(
        h.sandbox.emails().filter((e) => /was rotated: new key/.test(e.subject ?? "")),
      ).toHaveLength(1);
      secretHygiene(h.sandbox).assertClean({
        logs,
        crashed,
        next,
        ...emailTexts(h.sandbox.emails()),
      });
    },
  );

  it("names a user's secret with a comma as a secret name allows, and a key's version by its id", () => {
    expect(secretName("svc,deploy")).toBe("keyrotate/svc/deploy");
    expect(secretVersionId(OLD)).toBe("keyrotate-version-AKIAANNAOLDKEY000001");
    expect(secretVersionId(`AKIA${"X".repeat(60)}`)).toHaveLength(64);
  });
});
