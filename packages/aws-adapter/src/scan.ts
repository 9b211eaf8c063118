import {
  type AccessKeyMetadata,
  GetAccessKeyLastUsedCommand,
  type IAMClient,
  type Tag as IamTag,
  paginateListAccessKeys,
  paginateListUsers,
  paginateListUserTags,
} from "@aws-sdk/client-iam";
import {
  type AccessKey,
  AccessKeyId,
  type CalendarDate,
  calendarDateOfTimestamp,
  daysBetween,
  isUnused,
  LastUse,
  type PolicySettings,
  type TriageReason,
  triage,
  type UserName,
  UserName as UserNameCodec,
  type UserSnapshot,
  unusedKey,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { mapWithConcurrency } from "./concurrency.js";
import {
  type CredentialReportUser,
  type ReportPolling,
  readCredentialReport,
} from "./credentialReport.js";
import { AwsError, type AwsErrorJson, mapAwsError } from "./errors.js";
import { type Log, silentLog } from "./log.js";
import { reportLastUse } from "./reportLastUse.js";

/**
 * How users are found: from the IAM credential report (cheap: details only for users who may
 * need action), or by listing every user (for accounts that deny access to the report).
 */
export type ScanMode = "credential-report" | "list-users";

/** Options of {@link scanAccount}. */
export interface ScanOptions {
  readonly iam: IAMClient;
  /** The policy settings, and how many users to read at once. */
  readonly settings: PolicySettings & { readonly concurrency?: number };
  readonly today: CalendarDate;
  /** Default `credential-report`. */
  readonly mode?: ScanMode;
  readonly polling?: ReportPolling;
  readonly log?: Log;
}

/** A user whose details were read: the snapshot the core decides on, and why it was read. */
export interface ScannedUser {
  readonly snapshot: UserSnapshot;
  /** The triage reasons from the credential report (empty in `list-users` mode). */
  readonly triage: ReadonlyArray<TriageReason>;
  /** Keys whose last use was confirmed with `GetAccessKeyLastUsed`. */
  readonly lastUseConfirmed: ReadonlyArray<AccessKeyId>;
  /** Keys whose last use could not be read (their last use is unknown). */
  readonly lastUseErrors: ReadonlyArray<AwsErrorJson>;
}

/** A user the scan saw but could not read: deleted meanwhile, or a call failed. */
export interface SkippedUser {
  readonly userName: string;
  readonly reason: "deleted" | "unreadable";
  readonly error: AwsErrorJson;
}

/** What a scan found. */
export interface AccountScan {
  readonly mode: ScanMode;
  /** Users in the report or the listing, the root account excluded. */
  readonly usersSeen: number;
  /** Users the triage selected (all users in `list-users` mode). */
  readonly usersSelected: number;
  /** When IAM generated the report read (credential-report mode). */
  readonly reportGeneratedAt: string | undefined;
  readonly users: ReadonlyArray<ScannedUser>;
  readonly skipped: ReadonlyArray<SkippedUser>;
}

/**
 * Reads the account into the core's snapshots. In `credential-report` mode it generates and reads
 * the credential report, runs the core's `triage` on it, and reads tags and keys only for the
 * users triage selects; in `list-users` mode it reads them for every user.
 *
 * It fails as a whole (a `Left`) only when the users cannot be listed: the report is unavailable,
 * malformed or truncated, or `ListUsers` fails. A user deleted between calls is skipped and
 * listed in `skipped`.
 */
export const scanAccount = async (
  options: ScanOptions,
): Promise<E.Either<AwsError, AccountScan>> => {
  const { iam, settings, today } = options;
  const mode = options.mode ?? "credential-report";
  const log = options.log ?? silentLog;
  log({ level: "info", event: "scan-started", message: `scanning in ${mode} mode`, mode });
  let candidates: ReadonlyArray<{
    readonly userName: UserName;
    readonly report: CredentialReportUser | undefined;
    readonly triage: ReadonlyArray<TriageReason>;
  }>;
  let usersSeen: number;
  let reportGeneratedAt: string | undefined;
  if (mode === "credential-report") {
    const judge = triage(settings, today);
    // Only the users triage selects are kept as the report streams in: the others cost nothing.
    const read = await readCredentialReport(iam, options.polling, {
      keep: (user) => judge(user).length > 0,
    });
    if (E.isLeft(read)) return read;
    reportGeneratedAt = read.right.generatedAt?.toISOString();
    usersSeen = read.right.usersSeen;
    candidates = read.right.users.map((report) => ({
      userName: report.userName,
      report,
      triage: judge(report),
    }));
  } else {
    const listed = await listUserNames(iam);
    if (E.isLeft(listed)) return listed;
    usersSeen = listed.right.length;
    candidates = listed.right.map((userName) => ({ userName, report: undefined, triage: [] }));
  }
  log({
    level: "info",
    event: "users-selected",
    message: `${candidates.length} of ${usersSeen} users may need action`,
    usersSeen,
    selected: candidates.length,
  });
  const read = await mapWithConcurrency(candidates, settings.concurrency ?? 8, async (c) => ({
    c,
    result: await readUser(iam, settings, today, c.userName, c.report),
  }));
  const users: ScannedUser[] = [];
  const skipped: SkippedUser[] = [];
  for (const { c, result } of read) {
    if (E.isRight(result)) {
      users.push({ ...result.right, triage: c.triage });
      continue;
    }
    const reason = result.left.tag === "NotFound" ? "deleted" : "unreadable";
    skipped.push({ userName: c.userName, reason, error: result.left.toJSON() });
    log({
      level: reason === "deleted" ? "warn" : "error",
      event: "user-skipped",
      message:
        reason === "deleted"
          ? `${c.userName} was deleted during the scan; skipped`
          : `${c.userName} could not be read; skipped: ${result.left.message}`,
      userName: c.userName,
      error: result.left.toJSON(),
    });
  }
  return E.right({
    mode,
    usersSeen,
    usersSelected: candidates.length,
    reportGeneratedAt,
    users,
    skipped,
  });
};

const listUserNames = async (iam: IAMClient): Promise<E.Either<AwsError, UserName[]>> => {
  const names: UserName[] = [];
  try {
    for await (const page of paginateListUsers({ client: iam }, {})) {
      for (const user of page.Users ?? []) {
        if (UserNameCodec.is(user.UserName)) names.push(user.UserName);
      }
    }
  } catch (e) {
    return E.left(mapAwsError("iam:ListUsers", e));
  }
  return E.right(names);
};

/**
 * Reads one user's tags and keys, and the last use of the keys that could be unused: only when
 * `unusedDays` is set, only Active keys older than it whose last use (from the report, which can
 * be hours old) does not already show a recent use.
 */
export const readUser = async (
  iam: IAMClient,
  settings: PolicySettings,
  today: CalendarDate,
  userName: UserName,
  report: CredentialReportUser | undefined,
): Promise<E.Either<AwsError, Omit<ScannedUser, "triage">>> => {
  const tags: { key: string; value: string }[] = [];
  const metadata: AccessKeyMetadata[] = [];
  try {
    for await (const page of paginateListUserTags({ client: iam }, { UserName: userName })) {
      for (const tag of page.Tags ?? ([] as IamTag[])) {
        tags.push({ key: tag.Key ?? "", value: tag.Value ?? "" });
      }
    }
  } catch (e) {
    return E.left(mapAwsError("iam:ListUserTags", e));
  }
  try {
    for await (const page of paginateListAccessKeys({ client: iam }, { UserName: userName })) {
      metadata.push(...(page.AccessKeyMetadata ?? []));
    }
  } catch (e) {
    return E.left(mapAwsError("iam:ListAccessKeys", e));
  }
  const keys: AccessKey[] = [];
  for (const m of metadata) {
    const created =
      m.CreateDate === undefined ? undefined : calendarDateOfTimestamp(m.CreateDate.toISOString());
    if (!AccessKeyId.is(m.AccessKeyId) || created === undefined || E.isLeft(created)) {
      return E.left(
        new AwsError(
          "Unexpected",
          "iam:ListAccessKeys",
          `a key of ${userName} has no valid id or creation date`,
        ),
      );
    }
    const createdAt = Math.floor((m.CreateDate as Date).getTime() / 1000);
    keys.push({
      id: m.AccessKeyId,
      // IAM's `Expired` keys cannot sign requests: for the policy they are Inactive.
      status: m.Status === "Active" ? "Active" : "Inactive",
      created: created.right,
      createdAt,
      lastUse: reportLastUse(report, { createdAt }),
    });
  }
  const confirmed: AccessKeyId[] = [];
  const errors: AwsErrorJson[] = [];
  /** Reads one key's last use with GetAccessKeyLastUsed; a failure leaves it unknown. */
  const confirm = async (index: number): Promise<void> => {
    const key = keys[index] as AccessKey;
    const lastUse = await confirmLastUse(iam, key.id);
    if (E.isLeft(lastUse)) {
      errors.push(lastUse.left.toJSON());
      keys[index] = { ...key, lastUse: LastUse.unknown };
      return;
    }
    confirmed.push(key.id);
    keys[index] = { ...key, lastUse: lastUse.right };
  };
  if (settings.unusedDays !== undefined) {
    // The report's last use can be hours old: a key it shows as not recently used could be
    // unused. Such keys are read as never used until confirmed, and the core's own choice
    // (`unusedKey`: one unused key per run, in key order) says which one to confirm next. Once
    // it names a confirmed key, the rest are left unknown: unknown is never read as unused.
    const couldBeUnused = (k: AccessKey): boolean =>
      k.status === "Active" &&
      isUnused(settings, today, k.lastUse._tag === "UsedOn" ? k : { ...k, lastUse: LastUse.never });
    const unconfirmed = new Set(keys.filter(couldBeUnused).map((k) => k.id));
    const hopeful = (): AccessKey[] =>
      keys.map((k) => (unconfirmed.has(k.id) ? { ...k, lastUse: LastUse.never } : k));
    for (let next = unusedKey(settings, today, hopeful()); next !== undefined; ) {
      if (!unconfirmed.delete(next.id)) break;
      const id = next.id;
      await confirm(keys.findIndex((k) => k.id === id));
      next = unusedKey(settings, today, hopeful());
    }
    for (const [index, key] of keys.entries())
      if (unconfirmed.has(key.id)) keys[index] = { ...key, lastUse: LastUse.unknown };
  }
  // A rotation in flight or under way needs its keys' use: recovery discards only a key never
  // used, the old key waits while in use (IN_USE_DELAY_DAYS), and EARLY_DEACTIVATION needs the
  // new key's use. The report's day-old, hours-late view is confirmed for these users only.
  const state = tags.find((t) => t.key === settings.stateTagKey)?.value ?? "";
  const inFlight = state.includes("rotating:");
  const tracked = tags.some((t) => t.key === settings.lastCheckOldKeyTagKey);
  const usageMatters =
    inFlight ||
    (tracked && keys.length >= 2 && (settings.inUseDelayDays > 0 || settings.earlyDeactivation));
  if (usageMatters) {
    for (const [index, key] of keys.entries()) {
      if (confirmed.includes(key.id) || (!inFlight && key.status !== "Active")) continue;
      if (key.lastUse._tag === "UsedOn" && daysBetween(key.lastUse.date, today) <= 1) continue;
      await confirm(index);
    }
  }
  return E.right({
    snapshot: { userName, tags, keys },
    lastUseConfirmed: confirmed,
    lastUseErrors: errors,
  });
};

const confirmLastUse = async (
  iam: IAMClient,
  keyId: AccessKeyId,
): Promise<E.Either<AwsError, LastUse>> => {
  try {
    const out = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }));
    const date = out.AccessKeyLastUsed?.LastUsedDate;
    if (date === undefined) return E.right(LastUse.never);
    const day = calendarDateOfTimestamp(date.toISOString());
    return E.isRight(day)
      ? E.right(LastUse.usedOn(day.right))
      : E.left(new AwsError("Unexpected", "iam:GetAccessKeyLastUsed", day.left));
  } catch (e) {
    return E.left(mapAwsError("iam:GetAccessKeyLastUsed", e));
  }
};
