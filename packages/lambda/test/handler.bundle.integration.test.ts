import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import type { RunReport } from "@keyrotate/aws-adapter";
import {
  type Sandbox,
  type Scenario,
  type ScenarioUser,
  startSandbox,
  startWebhookReceiver,
} from "@keyrotate/sandbox";
import { emailTexts, fakeContext, secretHygiene, webhookTexts } from "@keyrotate/testkit";
import type { Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type BuildResult, buildLambda, packageDir } from "../scripts/build.js";

// These tests run the built bundle (index.mjs, as `pnpm build` makes it), as Lambda would,
// against the sandbox: the real SDK, reached through AWS_ENDPOINT_URL and the settings in
// process.env. The bundle is built into a directory of dist/ of this process's own, so that a
// build or bench running at the same time in the checkout cannot swap it under the tests.

type Handler = (event: unknown, context: Context) => Promise<RunReport>;

const NOW = "2026-11-23T09:00:00Z";
const TODAY = "2026-11-23";
const SENDER = "keyrotate@example.com";
const BUCKET = "keyrotate-credentials";

const scenario = (users: ScenarioUser[]): Scenario => ({
  now: NOW,
  verifiedEmails: [SENDER],
  buckets: [BUCKET],
  users,
});

const baseScenario = scenario([
  {
    name: "alice",
    tags: { email: "alice@example.com" },
    keys: [{ ageDays: 95, lastUsedDaysAgo: 1, id: "AKIAALICE00000000001" }],
  },
  { name: "bob", tags: { email: "bob@example.com" }, keys: [{ ageDays: 5, lastUsedDaysAgo: 0 }] },
  { name: "carol", keys: [{ ageDays: 200, lastUsedDaysAgo: 3 }] },
]);

/** The settings of the original function's deployment, plus what the sandbox needs. */
const settingsEnv = (sandbox: Sandbox): Record<string, string> => ({
  ...sandbox.env(),
  LAMBDA_FUNCTION_NAME: "keyrotate",
  SES_EMAIL: SENDER,
  SES_REGION: sandbox.region,
  IAM_EMAIL_TAG_KEY: "email",
  S3_CSV_BUCKET: BUCKET,
  LAST_CHECK_DATE_TAG_KEY: "last-check-date",
  LAST_CHECK_OLD_KEY_TAG_KEY: "last-check-old-key",
  WARNING_DAYS: "30",
  OVERDUE_DAYS: "60",
  DEACTIVATE_DAYS: "10",
  DELETION_DAYS: "10",
  // The original's timing: an overdue key is rotated on first sight (POLICY.md, difference 9).
  MIN_NOTICE_DAYS: "0",
  IN_USE_DELAY_DAYS: "0",
});

/** Operations that change nothing: what a dry run may call. */
const readOnly = /^(iam:(List|Get|Generate)|s3:(Get|Head|List)|ses:(Get|List))/;

let bundle: BuildResult;
let instance = 0;
let sandbox: Sandbox | undefined;
let restoreEnv: (() => void) | undefined;
let restoreOutput: (() => void) | undefined;

const outDir = join(packageDir, "dist", `test-${process.pid}`);

beforeAll(async () => {
  bundle = await buildLambda({ outDir });
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

afterEach(async () => {
  restoreOutput?.();
  restoreEnv?.();
  restoreOutput = undefined;
  restoreEnv = undefined;
  await sandbox?.close();
  sandbox = undefined;
});

/** Sets process.env as a Lambda's configuration would, until the test ends. */
const useEnv = (env: Readonly<Record<string, string>>): void => {
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  restoreEnv = () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
};

/** What the function writes: log lines and EMF metrics (stdout), warnings and errors (stderr). */
interface Output {
  readonly stdout: string[];
  readonly stderr: string[];
}

/** Captures stdout and stderr until the test ends (or `restoreOutput` is called). */
const captureOutput = (): Output => {
  const output: Output = { stdout: [], stderr: [] };
  const restores = (["stdout", "stderr"] as const).map((name) => {
    const stream = process[name];
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array) => {
      output[name].push(...String(chunk).split("\n").filter(Boolean));
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  restoreOutput = () => {
    for (const restore of restores) restore();
  };
  return output;
};

/**
 * A fresh container: imports the bundle as a new module, which reads process.env now, and makes
 * its handler with the bundle's own `createHandler` on the sandbox's clock. The deployed
 * `handler` export is the same call with the real clock; these tests must not depend on the
 * real date, so they tell the bundle the sandbox's "now" through the factory it exports.
 */
const coldStart = async (): Promise<Handler> => {
  instance += 1;
  const mod = (await import(`${pathToFileURL(bundle.bundlePath).href}?container=${instance}`)) as {
    handler: Handler;
    createHandler: (deps: { env: NodeJS.ProcessEnv; now: () => Date }) => Handler;
  };
  expect(typeof mod.handler).toBe("function");
  const clock = sandbox?.clock;
  if (clock === undefined) throw new Error("start the sandbox before the container");
  return mod.createHandler({ env: process.env, now: () => clock.now() });
};

const start = async (seed: Scenario): Promise<Sandbox> => {
  sandbox = await startSandbox({ now: NOW, seed, randomSeed: 7 });
  return sandbox;
};

describe("the bundled handler against the sandbox", () => {
  it("rotates an overdue key: stores the secret with SSE, mails the user, logs no secret", async () => {
    const sb = await start(baseScenario);
    useEnv(settingsEnv(sb));
    const output = captureOutput();
    const handler = await coldStart();

    const report = await handler({}, fakeContext());
    restoreOutput?.();

    expect(report.status).toBe("completed");
    expect(report.date).toBe(TODAY);
    expect(report.dryRun).toBe(false);
    expect(report.counts).toMatchObject({ rotated: 1, failed: 0, deferred: 0 });
    const alice = report.users.find((u) => u.userName === "alice");
    expect(alice?.status).toBe("ok");
    const newKeyId = alice?.newKeyId as string;
    expect(newKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);

    const user = sb.users().find((u) => u.name === "alice");
    expect(user?.keys.map((k) => [k.accessKeyId, k.status]).sort()).toEqual(
      [
        ["AKIAALICE00000000001", "Active"],
        [newKeyId, "Active"],
      ].sort(),
    );
    expect(user?.tags).toEqual([
      { key: "email", value: "alice@example.com" },
      { key: "last-check-date", value: TODAY },
      { key: "last-check-old-key", value: "AKIAALICE00000000001" },
    ]);
    const secret = sb.secretOf(newKeyId) as string;
    expect(secret).toHaveLength(40);
    const [object, ...others] = sb.objects(BUCKET);
    expect(others).toEqual([]);
    expect(object?.key).toBe(`credential/alice/alice_${newKeyId}.csv`);
    expect(object?.serverSideEncryption).toBe("AES256");
    expect(object?.body.toString("utf8")).toContain(`alice,${newKeyId},${secret}`);

    const emails = sb.emails();
    expect(emails.map((e) => [e.source, e.destinations.to])).toEqual([
      [SENDER, ["alice@example.com"]],
    ]);
    expect(`${emails[0]?.text}${emails[0]?.html}`).not.toContain(secret);
    expect(`${emails[0]?.text}`).toContain(`credential/alice/alice_${newKeyId}.csv`);

    // Every log line is one JSON object; the secret is in no output, nor in the report.
    expect(output.stdout.length).toBeGreaterThan(0);
    const entries = output.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of [...output.stdout, ...output.stderr]) expect(line).not.toContain(secret);
    expect(JSON.stringify(report)).not.toContain(secret);
    // Nor any secret the sandbox ever issued, in any form (URL-encoded, base64, in part).
    secretHygiene(sb).assertClean({
      stdout: output.stdout,
      stderr: output.stderr,
      report,
      ...emailTexts(emails),
    });
    const summary = entries.find((e) => e.event === "run-report");
    expect(summary).toMatchObject({
      level: "INFO",
      service: "keyrotate",
      function_name: "keyrotate",
      status: "completed",
    });
    expect(entries.some((e) => e.event === "step-done" && e.userName === "alice")).toBe(true);
    const emf = entries.find((e) => e._aws !== undefined);
    expect(emf).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: "keyrotate", Dimensions: [["service"]] }] },
      service: "keyrotate",
      warnings: 0,
      rotations: 1,
      deactivations: 0,
      deletions: 0,
      failures: 0,
      deferred: 0,
    });
  });

  it("changes nothing and sends nothing on a dry run asked for by the event", async () => {
    const sb = await start(baseScenario);
    useEnv(settingsEnv(sb));
    captureOutput();
    const handler = await coldStart();

    const report = await handler({ dryRun: true }, fakeContext());

    expect(report.dryRun).toBe(true);
    expect(report.users.find((u) => u.userName === "alice")).toMatchObject({
      status: "planned",
      steps: expect.arrayContaining([
        expect.objectContaining({ step: expect.objectContaining({ action: "CreateKey" }) }),
      ]),
    });
    const calls = sb.calls();
    expect(Object.keys(calls).length).toBeGreaterThan(0);
    expect(Object.keys(calls).filter((op) => !readOnly.test(op))).toEqual([]);
    expect(sb.emails()).toEqual([]);
    expect(sb.objects()).toEqual([]);
    expect(sb.users().find((u) => u.name === "alice")?.keys).toHaveLength(1);
  });

  it("fails before any AWS call with one error that lists every invalid setting", async () => {
    const sb = await start(baseScenario);
    const env = settingsEnv(sb);
    useEnv({ ...env, WARNING_DAYS: "abc", SES_EMAIL: "", S3_CSV_BUCKET: "Not_A_Bucket" });
    const output = captureOutput();
    const handler = await coldStart();

    const failure = await handler({}, fakeContext()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(failure?.name).toBe("InvalidSettingsError");
    expect(failure?.message).toContain("3 invalid settings");
    expect(failure?.message).toContain('WARNING_DAYS="abc"');
    expect(failure?.message).toContain("SES_EMAIL");
    expect(failure?.message).toContain('S3_CSV_BUCKET="Not_A_Bucket"');
    expect(sb.calls()).toEqual({});
    const logged = output.stderr.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(logged).toEqual([
      expect.objectContaining({
        level: "ERROR",
        event: "settings-invalid",
        problems: [
          expect.stringMatching(/^WARNING_DAYS="abc": /),
          expect.stringMatching(/^SES_EMAIL="": is required/),
          expect.stringMatching(/^S3_CSV_BUCKET="Not_A_Bucket": /),
        ],
      }),
    ]);
  });

  it("defers the users it cannot start before the time margin, and the next run finishes them", async () => {
    const overdue = ["u1", "u2", "u3", "u4", "u5"].map((name) => ({
      name,
      tags: { email: `${name}@example.com` },
      keys: [{ ageDays: 90, lastUsedDaysAgo: 1 }],
    }));
    const sb = await start(scenario(overdue));
    useEnv({ ...settingsEnv(sb), CONCURRENCY: "1" });
    const output = captureOutput();
    const handler = await coldStart();
    // Time runs short once two users have been rotated: 10 s left, under the 30 s margin.
    const started = () => sb.calls()["iam:CreateAccessKey"] ?? 0;
    const shortOfTime = fakeContext(() => (started() >= 2 ? 10_000 : 300_000));

    const first = await handler({}, shortOfTime);

    expect(first.counts).toMatchObject({ rotated: 2, deferred: 3, failed: 0 });
    const deferred = first.users.filter((u) => u.status === "deferred").map((u) => u.userName);
    expect(deferred).toHaveLength(3);
    for (const name of deferred) {
      expect(sb.users().find((u) => u.name === name)?.keys).toHaveLength(1);
    }
    expect(sb.emails()).toHaveLength(2);
    expect(output.stderr.some((l) => l.includes('"event":"users-deferred"'))).toBe(true);
    expect(output.stdout.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ rotations: 2, deferred: 3 }),
    );

    const second = await handler({}, fakeContext());

    expect(second.counts).toMatchObject({ rotated: 3, deferred: 0, failed: 0 });
    expect(second.users.filter((u) => u.newKeyId !== undefined).map((u) => u.userName)).toEqual(
      expect.arrayContaining(deferred),
    );
    expect(sb.users().every((u) => u.keys.length === 2)).toBe(true);
    expect(sb.emails()).toHaveLength(5);
  });
});

describe("the bundled handler with Security Hub, SNS and the chat webhook on", () => {
  it("loads the channels on demand and delivers each: findings, messages, one post; no secret or URL logged", async () => {
    const sb = await start(baseScenario);
    const hook = await startWebhookReceiver();
    try {
      const topic = `arn:aws:sns:${sb.region}:123456789012:keyrotate-events`;
      await new SNSClient(sb.clientConfig()).send(
        new CreateTopicCommand({ Name: "keyrotate-events" }),
      );
      sb.putParameter("/keyrotate/webhook-url", `${hook.url}/T1/B1/hook-token-never-shown`);
      useEnv({
        ...settingsEnv(sb),
        SECURITY_HUB: "on",
        SNS_TOPIC_ARN: topic,
        WEBHOOK_URL: "off",
        WEBHOOK_URL_PARAMETER: "/keyrotate/webhook-url",
      });
      const output = captureOutput();
      const handler = await coldStart();

      const report = await handler({}, fakeContext());
      restoreOutput?.();

      expect(report.counts).toMatchObject({ rotated: 1, failed: 0 });
      expect(report.channels).toMatchObject({
        securityHub: { status: "sent" },
        sns: { status: "sent" },
        webhook: { status: "sent", sent: 1 },
      });
      // alice's old key (IAM.3 and, with the new one, CIS 1.13) and carol's: from the function's account.
      expect(sb.findings().map((f) => f.Id)).toEqual(
        expect.arrayContaining([
          "keyrotate/123456789012/IAM.3/AKIAALICE00000000001",
          "keyrotate/123456789012/CIS-1.13/user/alice",
        ]),
      );
      expect(sb.snsMessages().map((m) => m.attributes.event?.stringValue)).toEqual([
        "user-action",
        "run",
      ]);
      expect(hook.requests()).toHaveLength(1);
      const logged = [...output.stdout, ...output.stderr].join("\n");
      expect(logged).not.toContain("hook-token-never-shown");
      expect(sb.calls()["sts:GetCallerIdentity"] ?? 0).toBe(0);
      secretHygiene(sb).assertClean({ ...webhookTexts(hook.requests()), logged, report });
    } finally {
      await hook.close();
    }
  });
});
