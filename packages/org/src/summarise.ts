import { Logger } from "@aws-lambda-powertools/logger";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import {
  type AccountSection,
  type AccountStatus,
  type AdminSummaryOutcome,
  type AwsClients,
  assembleOrgReport,
  createAwsClients,
  mapAwsError,
  type OrgReport,
  renderOrgAdminSummary,
  sendEmail,
} from "@keyrotate/aws-adapter";
import type { SettingsInput } from "@keyrotate/core";
import type { HandlerLogger } from "@keyrotate/lambda";
import type { Context } from "aws-lambda";
import { type MapItem, parseSummariseEvent, type SummariseEvent } from "./events.js";
import type { SelectionRecord } from "./list.js";
import { parseManifest, parseResultFile, sectionOf } from "./resultWriter.js";
import { decodeRunSettings } from "./settings.js";
import { eventOrThrow, prepare, whenReady } from "./shell.js";
import { getJson, putJson, runKeys } from "./store.js";

/** What the summarise step returns to the state machine: enough to choose success or failure. */
export interface SummariseOutput {
  readonly status: OrgReport["status"];
  readonly bucket: string;
  readonly reportKey: string;
  readonly accounts: OrgReport["totals"]["accounts"];
  readonly adminSummary: AdminSummaryOutcome["status"];
}

/** What the summarise handler is made of; everything but `env` has a production default. */
export interface SummariseDeps {
  readonly env: SettingsInput;
  /** The deployment account's S3 and SES (default `createAwsClients`, SES in `SES_REGION`). */
  readonly clients?: () => Pick<AwsClients, "s3" | "ses">;
  readonly now?: () => Date;
  readonly logger?: HandlerLogger;
}

/** The manifest under the run's results prefix, when the Map failed before saying where it is. */
const findManifest = async (
  s3: AwsClients["s3"],
  bucket: string,
  prefix: string,
): Promise<string | undefined> => {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    const found = page.Contents?.find((o) => o.Key?.endsWith("/manifest.json"))?.Key;
    if (found !== undefined) return found;
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return undefined;
};

/**
 * Makes the summarise step: reads the Distributed Map's `ResultWriter` output (the manifest and
 * its result files), turns each child execution into its account's section (a failed child, e.g.
 * an account still throttled after the Map's retries, becomes a `failed` section), marks the
 * listed accounts with no result as `deferred`, merges them with the list step's selection into
 * the org report (`assembleOrgReport`), stores it as `runs/<runId>/org-report.json` and mails the
 * admin summary to `ADMIN_EMAIL` (not on a dry run).
 *
 * @example export const summarise = createSummariseHandler({ env: process.env });
 */
export const createSummariseHandler = (deps: SummariseDeps) => {
  const logger = deps.logger ?? new Logger({ serviceName: "keyrotate-org" });
  const now = deps.now ?? (() => new Date());
  const prepared = prepare(decodeRunSettings(deps.env), (decoded) => ({
    clients: (deps.clients ?? (() => createAwsClients({ settings: decoded.settings })))(),
  }));

  return async (event: unknown, context?: Context): Promise<SummariseOutput> => {
    const { settings, clients } = whenReady(prepared, logger, context);
    const { list, map, mapError }: SummariseEvent = eventOrThrow(
      parseSummariseEvent(event),
      logger,
      "summarise the run",
    );
    const record = (await getJson(clients.s3, list.bucket, list.selectionKey)) as SelectionRecord;
    const items = (await getJson(clients.s3, list.bucket, list.accountsKey)) as MapItem[];
    const manifestKey =
      map?.ResultWriterDetails.Key ??
      (await findManifest(clients.s3, list.bucket, runKeys(list.runId).results));
    const manifestBucket = map?.ResultWriterDetails.Bucket ?? list.bucket;
    const done = new Map<string, AccountSection>();
    if (manifestKey !== undefined) {
      const manifest = parseManifest(await getJson(clients.s3, manifestBucket, manifestKey));
      const files = [
        ...(manifest.ResultFiles.SUCCEEDED ?? []),
        ...(manifest.ResultFiles.FAILED ?? []),
      ];
      for (const file of files) {
        const key = file.Key;
        const executions = parseResultFile(
          await getJson(clients.s3, manifest.DestinationBucket, key),
          key,
        );
        for (const execution of executions) {
          const section = sectionOf(execution);
          done.set(section.accountId, section);
        }
      }
    }
    const notRun = mapError?.Cause ?? mapError?.Error ?? "the Map did not run it";
    const sections = items.map(
      (item): AccountSection =>
        done.get(item.id) ?? {
          accountId: item.id,
          accountName: item.name,
          status: "deferred" satisfies AccountStatus,
          error: {
            tag: "ServiceFailure",
            operation: "states:Map",
            code: mapError?.Error,
            message: notRun,
          },
        },
    );
    const report = assembleOrgReport({
      runId: list.runId,
      date: list.date,
      startedAt: record.startedAt,
      finishedAt: now().toISOString(),
      selection: record.selection,
      dryRun: list.dryRun || settings.dryRun ? true : undefined,
      discovered: record.discovered,
      sections,
      skipped: record.skipped,
      apiCalls: record.apiCalls,
    });
    const reportKey = runKeys(list.runId).report;
    await putJson(clients.s3, list.bucket, reportKey, report);
    const adminSummary = await mailAdmin(report, settings, clients, logger);
    logger.info(`org run ${report.runId}: ${report.status}`, {
      event: "org-run-finished",
      status: report.status,
      accounts: report.totals.accounts,
      users: report.totals.users,
    });
    return {
      status: report.status,
      bucket: list.bucket,
      reportKey,
      accounts: report.totals.accounts,
      adminSummary: adminSummary.status,
    };
  };
};

const mailAdmin = async (
  report: OrgReport,
  settings: { readonly adminEmail: string | undefined; readonly sesEmail: string },
  clients: Pick<AwsClients, "ses">,
  logger: HandlerLogger,
): Promise<AdminSummaryOutcome> => {
  const to = settings.adminEmail;
  if (to === undefined) return { status: "off" };
  if (report.dryRun) return { status: "dry-run" };
  try {
    await sendEmail(clients, settings.sesEmail, renderOrgAdminSummary(report, to));
    return { status: "sent" };
  } catch (e) {
    const error = mapAwsError("ses:SendEmail", e);
    logger.error(`the admin summary could not be sent: ${error.message}`, {
      event: "admin-summary-failed",
      error: error.toJSON(),
    });
    return { status: "failed", error: error.toJSON() };
  }
};
