import { Logger } from "@aws-lambda-powertools/logger";
import {
  type AccountCredentials,
  type AccountSection,
  type AwsClients,
  createAwsClients,
  createOrgClients,
  type OrgClients,
  type ReportPolling,
  runAccount,
} from "@keyrotate/aws-adapter";
import type { Settings, SettingsInput } from "@keyrotate/core";
import {
  DEFAULT_SAFETY_MARGIN,
  type HandlerLogger,
  logTo,
  type SafetyMargin,
  startGate,
} from "@keyrotate/lambda";
import type { Context } from "aws-lambda";
import { parseWorkerEvent } from "./events.js";
import { decodeRunSettings } from "./settings.js";
import { eventOrThrow, prepare, regionOf, whenReady } from "./shell.js";

/**
 * The account's run was throttled past the SDK's retries. Thrown (its name is the error the
 * state machine sees) so that the Map retries the account later with backoff: a run is safe to
 * repeat. Its message names the account and the throttled call, never a secret.
 */
export class AccountThrottledError extends Error {
  override readonly name = "Keyrotate.AccountThrottled";
}

/** What the worker handler is made of; everything but `env` has a production default. */
export interface WorkerDeps {
  readonly env: SettingsInput;
  /** STS with the function's own role, to assume the member role (default `createOrgClients`). */
  readonly orgClients?: () => OrgClients;
  /** A member account's clients from its temporary credentials (default `createAwsClients`). */
  readonly clientsFor?: (
    credentials: AccountCredentials,
    accountId: string,
    settings: Settings,
  ) => AwsClients;
  readonly now?: () => Date;
  readonly logger?: HandlerLogger;
  readonly safetyMargin?: SafetyMargin;
  readonly polling?: ReportPolling;
}

/**
 * Makes the worker: one account per invocation, as the Distributed Map calls it. It assumes the
 * member role with the external id and runs keyrotate there through the adapter's `runAccount`,
 * the same function `runOrganization` runs per account, and returns the account's section of the
 * org report (the Map's `ResultWriter` collects them). An unreachable account or a failed run is
 * a section, not an error; only a throttled account throws {@link AccountThrottledError}, for the
 * Map's retry.
 *
 * @example export const worker = createWorkerHandler({ env: process.env });
 */
export const createWorkerHandler = (deps: WorkerDeps) => {
  const logger = deps.logger ?? new Logger({ serviceName: "keyrotate-org" });
  const prepared = prepare(decodeRunSettings(deps.env), () => ({
    orgClients: (deps.orgClients ?? (() => createOrgClients(regionOf(deps.env))))(),
  }));
  const clientsFor =
    deps.clientsFor ??
    ((credentials: AccountCredentials, _: string, settings: Settings) =>
      createAwsClients({ settings, credentials, ...regionOf(deps.env) }));

  return async (event: unknown, context: Context): Promise<AccountSection> => {
    const { org, settingsFor, orgClients } = whenReady(prepared, logger, context);
    const { account, runId, date, dryRun } = eventOrThrow(
      parseWorkerEvent(event),
      logger,
      "run the account",
    );
    const settings = settingsFor(account.id);
    const section = await runAccount(
      {
        orgClients,
        org,
        settings,
        today: date,
        runId,
        dryRun: settings.dryRun || dryRun,
        clientsFor: (credentials, accountId) => clientsFor(credentials, accountId, settings),
        shouldStartUser: startGate(
          () => context.getRemainingTimeInMillis(),
          deps.safetyMargin ?? DEFAULT_SAFETY_MARGIN,
        ),
        log: logTo(logger),
        ...(deps.now === undefined ? {} : { now: deps.now }),
        ...(deps.polling === undefined ? {} : { polling: deps.polling }),
      },
      { id: account.id, name: account.name, status: "ACTIVE" },
    );
    const error = section.error ?? section.report?.error;
    if (section.status === "failed" && error?.tag === "Throttled") {
      throw new AccountThrottledError(
        `account ${account.id} ${account.name}: throttled: ${error.message}`,
      );
    }
    logger.info(`account ${account.id}: ${section.status}`, {
      event: "account-finished",
      accountId: account.id,
      status: section.status,
      counts: section.report?.counts,
    });
    return section;
  };
};
