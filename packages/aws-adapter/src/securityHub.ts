import {
  type AwsSecurityFindingFilters,
  BatchImportFindingsCommand,
  GetFindingsCommand,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import {
  type CalendarDate,
  daysBetween,
  type PolicySettings,
  type UserName,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { asffPlaceOf } from "./accountPlace.js";
import {
  type AsffFinding,
  type AsffPlace,
  type AsffUser,
  asffFindings,
  asffUpdates,
  defaultProductArn,
} from "./asff.js";
import type { AwsClients } from "./clients.js";
import { type ControlKey, securityHubControls } from "./controls.js";
import { AwsError, type AwsErrorJson, mapAwsError } from "./errors.js";
import { type Log, silentLog } from "./log.js";
import { type ChannelReport, type KeyView, keyViews, type UserReport } from "./report.js";
import { readUser } from "./scan.js";

/** The most findings `BatchImportFindings` takes in one call. */
export const IMPORT_BATCH = 100;

/** The filters of keyrotate's own ACTIVE findings in the account and region of `place`. */
export const ownFindingsFilter = (place: AsffPlace): AwsSecurityFindingFilters => ({
  ProductArn: [{ Value: defaultProductArn(place), Comparison: "EQUALS" }],
  AwsAccountId: [{ Value: place.accountId, Comparison: "EQUALS" }],
  GeneratorId: [{ Value: "keyrotate/", Comparison: "PREFIX" }],
  RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
});

const notEnabledHelp = (place: AsffPlace): string =>
  `Security Hub is not enabled in ${place.region} for account ${place.accountId}: enable it (aws securityhub enable-security-hub --region ${place.region}) or set SECURITY_HUB=off, then run again.`;

/** A Security Hub error with what to do when the hub is not enabled (`InvalidAccessException`). */
const hubError = (operation: string, e: unknown, place: AsffPlace): AwsError => {
  const error = mapAwsError(operation, e);
  return error.code === "InvalidAccessException"
    ? new AwsError(error.tag, operation, notEnabledHelp(place), error.code, { cause: e })
    : error;
};

/** keyrotate's ACTIVE findings of earlier runs, every page. */
const previousFindings = async (
  hub: SecurityHubClient,
  place: AsffPlace,
): Promise<AsffFinding[]> => {
  const out: AsffFinding[] = [];
  let token: string | undefined;
  do {
    const page = await hub.send(
      new GetFindingsCommand({
        Filters: ownFindingsFilter(place),
        MaxResults: 100,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    out.push(...((page.Findings ?? []) as unknown as AsffFinding[]));
    token = page.NextToken === "" ? undefined : page.NextToken;
  } while (token !== undefined);
  return out;
};

const daysUnused = (k: Pick<KeyView, "lastUse" | "ageDays">, today: CalendarDate) =>
  k.lastUse === "never"
    ? k.ageDays
    : k.lastUse === "unknown"
      ? undefined
      : daysBetween(k.lastUse as CalendarDate, today);

/**
 * A user's keys once the run is over: the keys read at the scan, less those it deleted, with
 * those it deactivated Inactive, and with the key a rotation created (unless it was undone).
 */
export const keysAfterRun = (user: UserReport, today: CalendarDate): KeyView[] => {
  const done = user.steps.filter((s) => s.status === "ok").map((s) => s.step);
  const deleted = new Set(done.filter((s) => s.action === "DeleteKey").map((s) => s.keyId));
  const deactivated = new Set(done.filter((s) => s.action === "DeactivateKey").map((s) => s.keyId));
  const undone = user.compensation.some(
    (c) => c.status === "ok" && c.step.action === "DeleteKey" && c.step.keyId === user.newKeyId,
  );
  const created: KeyView[] =
    user.newKeyId === undefined || undone || user.keys.some((k) => k.id === user.newKeyId)
      ? []
      : [{ id: user.newKeyId, status: "Active", created: today, ageDays: 0, lastUse: "never" }];
  return [
    ...user.keys
      .filter((k) => !deleted.has(k.id))
      .map((k) => (deactivated.has(k.id) ? { ...k, status: "Inactive" as const } : k)),
    ...created,
  ];
};

/** A user as the ASFF builder takes it: keys and the four controls of Security Hub findings. */
export const asffUserOf = (
  userName: string,
  keys: ReadonlyArray<KeyView>,
  today: CalendarDate,
): AsffUser => {
  const active: ControlKey[] = keys
    .filter((k) => k.status === "Active")
    .map((k) => ({
      id: k.id,
      ageDays: k.ageDays,
      daysUnused: daysUnused(k, today),
      lastUsed: k.lastUse,
    }));
  return {
    userName,
    keys: keys.map((k) => ({ id: k.id, status: k.status, created: k.created })),
    controls: securityHubControls(active),
  };
};

/** The control of a keyrotate finding, and its user (`ProductFields`). */
const controlOf = (f: AsffFinding): string | undefined => f.ProductFields["keyrotate/Control"];
const userOf = (f: AsffFinding): string | undefined => f.ProductFields["keyrotate/UserName"];
/** The access key of a per-key finding (undefined for CIS 1.13's per-user findings). */
const keyOf = (f: AsffFinding): string | undefined =>
  f.Resources.find((r) => r.Type === "AwsIamAccessKey")?.Details?.AwsIamAccessKey.AccessKeyId;

/** Options of {@link importFindings}. */
export interface ImportFindingsOptions {
  readonly clients: Pick<AwsClients, "iam" | "securityHub" | "sts">;
  readonly settings: PolicySettings;
  readonly today: CalendarDate;
  /** ISO 8601 instant of CreatedAt/UpdatedAt. */
  readonly now: string;
  /** The users the run read, as its report shows them (their keys as the scan found them). */
  readonly users: ReadonlyArray<UserReport>;
  /** Users the scan found deleted. */
  readonly deletedUsers: ReadonlyArray<string>;
  /** Compute and report what would be imported, import nothing. */
  readonly dryRun: boolean;
  /** The account, when the caller knows it (no `GetCallerIdentity`). */
  readonly accountId?: string;
  readonly log?: Log;
}

/**
 * Imports the run's Security Hub findings (`SECURITY_HUB=on`): one ASFF finding per key failing
 * IAM.3, IAM.8 or IAM.22 and per user failing CIS 1.13, judged on the keys as the run left them,
 * through `BatchImportFindings` in batches of {@link IMPORT_BATCH}; and keyrotate's findings of
 * earlier runs that no longer fail (resolved, key deleted, user gone) again, ARCHIVED. Those are
 * found with `GetFindings` (keyrotate's own ACTIVE findings in this account and region); their
 * users that this run did not read are read now, and a finding whose control cannot be judged
 * (a last use unknown) is left as it is. Workflow status is never sent: it is the user's.
 *
 * A failed finding (`FailedFindings`) is logged with its id and error and reported; the others
 * are imported. A failure to read or import fails the channel, never the run.
 */
export const importFindings = async (options: ImportFindingsOptions): Promise<ChannelReport> => {
  const { clients, today, now, dryRun } = options;
  const log = options.log ?? silentLog;
  const failed = (item: string, error: AwsError): ChannelReport => {
    log({
      level: "error",
      event: "security-hub-failed",
      message: `Security Hub findings were not imported: ${error.message}`,
      error: error.toJSON(),
    });
    return { status: "failed", sent: 0, failures: [{ item, error: error.toJSON() }] };
  };
  const placed = await asffPlaceOf(await clients.sts(), options.accountId);
  if (E.isLeft(placed)) return failed("account", placed.left);
  const place = placed.right;
  let previous: AsffFinding[];
  try {
    previous = await previousFindings(await clients.securityHub(), place);
  } catch (e) {
    return failed("findings", hubError("securityhub:GetFindings", e, place));
  }
  const users = new Map<string, AsffUser>(
    options.users.map((u) => [u.userName, asffUserOf(u.userName, keysAfterRun(u, today), today)]),
  );
  const gone = new Set(options.deletedUsers);
  const unread = [
    ...new Set(previous.map(userOf).filter((n): n is string => n !== undefined)),
  ].filter((n) => !users.has(n) && !gone.has(n));
  for (const userName of unread) {
    const read = await readUser(
      clients.iam,
      options.settings,
      today,
      userName as UserName,
      undefined,
    );
    if (E.isRight(read)) {
      users.set(userName, asffUserOf(userName, keyViews(today, read.right.snapshot), today));
    } else if (read.left.tag === "NotFound") gone.add(userName);
    // Any other failure leaves that user's findings as they are.
  }
  // Only findings that can be judged today are updated or archived: the user is gone, the key
  // is no longer Active (deleted or deactivated: it fails no control), or the control's result
  // is known.
  const judged = previous.filter((f) => {
    const name = userOf(f);
    if (name === undefined) return false;
    if (gone.has(name)) return true;
    const control = controlOf(f);
    const user = users.get(name);
    if (user === undefined || control === undefined) return false;
    const keyId = keyOf(f);
    if (keyId !== undefined && !user.keys.some((k) => k.id === keyId && k.status === "Active"))
      return true;
    return user.controls[control]?.result !== "unknown";
  });
  const current = asffFindings(place, [...users.values()], now);
  const updates = asffUpdates(judged, current, now);
  const archived = updates.filter((f) => f.RecordState === "ARCHIVED").length;
  if (dryRun) {
    log({
      level: "info",
      event: "security-hub-dry-run",
      message: `dry run: would import ${updates.length} Security Hub finding${updates.length === 1 ? "" : "s"} (${archived} archived)`,
    });
    return { status: "dry-run", sent: 0, planned: updates.length, archived, failures: [] };
  }
  const failures: { item: string; error: AwsErrorJson }[] = [];
  let sent = 0;
  for (let i = 0; i < updates.length; i += IMPORT_BATCH) {
    const batch = updates.slice(i, i + IMPORT_BATCH);
    try {
      const out = await (await clients.securityHub()).send(
        new BatchImportFindingsCommand({
          Findings: batch as unknown as NonNullable<
            ConstructorParameters<typeof BatchImportFindingsCommand>[0]["Findings"]
          >,
        }),
      );
      const rejected = out.FailedFindings ?? [];
      sent += batch.length - rejected.length;
      for (const r of rejected) {
        const error = mapAwsError(
          "securityhub:BatchImportFindings",
          Object.assign(
            new Error(
              `finding ${r.Id ?? "?"} was rejected: ${r.ErrorMessage ?? "no reason given"}`,
            ),
            { name: r.ErrorCode ?? "Unexpected" },
          ),
        ).toJSON();
        log({
          level: "error",
          event: "finding-rejected",
          message: error.message,
          findingId: r.Id,
          error,
        });
        failures.push({ item: r.Id ?? "?", error });
      }
    } catch (e) {
      const error = hubError("securityhub:BatchImportFindings", e, place);
      log({
        level: "error",
        event: "security-hub-failed",
        message: `${batch.length} Security Hub findings were not imported: ${error.message}`,
        error: error.toJSON(),
      });
      for (const f of batch) failures.push({ item: f.Id, error: error.toJSON() });
    }
  }
  log({
    level: failures.length > 0 ? "warn" : "info",
    event: "security-hub-imported",
    message: `imported ${sent} Security Hub finding${sent === 1 ? "" : "s"} (${archived} archived), ${failures.length} failed`,
  });
  return { status: failures.length > 0 ? "failed" : "sent", sent, archived, failures };
};
