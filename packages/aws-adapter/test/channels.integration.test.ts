import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { type ScenarioUser, startWebhookReceiver, type WebhookReceiver } from "@keyrotate/sandbox";
import {
  type Harness,
  keysOf,
  secretHygiene,
  startHarness,
  useNewestKey,
  webhookTexts,
} from "@keyrotate/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LogEntry } from "../src/log.js";
import type { RunReport } from "../src/report.js";
import type { SnsMessage } from "../src/snsMessages.js";

const OLD_KEY = "AKIAOVERDUEXXXXX0001";
const ACCOUNT = "123456789012";
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:keyrotate-events`;
/** The part of the webhook URL that makes it a secret: it must never show. */
const HOOK_SECRET = "T0001/B0001/hook-token-never-shown";

const overdue = (ageDays = 95): ScenarioUser => ({
  name: "overdue",
  tags: { email: "overdue@example.com" },
  keys: [{ ageDays, lastUsedDaysAgo: 0, id: OLD_KEY }],
});

const createTopic = async (h: Harness): Promise<void> => {
  await new SNSClient(h.sandbox.clientConfig()).send(
    new CreateTopicCommand({ Name: "keyrotate-events" }),
  );
};

const published = (h: Harness): SnsMessage[] =>
  h.sandbox.snsMessages().map((m) => JSON.parse(m.message) as SnsMessage);

describe("SNS messages and the chat webhook over a key's lifecycle", () => {
  const DAYS = 35;
  let h: Harness;
  let hook: WebhookReceiver;
  const reports: RunReport[] = [];
  const logs: LogEntry[] = [];

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    h = await startHarness([overdue()], {
      SNS_TOPIC_ARN: TOPIC,
      WEBHOOK_URL_PARAMETER: "/keyrotate/webhook-url",
    });
    await createTopic(h);
    h.sandbox.putParameter("/keyrotate/webhook-url", `${hook.url}/${HOOK_SECRET}`);
    for (let day = 0; day < DAYS; day += 1) {
      if (day > 0) h.sandbox.clock.advanceDays(1);
      await useNewestKey(h, "overdue");
      reports.push(await h.run({ log: (e) => logs.push(e) }));
    }
  }, 120_000);

  afterAll(async () => {
    await h.close();
    await hook.close();
  });

  it("publishes one run message per run, with its counts and the attributes to filter on", () => {
    const runs = h.sandbox.snsMessages().filter((m) => m.attributes.event?.stringValue === "run");
    expect(runs).toHaveLength(DAYS);
    expect(runs.every((m) => m.topicArn === TOPIC)).toBe(true);
    expect(runs.every((m) => m.attributes.account?.stringValue === ACCOUNT)).toBe(true);
    const first = JSON.parse(runs[0]?.message ?? "{}");
    expect(first).toMatchObject({
      schemaVersion: 1,
      event: "run",
      account: ACCOUNT,
      runId: reports[0]?.runId,
      date: reports[0]?.date,
      status: "completed",
      counts: reports[0]?.counts,
    });
    expect(reports.every((r) => r.channels?.sns.status === "sent")).toBe(true);
  });

  it("publishes a message per user action: warned, rotated, deactivated, deleted", () => {
    const actions = published(h).filter((m) => m.event === "user-action");
    const byAction = (a: string) =>
      actions.filter((m) => m.event === "user-action" && m.action === a);
    const rotated = byAction("rotated");
    expect(byAction("warned").length).toBeGreaterThanOrEqual(1);
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).toMatchObject({ userName: "overdue", keyIds: [OLD_KEY], account: ACCOUNT });
    expect(rotated[0]?.newKeyId).toMatch(/^AKIA/);
    expect(byAction("deactivated").map((m) => m.keyIds)).toEqual([[OLD_KEY]]);
    expect(byAction("deleted").map((m) => m.keyIds)).toEqual([[OLD_KEY]]);
    expect(keysOf(h, "overdue").map((k) => k.accessKeyId)).not.toContain(OLD_KEY);
  });

  it("posts the admin summary to the webhook once per run, as Slack text and blocks", () => {
    const posts = hook.requests();
    expect(posts).toHaveLength(DAYS);
    expect(posts.every((p) => p.path === `/hook/${HOOK_SECRET}`)).toBe(true);
    const rotatedOn = reports.findIndex((r) => r.counts.rotated > 0);
    const body = posts[rotatedOn]?.json as { text: string; blocks: { type: string }[] };
    expect(body.text).toMatch(/1 rotated, 0 deactivated, 0 deleted, 0 failed$/);
    expect(body.blocks.every((b) => b.type === "section")).toBe(true);
    expect(JSON.stringify(body.blocks)).toContain(`overdue: rotated ${OLD_KEY} to`);
    expect(reports.every((r) => r.channels?.webhook.status === "sent")).toBe(true);
  });

  it("never puts a secret in an SNS message or a webhook body, nor the webhook URL in a log or report", () => {
    const hygiene = secretHygiene(h.sandbox);
    expect(hygiene.secrets().length).toBeGreaterThanOrEqual(2);
    expect(h.sandbox.snsMessages().length).toBeGreaterThan(DAYS);
    expect(() =>
      hygiene.assertClean({ ...webhookTexts(hook.requests()), reports, logs }),
    ).not.toThrow();
    expect(JSON.stringify([reports, logs])).not.toContain("hook-token-never-shown");
  });
});

describe("a channel that fails leaves the run and its rotations alone", () => {
  let h: Harness | undefined;
  let hook: WebhookReceiver | undefined;

  afterEach(async () => {
    await h?.close();
    await hook?.close();
    h = undefined;
    hook = undefined;
  });

  /** A run that rotates `overdue`'s key on its first day (no minimum notice). */
  const rotatingRun = async (env: Record<string, string>) => {
    h = await startHarness([overdue()], { MIN_NOTICE_DAYS: "0", ...env });
    return h;
  };

  const rotated = (report: RunReport): boolean =>
    report.status === "completed" &&
    report.counts.rotated === 1 &&
    report.counts.failed === 0 &&
    report.users[0]?.compensation.length === 0;

  it("reports a webhook that answers 500, then hangs past the timeout, without its URL", async () => {
    hook = await startWebhookReceiver();
    const run = await rotatingRun({ WEBHOOK_URL: `${hook.url}/${HOOK_SECRET}` });
    hook.respond({ count: 1, status: 500 });
    hook.respond({ count: 1, delayMs: 5_000 });
    const logs: LogEntry[] = [];

    const report = await run.run({ webhookTimeoutMs: 300, log: (e) => logs.push(e) });

    expect(hook.requests()).toHaveLength(2);
    expect(report.channels?.webhook).toMatchObject({ status: "failed", sent: 0 });
    expect(report.channels?.webhook.failures[0]?.error.message).toBe(
      "the run summary could not be posted to WEBHOOK_URL: no answer within 300 ms",
    );
    expect(logs.map((l) => l.event)).toEqual(
      expect.arrayContaining(["webhook-retry", "webhook-failed"]),
    );
    expect(rotated(report)).toBe(true);
    expect(keysOf(run, "overdue")).toHaveLength(2);
    expect(JSON.stringify([report, logs])).not.toContain("hook-token-never-shown");
  });

  it("reports a webhook parameter that does not exist, naming it and what to do", async () => {
    const run = await rotatingRun({ WEBHOOK_URL_PARAMETER: "/keyrotate/missing" });

    const report = await run.run();

    expect(report.channels?.webhook.status).toBe("failed");
    expect(report.channels?.webhook.failures[0]?.error.message).toMatch(
      /^the SSM parameter \/keyrotate\/missing \(WEBHOOK_URL_PARAMETER\) does not exist/,
    );
    expect(rotated(report)).toBe(true);
  });

  it("reports an SNS topic that does not exist, and still rotates", async () => {
    const run = await rotatingRun({ SNS_TOPIC_ARN: TOPIC });

    const report = await run.run();

    expect(report.channels?.sns.status).toBe("failed");
    expect(report.channels?.sns.sent).toBe(0);
    expect(report.channels?.sns.failures.map((f) => f.item)).toEqual(["rotated overdue", "run"]);
    expect(report.channels?.sns.failures[0]?.error.message).toBe(
      `the SNS topic ${TOPIC} does not exist: create it, or set SNS_TOPIC_ARN to an existing topic (or off), then run again.`,
    );
    expect(rotated(report)).toBe(true);
    expect(keysOf(run, "overdue")).toHaveLength(2);
  });

  it("reports findings BatchImportFindings rejects, each by id, and imports nothing else wrongly", async () => {
    const run = await rotatingRun({ SECURITY_HUB: "on" });
    const logs: LogEntry[] = [];

    // Findings made for another account are refused one by one (FailedFindings).
    const report = await run.run({ accountId: "999999999999", log: (e) => logs.push(e) });

    const hub = report.channels?.securityHub;
    expect(hub?.status).toBe("failed");
    expect(hub?.sent).toBe(0);
    expect(hub?.failures.map((f) => f.item)).toEqual([
      `keyrotate/999999999999/IAM.3/${OLD_KEY}`,
      "keyrotate/999999999999/CIS-1.13/user/overdue",
    ]);
    expect(hub?.failures[0]?.error.code).toBe("AccessDeniedException");
    expect(logs.filter((l) => l.event === "finding-rejected")).toHaveLength(2);
    expect(run.sandbox.findings()).toEqual([]);
    expect(rotated(report)).toBe(true);
  });

  it("says to enable Security Hub when it is not (InvalidAccessException)", async () => {
    const run = await rotatingRun({ SECURITY_HUB: "on" });
    run.sandbox.setFaults({
      failOperations: {
        "securityhub:GetFindings": {
          count: 1,
          status: 401,
          code: "InvalidAccessException",
          message: "Account 123456789012 is not subscribed to AWS Security Hub",
        },
      },
    });

    const report = await run.run();

    expect(report.channels?.securityHub.status).toBe("failed");
    expect(report.channels?.securityHub.failures[0]?.error.message).toBe(
      `Security Hub is not enabled in us-east-1 for account ${ACCOUNT}: enable it (aws securityhub enable-security-hub --region us-east-1) or set SECURITY_HUB=off, then run again.`,
    );
    expect(rotated(report)).toBe(true);
  });
});
