import {
  type AwsClients,
  type AwsError,
  type CredentialReportUser,
  fetchCredentialReport,
  type Log,
  parseCredentialReportRows,
  type ReportPolling,
  reportLastUse,
  type SkippedUser,
  scanAccount,
  type UnreadableReportRow,
} from "@keyrotate/aws-adapter";
import type { AccessKey, CalendarDate, Settings, UserSnapshot } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";

/** Every user of an account with tags and keys, and the keys' last use where IAM knows it. */
export interface AccountView {
  readonly users: ReadonlyArray<UserSnapshot>;
  /** Users deleted or unreadable while the account was read. */
  readonly skipped: ReadonlyArray<SkippedUser>;
  /** When IAM generated the credential report that gave the last-use dates. */
  readonly reportGeneratedAt: string | undefined;
  /** Rows of the credential report that could not be read: those users' last use is unknown. */
  readonly unreadableReportRows: ReadonlyArray<UnreadableReportRow>;
}

/** What {@link readAccount} needs. */
export interface ReadAccountOptions {
  readonly clients: AwsClients;
  readonly settings: Settings;
  readonly today: CalendarDate;
  readonly polling?: ReportPolling;
  readonly log?: Log;
}

/**
 * Reads every user, not only those a run would select: the adapter's `list-users` scan gives
 * tags and keys, and the credential report gives each key's last use (the scan alone leaves it
 * unknown). `plan` and `report` show the whole account this way.
 *
 * A report slot is matched to a key by the adapter's `reportLastUse` (the key's creation
 * second); a key no slot matches keeps an unknown last use rather than a guessed one.
 */
export const readAccount = async (
  options: ReadAccountOptions,
): Promise<E.Either<AwsError, AccountView>> => {
  const { clients, settings, today } = options;
  const fetched = await fetchCredentialReport(clients.iam, options.polling);
  if (E.isLeft(fetched)) return fetched;
  const parsed = parseCredentialReportRows(fetched.right.csv);
  if (E.isLeft(parsed)) return parsed;
  const byName = new Map(parsed.right.users.map((u) => [u.userName.toLowerCase(), u]));
  const scan = await scanAccount({
    iam: clients.iam,
    settings,
    today,
    mode: "list-users",
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  if (E.isLeft(scan)) return scan;
  const users = scan.right.users.map((u) =>
    withReportLastUse(u.snapshot, byName.get(u.snapshot.userName.toLowerCase())),
  );
  return E.right({
    users,
    skipped: scan.right.skipped,
    reportGeneratedAt: fetched.right.generatedAt?.toISOString(),
    unreadableReportRows: parsed.right.unreadable,
  });
};

/** A warning line for a credential-report row that could not be read. */
export const unreadableRowWarning = (row: UnreadableReportRow): string =>
  `warning: the credential report's line ${row.line}${row.userName === undefined ? "" : ` (user ${row.userName})`} could not be read: ${row.problem}; the last use of that user's keys is unknown\n`;

/** Fills in unknown last uses from the user's credential-report row. */
export const withReportLastUse = (
  user: UserSnapshot,
  row: CredentialReportUser | undefined,
): UserSnapshot => {
  if (row === undefined) return user;
  const keys = user.keys.map((key): AccessKey => {
    if (key.lastUse._tag !== "Unknown") return key;
    return { ...key, lastUse: reportLastUse(row, key) };
  });
  return { ...user, keys };
};
