import { Logger } from "@aws-lambda-powertools/logger";
import {
  type AwsClients,
  createAwsClients,
  createOrgClients,
  discoverAccounts,
  type OrgClients,
  type OrgReport,
  type SkippedAccount,
  selectionOf,
} from "@keyrotate/aws-adapter";
import { calendarDateOfTimestamp, type SettingsInput } from "@keyrotate/core";
import { type HandlerLogger, parseInvocation } from "@keyrotate/lambda";
import type { Context } from "aws-lambda";
import * as E from "fp-ts/lib/Either.js";
import type { ListOutput, MapItem } from "./events.js";
import { decodeListSettings } from "./settings.js";
import { eventOrThrow, prepare, regionOf, whenReady } from "./shell.js";
import { putJson, runKeys } from "./store.js";

/** The selection the list step records for the summarise step (never the external id itself). */
export interface SelectionRecord {
  readonly startedAt: string;
  readonly discovered: number;
  readonly skipped: ReadonlyArray<SkippedAccount>;
  /** The `ORG_*` settings in force, as the org report shows them. */
  readonly selection: OrgReport["selection"];
  readonly apiCalls: Readonly<Record<string, number>>;
}

/** What the list handler is made of; everything but `env` has a production default. */
export interface ListDeps {
  readonly env: SettingsInput;
  /** Organizations (and STS) with the function's own role (default `createOrgClients`). */
  readonly orgClients?: () => OrgClients;
  /** The deployment account's S3 for `RESULTS_BUCKET` (default `createAwsClients`). */
  readonly clients?: () => Pick<AwsClients, "s3">;
  readonly now?: () => Date;
  readonly logger?: HandlerLogger;
}

/** The event of the list step: the run's id (the execution's name) and the execution's input. */
export interface ListEvent {
  readonly runId: string;
  readonly input?: unknown;
}

/**
 * Makes the list step: discovers the covered accounts with the adapter's `discoverAccounts`
 * (whole organisation, OU subtrees, include and exclude lists, opt-out tag, suspended accounts
 * skipped), writes them to `RESULTS_BUCKET` as the JSON array the Distributed Map reads, and the
 * selection beside it, and returns where they are with the run's date. A failed listing throws:
 * a partial view of the organisation could silently leave accounts out.
 *
 * @example export const list = createListHandler({ env: process.env });
 */
export const createListHandler = (deps: ListDeps) => {
  const logger = deps.logger ?? new Logger({ serviceName: "keyrotate-org" });
  const now = deps.now ?? (() => new Date());
  const prepared = prepare(decodeListSettings(deps.env), () => ({
    orgClients: (deps.orgClients ?? (() => createOrgClients(regionOf(deps.env))))(),
    clients: (deps.clients ?? (() => createAwsClients(regionOf(deps.env))))(),
  }));

  return async (event: ListEvent, context?: Context): Promise<ListOutput> => {
    const { org, resultsBucket, orgClients, clients } = whenReady(prepared, logger, context);
    const invocation = eventOrThrow(
      typeof event?.runId === "string" && event.runId !== ""
        ? parseInvocation(event.input)
        : E.left(
            `the event needs "runId" (the execution's name), not ${JSON.stringify(event?.runId)}`,
          ),
      logger,
      "list the organization",
    );
    const startedAt = now().toISOString();
    const date = calendarDateOfTimestamp(startedAt);
    if (E.isLeft(date)) throw new Error(`the clock gave no usable date: ${date.left}`);
    const before = orgClients.calls.snapshot();
    const selection = await discoverAccounts(orgClients, org);
    if (E.isLeft(selection)) {
      logger.error(`the organization could not be listed: ${selection.left.message}`, {
        event: "org-discovery-failed",
        error: selection.left.toJSON(),
      });
      throw selection.left;
    }
    const keys = runKeys(event.runId);
    const items: MapItem[] = selection.right.selected.map((a) => ({ id: a.id, name: a.name }));
    const record: SelectionRecord = {
      startedAt,
      discovered: selection.right.discovered,
      skipped: selection.right.skipped,
      selection: selectionOf(org),
      apiCalls: orgClients.calls.since(before),
    };
    await putJson(clients.s3, resultsBucket, keys.selection, record);
    await putJson(clients.s3, resultsBucket, keys.accounts, items);
    logger.info(`${items.length} accounts to run, ${record.skipped.length} skipped`, {
      event: "org-listed",
      selected: items.length,
      skipped: record.skipped.length,
    });
    return {
      runId: event.runId,
      date: date.right,
      dryRun: invocation.dryRun,
      bucket: resultsBucket,
      accountsKey: keys.accounts,
      selectionKey: keys.selection,
      selected: items.length,
    };
  };
};
