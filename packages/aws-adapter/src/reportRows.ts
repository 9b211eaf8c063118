import {
  type CalendarDate,
  calendarDateOfTimestamp,
  LastUse,
  type ReportKey,
  type ReportUser,
  UserName,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { CsvRecords, CsvSyntaxError } from "./csvRecords.js";
import { AwsError } from "./errors.js";

/** One key slot of a credential-report row, with the exact creation time to match it to a key. */
export interface CredentialReportKey extends ReportKey {
  /** `access_key_N_last_rotated` as written in the report (an ISO 8601 timestamp). */
  readonly createdAt: string;
}

/** One user row of the credential report: the core's {@link ReportUser} with exact times. */
export interface CredentialReportUser extends ReportUser {
  readonly keys: ReadonlyArray<CredentialReportKey>;
}

/** The columns keyrotate reads; any other column is ignored. */
export const REQUIRED_COLUMNS = [
  "user",
  "access_key_1_active",
  "access_key_1_last_rotated",
  "access_key_1_last_used_date",
  "access_key_2_active",
  "access_key_2_last_rotated",
  "access_key_2_last_used_date",
] as const;

type Column = (typeof REQUIRED_COLUMNS)[number];

/**
 * A row of the credential report that could not be read. It never stops the report: the user it
 * names (when it names one) is kept with no key slots, so that a scan reads that user's keys from
 * IAM itself, their last use unknown.
 */
export interface UnreadableReportRow {
  /** The row's record number in the CSV, the header being 1. */
  readonly line: number;
  /** The user the row names, when that much could be read; absent when even the name is unsure. */
  readonly userName?: UserName;
  /** What is wrong, e.g. `24 cells where the header has 22`. Holds no secret: the report has none. */
  readonly problem: string;
}

/** The users of a credential report, as read row by row. */
export interface ReportRows {
  /** The users kept (every user unless a filter was given), in report order. */
  readonly users: ReadonlyArray<CredentialReportUser>;
  /** Users in the report, the root account excluded, kept or not. */
  readonly usersSeen: number;
  /** The rows that could not be read, in report order. */
  readonly unreadable: ReadonlyArray<UnreadableReportRow>;
}

const ROOT_ROW = "<root_account>";
const operation = "iam:GetCredentialReport";

/** A `MalformedReport` error of `iam:GetCredentialReport`: "the credential report {message}". */
export const malformedReport = (message: string): AwsError =>
  new AwsError("MalformedReport", operation, `the credential report ${message}`);

/**
 * Reads the records of a credential report's CSV one at a time, header first, keeping only the
 * {@link REQUIRED_COLUMNS} of each and building its user at once, so that nothing but the users
 * kept outlives its row.
 *
 * Tolerant per row: a row that cannot be read (a value that is not a date, a user listed twice,
 * a cell count that differs from the header's) is an {@link UnreadableReportRow}, never the end
 * of the report. IAM writes user names and ARNs unquoted, so a user named `svc,deploy` (legal in
 * IAM) spreads over extra cells: when the name and ARN can be told apart unambiguously (the ARN
 * ends with `/<name>`), the row is read as the user's.
 *
 * What shows the report itself is broken still makes it invalid, as a whole: {@link add} returns
 * false and {@link finish} returns the problem: no header or a missing column, invalid CSV, or
 * what a report cut short looks like: a last row shorter than the header, an unterminated quote,
 * a last timestamp cut in the middle. A missing `<root_account>` row is not a sign of
 * truncation: AWS writes it first, and other implementations of the IAM API (moto) leave it out.
 */
export class CredentialReportRows {
  private columns: Readonly<Record<Column, number>> | undefined;
  private width = 0;
  private arnColumn: number | undefined;
  private records = 0;
  private lastColumn = "";
  private usersSeen = 0;
  private problem: AwsError | undefined;
  /**
   * A row shorter than the header, or whose last cell is cut short: a problem of that row, unless
   * it is the last (then the report was cut).
   */
  private short: { readonly line: number; readonly problem: string } | undefined;
  private readonly seen = new Set<string>();
  private readonly kept = new Set<string>();
  private readonly users: CredentialReportUser[] = [];
  private readonly unreadable: UnreadableReportRow[] = [];

  /** `keep` decides which users are kept (default: all); every user is validated either way. */
  constructor(private readonly keep: (user: CredentialReportUser) => boolean = () => true) {}

  /** Takes the next record; false once the report is known to be invalid (stop feeding it). */
  add(record: ReadonlyArray<string>): boolean {
    if (this.problem !== undefined) return false;
    this.records += 1;
    if (this.columns === undefined) {
      const problem = this.header(record);
      if (problem !== undefined) this.problem = malformedReport(problem);
      return problem === undefined;
    }
    if (this.short !== undefined) {
      // Not the last row after all: one unreadable row.
      this.usersSeen += 1;
      this.unreadable.push(this.short);
      this.short = undefined;
    }
    const last = record[record.length - 1] ?? "";
    if (
      record.length < this.width ||
      (record.length === this.width && !completeCell(this.lastColumn, last))
    ) {
      this.short = {
        line: this.records,
        problem:
          record.length < this.width
            ? `${record.length} cells where the header has ${this.width}`
            : `${this.lastColumn} ${JSON.stringify(last)} is cut short`,
      };
      return true;
    }
    this.row(record);
    return true;
  }

  /** Records a problem found outside the rows (invalid CSV, a broken stream). */
  fail(error: AwsError): void {
    this.problem ??= error;
  }

  /** The users, once every record was given; or the first problem found. */
  finish(): E.Either<AwsError, ReportRows> {
    if (this.problem !== undefined) return E.left(this.problem);
    if (this.columns === undefined) return E.left(malformedReport("is empty"));
    if (this.short !== undefined) {
      return E.left(
        malformedReport(`line ${this.short.line}: ${this.short.problem}: it looks truncated`),
      );
    }
    return E.right({ users: this.users, usersSeen: this.usersSeen, unreadable: this.unreadable });
  }

  private header(record: ReadonlyArray<string>): string | undefined {
    const index = new Map(record.map((name, i) => [name.trim(), i]));
    const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c));
    if (missing.length > 0) return `lacks the columns ${missing.join(", ")}`;
    this.lastColumn = record[record.length - 1]?.trim() ?? "";
    this.columns = Object.fromEntries(
      REQUIRED_COLUMNS.map((c) => [c, index.get(c) ?? -1]),
    ) as Record<Column, number>;
    this.width = record.length;
    const user = index.get("user") ?? -1;
    // Names with commas can be told from their ARN only when the ARN follows the name.
    this.arnColumn = index.get("arn") === user + 1 ? user + 1 : undefined;
    return undefined;
  }

  private row(raw: ReadonlyArray<string>): void {
    const columns = this.columns as Readonly<Record<Column, number>>;
    const line = this.records;
    const record = raw.length === this.width ? raw : this.joinNameCells(raw);
    if (record === undefined) {
      this.usersSeen += 1;
      this.unreadable.push({
        line,
        problem: `${raw.length} cells where the header has ${this.width}, and no user name with commas explains them`,
      });
      return;
    }
    const cell = (name: Column): string => record[columns[name]] ?? "";
    const name = cell("user");
    if (name === ROOT_ROW) return;
    this.usersSeen += 1;
    if (!UserName.is(name)) {
      this.unreadable.push({ line, problem: `${JSON.stringify(name)} is not a user name` });
      return;
    }
    if (this.seen.has(name)) {
      this.unreadableUser(line, name, `user ${name} appears twice`);
      return;
    }
    this.seen.add(name);
    const keys: CredentialReportKey[] = [];
    for (const n of [1, 2] as const) {
      const slot = parseSlot(
        cell(`access_key_${n}_active`),
        cell(`access_key_${n}_last_rotated`),
        cell(`access_key_${n}_last_used_date`),
      );
      if (E.isLeft(slot)) {
        this.unreadableUser(line, name, `access key ${n}: ${slot.left}`);
        return;
      }
      if (slot.right !== undefined) keys.push(slot.right);
    }
    const user: CredentialReportUser = { userName: name, keys };
    if (this.keep(user)) this.keepUser(user);
  }

  /** Records an unreadable row of a known user, and keeps that user with no key slots. */
  private unreadableUser(line: number, userName: UserName, problem: string): void {
    this.unreadable.push({ line, userName, problem });
    this.keepUser({ userName, keys: [] });
  }

  private keepUser(user: CredentialReportUser): void {
    if (this.kept.has(user.userName)) return;
    this.kept.add(user.userName);
    this.users.push(user);
  }

  /**
   * A row with more cells than the header, read as one whose user name (and so its ARN) holds
   * commas: the one split of the extra cells between name and ARN where the ARN ends with
   * `/<name>`. Undefined when no split, or more than one, fits.
   */
  private joinNameCells(record: ReadonlyArray<string>): ReadonlyArray<string> | undefined {
    const arn = this.arnColumn;
    const extra = record.length - this.width;
    if (arn === undefined || extra <= 0) return undefined;
    const user = arn - 1;
    const fits: string[][] = [];
    for (let inName = 0; inName <= extra; inName += 1) {
      const name = record.slice(user, user + inName + 1).join(",");
      const arnText = record.slice(user + inName + 1, arn + extra + 1).join(",");
      if (UserName.is(name) && arnText.startsWith("arn:") && arnText.endsWith(`/${name}`)) {
        fits.push([...record.slice(0, user), name, arnText, ...record.slice(arn + extra + 1)]);
      }
    }
    return fits.length === 1 ? fits[0] : undefined;
  }
}

/**
 * Whether a row's last cell is whole. AWS's report ends with a date column (`N/A` or a
 * timestamp), so a report cut inside its last field still has every column but an unfinished
 * date; other columns are not checked here.
 */
const completeCell = (column: string, value: string): boolean =>
  !/(_last_rotated|_last_used_date|_last_changed|_creation_time)$/.test(column) ||
  value === "N/A" ||
  value === "no_information" ||
  value === "not_supported" ||
  timestampDate(value) !== undefined;

const parseSlot = (
  active: string,
  lastRotated: string,
  lastUsed: string,
): E.Either<string, CredentialReportKey | undefined> => {
  if (active !== "true" && active !== "false") {
    return E.left(`active is ${JSON.stringify(active)}, not true or false`);
  }
  if (lastRotated === "N/A") {
    return active === "true" ? E.left("is active but has no creation time") : E.right(undefined);
  }
  const created = timestampDate(lastRotated);
  if (created === undefined)
    return E.left(`last_rotated ${JSON.stringify(lastRotated)} is not a timestamp`);
  let lastUse: LastUse;
  if (lastUsed === "N/A") lastUse = LastUse.never;
  else if (lastUsed === "no_information") lastUse = LastUse.unknown;
  else {
    const used = timestampDate(lastUsed);
    if (used === undefined)
      return E.left(`last_used_date ${JSON.stringify(lastUsed)} is not a timestamp`);
    lastUse = LastUse.usedOn(used);
  }
  return E.right({ active: active === "true", created, lastUse, createdAt: lastRotated });
};

const timestampDate = (s: string): CalendarDate | undefined => {
  if (s.length < 19) return undefined;
  const parsed = calendarDateOfTimestamp(s);
  return E.isRight(parsed) ? parsed.right : undefined;
};

/** How the report's CSV is read, streamed or not: each record goes to `rows` as it is read. */
const csvReader = (rows: CredentialReportRows): CsvRecords =>
  new CsvRecords((record) => rows.add(record));

const csvProblem = (e: CsvSyntaxError): AwsError =>
  malformedReport(`is not valid CSV (${e.code}): ${e.message}`);

/**
 * Parses a credential report's CSV as it arrives into `rows`. Rejects only with what `content`
 * itself throws (a broken connection, a malformed envelope): anything wrong with the CSV is in
 * `rows.finish()`.
 */
export const parseCsvStream = async (
  content: AsyncIterable<Uint8Array>,
  rows: CredentialReportRows,
): Promise<void> => {
  const reader = csvReader(rows);
  const decoder = new TextDecoder();
  try {
    for await (const chunk of content) reader.write(decoder.decode(chunk, { stream: true }));
    reader.write(decoder.decode());
    reader.end();
  } catch (e) {
    if (e instanceof CsvSyntaxError) {
      rows.fail(csvProblem(e));
      return;
    }
    throw e;
  }
};

/**
 * Parses the CSV of an IAM credential report into the core's report users, skipping the
 * `<root_account>` row. A slot whose `last_rotated` is `N/A` holds no key; a `last_used_date` of
 * `N/A` means never used and `no_information` means unknown.
 *
 * The same row reader as the streamed report ({@link CredentialReportRows}), over the same CSV
 * reader, so a report is judged the same whichever way it was read.
 */
export const parseCredentialReport = (
  csv: string,
): E.Either<AwsError, ReadonlyArray<CredentialReportUser>> =>
  E.map((r: ReportRows) => r.users)(parseCredentialReportRows(csv));

/**
 * Like {@link parseCredentialReport}, with the rows that could not be read and the count of
 * users seen: what a caller needs to report those rows as findings.
 */
export const parseCredentialReportRows = (csv: string): E.Either<AwsError, ReportRows> => {
  const rows = new CredentialReportRows();
  const reader = csvReader(rows);
  try {
    reader.write(csv);
    reader.end();
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    rows.fail(csvProblem(e));
  }
  return rows.finish();
};
