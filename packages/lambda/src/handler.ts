import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  type AwsClients,
  createAwsClients,
  type Log,
  leaseOptionsFromEnv,
  type ReportPolling,
  type RunReport,
  runKeyrotate,
  type ScanMode,
} from "@keyrotate/aws-adapter";
import {
  calendarDateOfTimestamp,
  decodeSettings,
  formatSettingProblem,
  type SettingProblem,
  type Settings,
  type SettingsInput,
} from "@keyrotate/core";
import type { Context } from "aws-lambda";
import * as E from "fp-ts/lib/Either.js";
import { DEFAULT_SAFETY_MARGIN, type SafetyMargin, startGate } from "./deadline.js";
import { parseInvocation } from "./event.js";
import { METRICS_NAMESPACE, runMetrics, SERVICE_NAME } from "./runMetrics.js";

/** The settings in the environment are invalid: nothing was called. Lists every problem. */
export class InvalidSettingsError extends Error {
  override readonly name = "InvalidSettingsError";

  constructor(readonly problems: ReadonlyArray<SettingProblem>) {
    super(
      `keyrotate cannot run: ${problems.length} invalid setting${problems.length === 1 ? "" : "s"}:\n${problems
        .map((p) => `- ${formatSettingProblem(p)}`)
        .join("\n")}`,
    );
  }
}

/** The invocation's event is not one keyrotate accepts: nothing was called. */
export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
}

/** The part of a Powertools `Logger` the handler uses, so that any logger of that shape fits. */
export type HandlerLogger = Pick<Logger, "addContext" | "debug" | "info" | "warn" | "error">;

/** The part of a Powertools `Metrics` the handler uses. */
export interface HandlerMetrics {
  addMetric(
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
  ): unknown;
  publishStoredMetrics(): unknown;
}

/** What a handler is made of. Everything but `env` has a production default. */
export interface HandlerDeps {
  /** Where settings are read, once, when the handler is made (`process.env` in Lambda). */
  readonly env: SettingsInput;
  /** Builds the AWS clients, once, when the handler is made (default `createAwsClients`). */
  readonly createClients?: (settings: Settings) => AwsClients;
  /** The clock; read on every invocation for `today` (UTC) and the report's times. */
  readonly now?: () => Date;
  /** Where log lines go (default: a Powertools `Logger`, JSON lines). */
  readonly logger?: HandlerLogger;
  /** Where run metrics go (default: Powertools `Metrics`, CloudWatch EMF). */
  readonly metrics?: HandlerMetrics;
  /** Time kept in reserve at the end of an invocation (default 30 s or 10 %). */
  readonly safetyMargin?: SafetyMargin;
  /** How users are found (default: from the credential report). */
  readonly scanMode?: ScanMode;
  /** How to wait for the credential report (default: the adapter's). */
  readonly polling?: ReportPolling;
}

/** A keyrotate Lambda handler: returns the run report. */
export type KeyrotateHandler = (event: unknown, context: Context) => Promise<RunReport>;

/**
 * Makes the Lambda handler: decodes the settings and builds the AWS clients once (here, outside
 * the handler, so a warm container reuses them), and on every invocation computes today's UTC
 * date, scans, decides, applies and reports through `runKeyrotate`, stopping to start users when
 * the remaining time reaches the safety margin (those users are reported deferred; the next run
 * picks them up, as every run is safe to repeat).
 *
 * It throws only before any AWS call: for invalid settings (one error listing every problem) or
 * an invalid event. A failed scan, a failed preflight (no rotation started; the adapter's one
 * `preflight-failed` error line names the check and what to do) or failed users are in the
 * returned report and its metrics.
 *
 * @example export const handler = createHandler({ env: process.env });
 */
export const createHandler = (deps: HandlerDeps): KeyrotateHandler => {
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME });
  const metrics =
    deps.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const now = deps.now ?? (() => new Date());
  const decoded = decodeSettings(deps.env);
  const ready = E.isLeft(decoded)
    ? E.left(new InvalidSettingsError(decoded.left))
    : E.right({
        settings: decoded.right,
        clients: (deps.createClients ?? defaultClients(deps.env))(decoded.right),
      });
  const region = deps.env.AWS_REGION;
  const lease = leaseOptionsFromEnv(deps.env);

  return async (event, context) => {
    logger.addContext(context);
    if (E.isLeft(ready)) {
      logger.error(ready.left.message, {
        event: "settings-invalid",
        problems: ready.left.problems.map(formatSettingProblem),
      });
      throw ready.left;
    }
    if (E.isLeft(lease)) {
      logger.error(`keyrotate cannot run: ${lease.left}`, { event: "settings-invalid" });
      throw new Error(`keyrotate cannot run: ${lease.left}`);
    }
    const invocation = parseInvocation(event);
    if (E.isLeft(invocation)) {
      logger.error(invocation.left, { event: "event-invalid" });
      throw new InvalidEventError(`keyrotate cannot run: ${invocation.left}`);
    }
    const { settings, clients } = ready.right;
    const today = calendarDateOfTimestamp(now().toISOString());
    if (E.isLeft(today)) throw new Error(`the clock gave no usable date: ${today.left}`);
    // The function's own ARN names its account: Security Hub and SNS need no STS call for it.
    const accountId = context.invokedFunctionArn?.split(":")[4];

    const report = await runKeyrotate({
      clients,
      settings,
      today: today.right,
      dryRun: settings.dryRun || invocation.right.dryRun,
      shouldStartUser: startGate(
        () => context.getRemainingTimeInMillis(),
        deps.safetyMargin ?? DEFAULT_SAFETY_MARGIN,
      ),
      log: logTo(logger),
      runId: context.awsRequestId,
      now,
      lease: { ...lease.right, owner: `lambda ${context.functionName}` },
      ...(deps.scanMode === undefined ? {} : { scanMode: deps.scanMode }),
      ...(deps.polling === undefined ? {} : { polling: deps.polling }),
      ...(region === undefined || region === "" ? {} : { bucketRegion: region }),
      ...(accountId !== undefined && /^\d{12}$/.test(accountId) ? { accountId } : {}),
    });

    for (const [name, value] of Object.entries(runMetrics(report))) {
      metrics.addMetric(name, MetricUnit.Count, value);
    }
    metrics.publishStoredMetrics();
    if (report.counts.deferred > 0) {
      logger.warn(
        `${report.counts.deferred} users deferred: the invocation ran short of time; the next run continues with them`,
        { event: "users-deferred", deferred: report.counts.deferred },
      );
    }
    logger.info(`run ${report.status}`, {
      event: "run-report",
      status: report.status,
      dryRun: report.dryRun,
      date: report.date,
      counts: report.counts,
      apiCalls: report.apiCalls,
      ...(report.channels === undefined
        ? {}
        : {
            channels: Object.fromEntries(
              Object.entries(report.channels).map(([name, c]) => [name, c.status]),
            ),
          }),
    });
    return report;
  };
};

const defaultClients =
  (env: SettingsInput) =>
  (settings: Settings): AwsClients =>
    createAwsClients({ settings, env });

/** Sends the adapter's structured entries to the Powertools logger (JSON, one line each). */
export const logTo =
  (logger: HandlerLogger): Log =>
  ({ level, message, ...fields }) => {
    logger[level](message, fields);
  };
