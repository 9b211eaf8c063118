import { randomUUID } from "node:crypto";
import {
  type CalendarDate,
  decide,
  describeSettings,
  type Plan,
  type Settings,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { asffPlaceOf } from "./accountPlace.js";
import { renderAdminSummary } from "./adminSummary.js";
import type { AwsClients } from "./clients.js";
import type { ReportPolling } from "./credentialReport.js";
import { type AwsError, mapAwsError } from "./errors.js";
import type { PlanOutcome } from "./executePlan.js";
import type { ProgressEvent } from "./executePlans.js";
import { acquireLease, type HeldLease, type LeaseOptions } from "./lease.js";
import { type Log, silentLog } from "./log.js";
import { applyAfterPreflight } from "./preflight.js";
import {
  type AdminSummaryOutcome,
  CHANNEL_OFF,
  type ChannelReport,
  type ChannelsReport,
  keyViews,
  RUN_REPORT_SCHEMA_VERSION,
  type RunCounts,
  type RunReport,
  type StepOutcome,
  type UserReport,
} from "./report.js";
import { type AccountScan, type ScanMode, type ScannedUser, scanAccount } from "./scan.js";
import { sendEmail } from "./sendEmail.js";

/** Options of {@link runKeyrotate}. */
export interface RunOptions {
  /** Built once per process with `createAwsClients`. */
  readonly clients: AwsClients;
  readonly settings: Settings;
  /** The run's UTC date; the adapter never reads a clock to decide. */
  readonly today: CalendarDate;
  /** Scan and plan only: no mutating call, no email (default `settings.dryRun`). */
  readonly dryRun?: boolean;
  /** Default `credential-report`. */
  readonly scanMode?: ScanMode;
  /** Asked before each user is started; false defers that user and the rest (time running out). */
  readonly shouldStartUser?: () => boolean;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Structured log entries; never a secret. */
  readonly log?: Log;
  /** How to wait for the credential report. */
  readonly polling?: ReportPolling;
  /** Region of the credentials bucket, for console links in notices. */
  readonly bucketRegion?: string;
  /** Default: a random UUID. */
  readonly runId?: string;
  /** Clock for `startedAt`/`finishedAt` in the report only (default: the system clock). */
  readonly now?: () => Date;
  /**
   * The run lease (one run per account at a time), taken before the scan of a run that is not a
   * dry run and released at its end; `false` runs without it (tests that run one process only).
   * Default: {@link acquireLease}'s defaults (wait 60 s, expiry 5 min, renewed while held).
   */
  readonly lease?: LeaseOptions | false;
  /** The account, when the caller knows it; otherwise STS says (Security Hub and SNS need it). */
  readonly accountId?: string;
  /** How long one POST to the chat webhook may take (default `WEBHOOK_TIMEOUT_MS`). */
  readonly webhookTimeoutMs?: number;
}

/**
 * One keyrotate run: scan the account, let the core decide a plan per user, apply the plans,
 * mail the admin summary, and return the run report. A scan failure (report unavailable,
 * malformed or truncated) changes nothing and yields a report with `status: "failed"`; so does a
 * failed preflight (`preflight.ts`), which holds back every rotation but lets the rest go out.
 *
 * A run that may change anything first takes the account's run lease (`keyrotate/lease.json` in
 * the credentials bucket, see {@link acquireLease}); when another run holds it past the wait, the
 * run changes nothing and its report is `failed` with a `LeaseHeld` error naming the holder.
 * Dry runs take no lease.
 *
 * @example const report = await runKeyrotate({ clients, settings, today })
 */
export const runKeyrotate = async (options: RunOptions): Promise<RunReport> => {
  const { clients, settings, today } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? silentLog;
  const dryRun = options.dryRun ?? settings.dryRun;
  const scanMode = options.scanMode ?? "credential-report";
  const runId = options.runId ?? randomUUID();
  const callsBefore = clients.calls.snapshot();
  const startedAt = now().toISOString();
  log({ level: "info", event: "run-started", message: `run ${runId} for ${today}`, runId, dryRun });
  // The webhook's URL is read (and decrypted) once, at the start; it is never logged.
  const webhookUrl =
    settings.webhookUrl === undefined && settings.webhookUrlParameter === undefined
      ? E.right(undefined)
      : await (await import("./webhook.js")).webhookUrlOf(clients.ssm, settings);

  let lease: HeldLease | undefined;
  let leaseError: AwsError | undefined;
  if (!dryRun && options.lease !== false) {
    const taken = await acquireLease(
      clients.s3,
      settings.s3CsvBucket,
      runId,
      options.lease ?? {},
      log,
    );
    if (E.isLeft(taken)) leaseError = taken.left;
    else lease = taken.right;
  }
  try {
    return await runHoldingLease(
      options,
      { runId, dryRun, scanMode, callsBefore, startedAt, webhookUrl },
      {
        lease,
        leaseError,
      },
    );
  } finally {
    await lease?.release();
  }
};

/** What {@link runKeyrotate} worked out before taking the lease. */
interface RunStart {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly scanMode: ScanMode;
  readonly callsBefore: Readonly<Record<string, number>>;
  readonly startedAt: string;
  readonly webhookUrl: E.Either<AwsError, string | undefined>;
}

const runHoldingLease = async (
  options: RunOptions,
  start: RunStart,
  held: { readonly lease: HeldLease | undefined; readonly leaseError: AwsError | undefined },
): Promise<RunReport> => {
  const { clients, settings, today } = options;
  const { runId, dryRun, scanMode, callsBefore, startedAt } = start;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? silentLog;
  const { lease, leaseError } = held;
  const shouldStartUser =
    lease === undefined
      ? options.shouldStartUser
      : () => !lease.lost() && (options.shouldStartUser?.() ?? true);

  const scan: E.Either<AwsError, AccountScan> =
    leaseError !== undefined
      ? E.left(leaseError)
      : await scanAccount({
          iam: clients.iam,
          settings,
          today,
          mode: scanMode,
          log,
          ...(options.polling === undefined ? {} : { polling: options.polling }),
        });
  const base = {
    schemaVersion: RUN_REPORT_SCHEMA_VERSION as typeof RUN_REPORT_SCHEMA_VERSION,
    runId,
    date: today,
    startedAt,
    dryRun,
    scanMode,
    settings: describeSettings(settings),
  };
  let draft: Omit<RunReport, "finishedAt" | "adminSummary" | "apiCalls">;
  if (E.isLeft(scan)) {
    log({
      level: "error",
      event: leaseError === undefined ? "scan-failed" : "lease-held",
      message:
        leaseError === undefined
          ? `the scan failed; nothing was changed: ${scan.left.message}`
          : scan.left.message,
      error: scan.left.toJSON(),
    });
    draft = {
      ...base,
      status: "failed",
      error: scan.left.toJSON(),
      counts: countsOf(undefined, []),
      users: [],
      skippedUsers: [],
    };
  } else {
    const decideUser = decide(settings, today);
    const plans = scan.right.users.map((u) => decideUser(u.snapshot));
    const { outcomes, preflight } = await applyAfterPreflight(
      {
        clients,
        runId,
        settings,
        dryRun,
        log,
        ...(options.bucketRegion === undefined ? {} : { bucketRegion: options.bucketRegion }),
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(shouldStartUser === undefined ? {} : { shouldStartUser }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      },
      plans,
    );
    const users = scan.right.users.map((u, i) =>
      userReport(today, u, plans[i] as Plan, outcomes[i] as PlanOutcome),
    );
    draft = {
      ...base,
      status: preflight.status === "failed" ? "failed" : "completed",
      ...(preflight.status === "failed" ? { error: preflight.error } : {}),
      preflight,
      ...(scan.right.reportGeneratedAt === undefined
        ? {}
        : { reportGeneratedAt: scan.right.reportGeneratedAt }),
      counts: countsOf(scan.right, users),
      users,
      skippedUsers: scan.right.skipped,
    };
  }
  const channels = await deliverChannels(options, start, E.isRight(scan) ? scan.right : undefined, {
    ...draft,
    finishedAt: now().toISOString(),
    adminSummary: { status: "off" },
    apiCalls: clients.calls.since(callsBefore),
  });
  const adminSummary = await sendAdminSummary(options, dryRun, {
    ...draft,
    finishedAt: now().toISOString(),
    adminSummary: { status: "off" },
    channels,
    apiCalls: clients.calls.since(callsBefore),
  });
  const report: RunReport = {
    ...draft,
    finishedAt: now().toISOString(),
    adminSummary,
    channels,
    apiCalls: clients.calls.since(callsBefore),
  };
  log({
    level: report.status === "failed" || report.counts.failed > 0 ? "warn" : "info",
    event: "run-finished",
    message: `run ${runId}: ${JSON.stringify(report.counts)}`,
    counts: report.counts,
    apiCalls: report.apiCalls,
  });
  return report;
};

/**
 * Delivers the run to its optional channels, each on its own (their modules, and the SDK commands
 * they use, are loaded only when a setting turns them on: the Lambda bundle keeps them in chunks
 * of their own, out of its cold start): Security Hub findings, the SNS
 * messages, then the chat webhook's summary. A channel's failure is logged and reported in its
 * {@link ChannelReport}; it never undoes a change and never stops the others.
 */
const deliverChannels = async (
  options: RunOptions,
  start: RunStart,
  scan: AccountScan | undefined,
  report: RunReport,
): Promise<ChannelsReport> => {
  const { clients, settings, today } = options;
  const log = options.log ?? silentLog;
  const { dryRun } = start;
  const now = options.now ?? (() => new Date());
  let accountId = options.accountId;
  if (accountId === undefined && (settings.securityHub || settings.snsTopicArn !== undefined)) {
    const place = await asffPlaceOf(await clients.sts());
    if (E.isRight(place)) accountId = place.right.accountId;
  }
  const securityHub = !settings.securityHub
    ? CHANNEL_OFF
    : scan === undefined
      ? ({ status: "not-run", sent: 0, failures: [] } as const)
      : await (await import("./securityHub.js")).importFindings({
          clients,
          settings,
          today,
          now: now().toISOString(),
          users: report.users,
          deletedUsers: scan.skipped.filter((s) => s.reason === "deleted").map((s) => s.userName),
          dryRun,
          log,
          ...(accountId === undefined ? {} : { accountId }),
        });
  const sns =
    settings.snsTopicArn === undefined
      ? CHANNEL_OFF
      : await (await import("./snsMessages.js")).publishRunMessages({
          sns: await clients.sns(),
          topicArn: settings.snsTopicArn,
          report,
          account: accountId ?? "unknown",
          dryRun,
          concurrency: settings.concurrency,
          log,
        });
  const webhook = await sendWebhook(options, start, report);
  return { securityHub, sns, webhook };
};

const sendWebhook = async (
  options: RunOptions,
  start: RunStart,
  report: RunReport,
): Promise<ChannelReport> => {
  const log = options.log ?? silentLog;
  const url = start.webhookUrl;
  if (E.isLeft(url)) {
    log({
      level: "error",
      event: "webhook-failed",
      message: `the run summary could not be posted: ${url.left.message}`,
      error: url.left.toJSON(),
    });
    return { status: "failed", sent: 0, failures: [{ item: "summary", error: url.left.toJSON() }] };
  }
  if (url.right === undefined) return CHANNEL_OFF;
  if (start.dryRun) return { status: "dry-run", sent: 0, planned: 1, failures: [] };
  const { postWebhook, webhookMessage } = await import("./webhook.js");
  return postWebhook({
    url: url.right,
    message: webhookMessage(report),
    log,
    ...(options.webhookTimeoutMs === undefined ? {} : { timeoutMs: options.webhookTimeoutMs }),
  });
};

const sendAdminSummary = async (
  options: RunOptions,
  dryRun: boolean,
  draft: RunReport,
): Promise<AdminSummaryOutcome> => {
  const to = options.settings.adminEmail;
  if (to === undefined) return { status: "off" };
  if (dryRun) return { status: "dry-run" };
  try {
    await sendEmail(options.clients, options.settings.sesEmail, renderAdminSummary(draft, to));
    return { status: "sent" };
  } catch (e) {
    const error = mapAwsError("ses:SendEmail", e);
    options.log?.({
      level: "error",
      event: "admin-summary-failed",
      message: `the admin summary could not be sent: ${error.message}`,
      error: error.toJSON(),
    });
    return { status: "failed", error: error.toJSON() };
  }
};

const userReport = (
  today: CalendarDate,
  scanned: ScannedUser,
  plan: Plan,
  outcome: PlanOutcome,
): UserReport => ({
  userName: plan.userName,
  handled: plan.handled,
  triage: scanned.triage,
  keys: keyViews(today, scanned.snapshot),
  findings: plan.findings,
  status: outcome.status,
  steps: outcome.steps,
  compensation: outcome.compensation,
  ...(outcome.newKeyId === undefined ? {} : { newKeyId: outcome.newKeyId }),
  markerLeft: outcome.markerLeft,
  ...(outcome.error === undefined ? {} : { error: outcome.error }),
});

const ok = (steps: ReadonlyArray<StepOutcome>, test: (s: StepOutcome) => boolean): number =>
  steps.filter((s) => s.status === "ok" && test(s)).length;

/** The counts of a run from its scan and user reports. */
export const countsOf = (
  scan: AccountScan | undefined,
  users: ReadonlyArray<UserReport>,
): RunCounts => ({
  usersSeen: scan?.usersSeen ?? 0,
  selected: scan?.usersSelected ?? 0,
  handled: users.filter((u) => u.handled).length,
  withFindings: users.filter((u) => u.findings.length > 0).length,
  warned: users.filter(
    (u) =>
      ok(u.steps, (s) => s.step.noticeKind === "Warning" || s.step.noticeKind === "TwoActiveKeys") >
      0,
  ).length,
  rotated: users.filter(
    (u) =>
      ok(u.steps, (s) => s.step.commitsRotation === true || s.step.noticeKind === "Rotated") > 0,
  ).length,
  deactivated: users.reduce((n, u) => n + ok(u.steps, (s) => s.step.action === "DeactivateKey"), 0),
  deleted: users.reduce((n, u) => n + ok(u.steps, (s) => s.step.action === "DeleteKey"), 0),
  noticesSent: users.reduce((n, u) => n + ok(u.steps, (s) => s.step.action === "SendNotice"), 0),
  failed: users.filter((u) => u.status === "failed").length,
  deferred: users.filter((u) => u.status === "deferred").length,
  skipped: scan?.skipped.length ?? 0,
});
