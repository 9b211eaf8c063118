import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { mapWithConcurrency } from "./concurrency.js";
import { AwsError, type AwsErrorJson, mapAwsError } from "./errors.js";
import { type Log, silentLog } from "./log.js";
import type { ChannelReport, RunCounts, RunReport, UserReport } from "./report.js";

/** The version of the SNS message layout ({@link SnsMessage}); a breaking change bumps it. */
export const SNS_MESSAGE_SCHEMA_VERSION = 1 as const;

/** SNS's limit on a message and its attributes together: 256 KiB. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/**
 * The message of a run, one per run: how it went and its counts. JSON, in the SNS message body;
 * its `MessageAttributes` are `event` (`run`) and `account`, for subscription filter policies.
 */
export interface SnsRunMessage {
  readonly schemaVersion: typeof SNS_MESSAGE_SCHEMA_VERSION;
  readonly event: "run";
  readonly runId: string;
  /** The account the run worked on (12 digits), or `unknown` when STS could not say. */
  readonly account: string;
  /** The run's `today`, `YYYY-MM-DD`. */
  readonly date: string;
  readonly dryRun: boolean;
  readonly status: RunReport["status"];
  /** Why the run failed (a failed scan or preflight), when it did. */
  readonly error?: string;
  readonly counts: RunCounts;
}

/** What a user action did. */
export type SnsUserAction = "rotated" | "deactivated" | "deleted" | "warned" | "failed";

/**
 * The message of one user action: a key rotated, deactivated or deleted, a warning sent, or a
 * user whose plan failed. Key ids, names, reasons and dates only: never a secret.
 */
export interface SnsUserActionMessage {
  readonly schemaVersion: typeof SNS_MESSAGE_SCHEMA_VERSION;
  readonly event: "user-action";
  readonly action: SnsUserAction;
  readonly runId: string;
  readonly account: string;
  /** The day of the action (the run's `today`). */
  readonly date: string;
  readonly userName: string;
  /** The keys acted on: the old key of a rotation, the key deactivated or deleted. */
  readonly keyIds: ReadonlyArray<string>;
  /** The key a rotation created. */
  readonly newKeyId?: string;
  /** Why: `unused`, `rotated`, a notice kind, or a failure's message. */
  readonly reason?: string;
}

/** Every message keyrotate publishes to `SNS_TOPIC_ARN`. */
export type SnsMessage = SnsRunMessage | SnsUserActionMessage;

/** The run's message. */
export const runMessage = (report: RunReport, account: string): SnsRunMessage => ({
  schemaVersion: SNS_MESSAGE_SCHEMA_VERSION,
  event: "run",
  runId: report.runId,
  account,
  date: report.date,
  dryRun: report.dryRun,
  status: report.status,
  ...(report.error === undefined ? {} : { error: report.error.message }),
  counts: report.counts,
});

/** The messages of one user's actions that were performed, and of its failure. */
export const userActionMessages = (
  report: Pick<RunReport, "runId" | "date">,
  user: UserReport,
  account: string,
): SnsUserActionMessage[] => {
  const base = {
    schemaVersion: SNS_MESSAGE_SCHEMA_VERSION,
    event: "user-action" as const,
    runId: report.runId,
    account,
    date: report.date,
    userName: user.userName,
  };
  const out: SnsUserActionMessage[] = [];
  for (const { step } of user.steps.filter((s) => s.status === "ok")) {
    const keyIds = step.keyId === undefined ? [] : [step.keyId];
    if (step.action === "CreateKey")
      out.push({
        ...base,
        action: "rotated",
        keyIds,
        ...(user.newKeyId === undefined ? {} : { newKeyId: user.newKeyId }),
      });
    if (step.action === "DeactivateKey" || step.action === "DeleteKey")
      out.push({
        ...base,
        action: step.action === "DeactivateKey" ? "deactivated" : "deleted",
        keyIds,
        ...(step.reason === undefined ? {} : { reason: step.reason }),
      });
    if (
      step.action === "SendNotice" &&
      (step.noticeKind === "Warning" || step.noticeKind === "TwoActiveKeys")
    )
      out.push({ ...base, action: "warned", keyIds, reason: step.noticeKind });
  }
  if (user.status === "failed")
    out.push({
      ...base,
      action: "failed",
      keyIds: [],
      reason: user.error?.message ?? "a step failed",
    });
  return out;
};

/** Options of {@link publishRunMessages}. */
export interface PublishOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly report: RunReport;
  readonly account: string;
  readonly dryRun: boolean;
  /** How many messages are published at once. */
  readonly concurrency: number;
  readonly log?: Log;
}

const failureOf = (topicArn: string, error: AwsError): AwsError =>
  error.tag === "NotFound"
    ? new AwsError(
        error.tag,
        error.operation,
        `the SNS topic ${topicArn} does not exist: create it, or set SNS_TOPIC_ARN to an existing topic (or off), then run again.`,
        error.code,
      )
    : error;

/**
 * Publishes the run's SNS messages to `SNS_TOPIC_ARN`: one per user action, then one for the run,
 * each JSON with the `MessageAttributes` `event` and `account`. A failed publish is logged and
 * reported, never retried beyond the SDK's retries and never undoes anything; a topic that does
 * not exist or may not be published to stops the rest (each reported failed).
 */
export const publishRunMessages = async (options: PublishOptions): Promise<ChannelReport> => {
  const { report, account, topicArn } = options;
  const log = options.log ?? silentLog;
  const actions = report.users.flatMap((u) => userActionMessages(report, u, account));
  const run = runMessage(report, account);
  const messages: SnsMessage[] = [...actions, run];
  if (options.dryRun) {
    log({
      level: "info",
      event: "sns-dry-run",
      message: `dry run: would publish ${messages.length} SNS message${messages.length === 1 ? "" : "s"}`,
    });
    return { status: "dry-run", sent: 0, planned: messages.length, failures: [] };
  }
  let stop: AwsError | undefined;
  const publish = async (m: SnsMessage): Promise<AwsErrorJson | undefined> => {
    if (stop !== undefined) return stop.toJSON();
    const body = JSON.stringify(m);
    const attributes = {
      event: { DataType: "String", StringValue: m.event },
      account: { DataType: "String", StringValue: account },
    };
    if (Buffer.byteLength(body) + 64 > SNS_MAX_MESSAGE_BYTES)
      return new AwsError(
        "InvalidInput",
        "sns:Publish",
        `the ${m.event} message is larger than SNS's 256 KiB`,
      ).toJSON();
    try {
      await options.sns.send(
        new PublishCommand({ TopicArn: topicArn, Message: body, MessageAttributes: attributes }),
      );
      return undefined;
    } catch (e) {
      const error = failureOf(topicArn, mapAwsError("sns:Publish", e));
      if (error.tag === "NotFound" || error.tag === "AccessDenied") stop ??= error;
      return error.toJSON();
    }
  };
  // The users' messages, several at once, then the run's: it comes last.
  const results = [
    ...(await mapWithConcurrency(actions, options.concurrency, publish)),
    await publish(run),
  ];
  const failures = messages.flatMap((m, i) => {
    const error = results[i];
    if (error === undefined) return [];
    const item = m.event === "run" ? "run" : `${m.action} ${m.userName}`;
    return [{ item, error }];
  });
  for (const f of failures)
    log({
      level: "error",
      event: "sns-publish-failed",
      message: `the SNS message (${f.item}) was not published: ${f.error.message}`,
      error: f.error,
    });
  return {
    status: failures.length > 0 ? "failed" : "sent",
    sent: messages.length - failures.length,
    failures,
  };
};
