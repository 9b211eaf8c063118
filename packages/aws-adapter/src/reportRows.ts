import { pipeline } from "node:stream/promises";
import {
  type CalendarDate,
  calendarDateOfTimestamp,
  LastUse,
  type ReportKey,
  type ReportUser,
  UserName,
} from "@keyrotate/core";
import { CsvError, type Options as CsvOptions, parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import * as E from "fp-ts/lib/Either.js";
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

/** The users of a credential report, as read row by row. */
export interface ReportRows {
  /** The users kept (every user unless a filter was given), in report order. */
  readonly users: ReadonlyArray<CredentialReportUser>;
  /** Users in the report, the root account excluded, kept or not. */
  readonly usersSeen: number;
}

const ROOT_ROW = "<root_account>";
const operation = "iam:GetCredentialReport";

/** A `MalformedReport` error of `iam:GetCredentialReport`: "the credential report {message}". */
export const malformedReport = (message: string): AwsError =>
  new AwsError("MalformedReport", operation, `the credential report ${message}`);

/**
 * Reads the records of a credential report's CSV one at a time, header first, keeping only the
 * {@link REQUIRED_COLUMNS} of each and building its user at once, so that nothing but the users
 * kept outlives its row. The first problem found stops it: {@link add} returns false and
 * {@link finish} returns that problem.
 *
 * Anything unexpected (a missing column, a value that is not a date, a user listed twice, or
 * what a report cut short looks like: a last row shorter than the header, an unterminated quote,
 * a timestamp cut in the middle) makes the whole report invalid: a run must not act on a report
 * it cannot read completely. A missing `<root_account>` row is not a sign of truncation: AWS
 * writes it first, and other implementations of the IAM API (moto) leave it out.
 */
export class CredentialReportRows {
  private columns: Readonly<Record<Column, number>> | undefined;
  private records = 0;
  private lastColumn = "";
  private usersSeen = 0;
  private problem: AwsError | undefined;
  private readonly seen = new Set<string>();
  private readonly users: CredentialReportUser[] = [];

  /** `keep` decides which users are kept (default: all); every user is validated either way. */
  constructor(private readonly keep: (user: CredentialReportUser) => boolean = () => true) {}

  /** Takes the next record; false once the report is known to be invalid (stop feeding it). */
  add(record: ReadonlyArray<string>): boolean {
    if (this.problem !== undefined) return false;
    this.records += 1;
    const problem = this.columns === undefined ? this.header(record) : this.row(record);
    if (problem === undefined) return true;
    this.problem = malformedReport(problem);
    return false;
  }

  /** Records a problem found outside the rows (invalid CSV, a broken stream). */
  fail(error: AwsError): void {
    this.problem ??= error;
  }

  /** The users, once every record was given; or the first problem found. */
  finish(): E.Either<AwsError, ReportRows> {
    if (this.problem !== undefined) return E.left(this.problem);
    if (this.columns === undefined) return E.left(malformedReport("is empty"));
    return E.right({ users: this.users, usersSeen: this.usersSeen });
  }

  private header(record: ReadonlyArray<string>): string | undefined {
    const index = new Map(record.map((name, i) => [name.trim(), i]));
    const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c));
    if (missing.length > 0) return `lacks the columns ${missing.join(", ")}`;
    this.lastColumn = record[record.length - 1]?.trim() ?? "";
    this.columns = Object.fromEntries(
      REQUIRED_COLUMNS.map((c) => [c, index.get(c) ?? -1]),
    ) as Record<Column, number>;
    return undefined;
  }

  private row(record: ReadonlyArray<string>): string | undefined {
    const columns = this.columns as Readonly<Record<Column, number>>;
    const cell = (name: Column): string => record[columns[name]] ?? "";
    const line = this.records;
    const last = record[record.length - 1] ?? "";
    if (!completeCell(this.lastColumn, last)) {
      return `line ${line}: ${this.lastColumn} ${JSON.stringify(last)} is cut short: the report looks truncated`;
    }
    const name = cell("user");
    if (name === ROOT_ROW) return undefined;
    if (!UserName.is(name)) return `line ${line}: ${JSON.stringify(name)} is not a user name`;
    if (this.seen.has(name)) return `line ${line}: user ${name} appears twice`;
    this.seen.add(name);
    this.usersSeen += 1;
    const keys: CredentialReportKey[] = [];
    for (const n of [1, 2] as const) {
      const slot = parseSlot(
        cell(`access_key_${n}_active`),
        cell(`access_key_${n}_last_rotated`),
        cell(`access_key_${n}_last_used_date`),
      );
      if (E.isLeft(slot)) return `line ${line}, access key ${n}: ${slot.left}`;
      if (slot.right !== undefined) keys.push(slot.right);
    }
    const user: CredentialReportUser = { userName: name, keys };
    if (this.keep(user)) this.users.push(user);
    return undefined;
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

/** How the report's CSV is read, streamed or not: a BOM allowed, every row as long as the header. */
const csvOptions = (rows: CredentialReportRows): CsvOptions => ({
  bom: true,
  skip_empty_lines: true,
  relax_column_count: false,
  // Each record goes to `rows` as soon as it is parsed, and is dropped (null) right after.
  on_record: (record: string[]) => {
    if (!rows.add(record)) throw STOP;
    return null;
  },
});

/** Thrown out of csv-parse's record hook once `rows` holds a problem, to stop parsing. */
const STOP = new Error("the credential report is invalid; parsing stopped");

const csvProblem = (e: unknown): AwsError => {
  const where = e instanceof CsvError ? ` (${e.code})` : "";
  return malformedReport(`is not valid CSV${where}: ${e instanceof Error ? e.message : String(e)}`);
};

/**
 * Parses a credential report's CSV as it arrives, with csv-parse's streaming parser, into
 * `rows`. Rejects only with what `content` itself throws (a broken connection, a malformed
 * envelope): anything wrong with the CSV is in `rows.finish()`.
 */
export const parseCsvStream = async (
  content: AsyncIterable<Uint8Array>,
  rows: CredentialReportRows,
): Promise<void> => {
  const parser = parse(csvOptions(rows));
  try {
    await pipeline(content, parser, async (records: AsyncIterable<unknown>) => {
      // Every record is consumed by the hook: nothing comes out; this only ends the pipeline.
      for await (const _ of records);
    });
  } catch (e) {
    if (e === STOP) return;
    if (e instanceof CsvError) {
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
 * The same row reader as the streamed report ({@link CredentialReportRows}), over the same
 * csv-parse options, so a report is judged the same whichever way it was read.
 */
export const parseCredentialReport = (
  csv: string,
): E.Either<AwsError, ReadonlyArray<CredentialReportUser>> => {
  const rows = new CredentialReportRows();
  try {
    parseSync(csv, csvOptions(rows));
  } catch (e) {
    if (e !== STOP) rows.fail(csvProblem(e));
  }
  return E.map((r: ReportRows) => r.users)(rows.finish());
};
