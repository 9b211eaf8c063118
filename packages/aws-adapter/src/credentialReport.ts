import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import {
  type CalendarDate,
  calendarDateOfTimestamp,
  LastUse,
  type ReportKey,
  type ReportUser,
  UserName,
} from "@keyrotate/core";
import { CsvError, parse } from "csv-parse/sync";
import * as E from "fp-ts/lib/Either.js";
import { AwsError, mapAwsError } from "./errors.js";

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

const ROOT_ROW = "<root_account>";
const operation = "iam:GetCredentialReport";

const malformed = (message: string): E.Either<AwsError, never> =>
  E.left(new AwsError("MalformedReport", operation, `the credential report ${message}`));

/**
 * Parses the CSV of an IAM credential report into the core's report users, skipping the
 * `<root_account>` row. A slot whose `last_rotated` is `N/A` holds no key; a `last_used_date` of
 * `N/A` means never used and `no_information` means unknown.
 *
 * Anything unexpected (a missing column, a short row, a value that is not a date) makes the
 * whole report invalid: a run must not act on a report it cannot read completely.
 */
export const parseCredentialReport = (
  csv: string,
): E.Either<AwsError, ReadonlyArray<CredentialReportUser>> => {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, relax_column_count: false });
  } catch (e) {
    const where = e instanceof CsvError ? ` (${e.code})` : "";
    return malformed(`is not valid CSV${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const [header, ...rows] = records;
  if (header === undefined) return malformed("is empty");
  const column = new Map(header.map((name, i) => [name.trim(), i]));
  const missing = REQUIRED_COLUMNS.filter((c) => !column.has(c));
  if (missing.length > 0) return malformed(`lacks the columns ${missing.join(", ")}`);
  const cell = (row: ReadonlyArray<string>, name: (typeof REQUIRED_COLUMNS)[number]): string =>
    row[column.get(name) ?? -1] ?? "";
  if (!rows.some((row) => cell(row, "user") === ROOT_ROW)) {
    return malformed(`has no ${ROOT_ROW} row: it looks truncated`);
  }
  const users: CredentialReportUser[] = [];
  const seen = new Set<string>();
  for (const [index, row] of rows.entries()) {
    const line = index + 2;
    const name = cell(row, "user");
    if (name === ROOT_ROW) continue;
    if (!UserName.is(name))
      return malformed(`line ${line}: ${JSON.stringify(name)} is not a user name`);
    if (seen.has(name)) return malformed(`line ${line}: user ${name} appears twice`);
    seen.add(name);
    const keys: CredentialReportKey[] = [];
    for (const n of [1, 2] as const) {
      const slot = parseSlot(
        cell(row, `access_key_${n}_active`),
        cell(row, `access_key_${n}_last_rotated`),
        cell(row, `access_key_${n}_last_used_date`),
      );
      if (E.isLeft(slot)) return malformed(`line ${line}, access key ${n}: ${slot.left}`);
      if (slot.right !== undefined) keys.push(slot.right);
    }
    users.push({ userName: name, keys });
  }
  return E.right(users);
};

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

/** How to wait for the credential report. Every field has a default. */
export interface ReportPolling {
  /** First wait after asking for a report that is not ready (default 2 s). */
  readonly initialDelayMs?: number;
  /** Longest wait between two polls (default 20 s); waits double up to it. */
  readonly maxDelayMs?: number;
  /** Give up after waiting this long in total (default 5 minutes). */
  readonly timeoutMs?: number;
  /** How to wait; injected so that tests do not sleep (default `setTimeout`). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A credential report as fetched: its CSV and when IAM generated it. */
export interface FetchedReport {
  readonly csv: string;
  readonly generatedAt: Date | undefined;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Asks IAM for a fresh credential report and reads it: `GenerateCredentialReport`, then
 * `GetCredentialReport`, polling with exponential backoff while it is `ReportInProgress`,
 * generating again when it is `ReportNotPresent` or `ReportExpired`, and waiting out
 * throttling and a generation `LimitExceeded` (a recent report can still be read).
 *
 * On an account whose report is ready at once this costs two calls; usually one poll more.
 */
export const fetchCredentialReport = async (
  iam: IAMClient,
  polling: ReportPolling = {},
): Promise<E.Either<AwsError, FetchedReport>> => {
  const sleep = polling.sleep ?? defaultSleep;
  const maxDelay = polling.maxDelayMs ?? 20_000;
  const timeout = polling.timeoutMs ?? 300_000;
  let delay = polling.initialDelayMs ?? 2_000;
  let waited = 0;
  let generations = 0;
  const wait = async (): Promise<boolean> => {
    if (waited >= timeout) return false;
    const ms = Math.min(delay, timeout - waited);
    await sleep(ms);
    waited += ms;
    delay = Math.min(delay * 2, maxDelay);
    return true;
  };
  const generate = async (): Promise<E.Either<AwsError, boolean>> => {
    generations += 1;
    try {
      const out = await iam.send(new GenerateCredentialReportCommand({}));
      return E.right(out.State === "COMPLETE");
    } catch (e) {
      const error = mapAwsError("iam:GenerateCredentialReport", e);
      // Generating too often: a report made moments ago may still be there to read.
      if (error.tag === "LimitExceeded" || error.tag === "Throttled") return E.right(false);
      return E.left(error);
    }
  };
  const first = await generate();
  if (E.isLeft(first)) return first;
  if (!first.right) await wait();
  let last: AwsError | undefined;
  for (;;) {
    try {
      const out = await iam.send(new GetCredentialReportCommand({}));
      if (out.ReportFormat !== undefined && out.ReportFormat !== "text/csv") {
        return E.left(
          new AwsError(
            "MalformedReport",
            operation,
            `the credential report has format ${out.ReportFormat}, not text/csv`,
          ),
        );
      }
      if (out.Content === undefined) {
        return E.left(new AwsError("MalformedReport", operation, "the credential report is empty"));
      }
      return E.right({
        csv: Buffer.from(out.Content).toString("utf8"),
        generatedAt: out.GeneratedTime,
      });
    } catch (e) {
      last = mapAwsError(operation, e);
      const code = last.code ?? "";
      const notReady = /ReportInProgress|NotReady/.test(code);
      const gone = /ReportNotPresent|NotPresent|ReportExpired|Expired/.test(code);
      if (gone) {
        if (generations >= 3) break;
        const again = await generate();
        if (E.isLeft(again)) return again;
        if (!again.right && !(await wait())) break;
        continue;
      }
      if (!(notReady || last.tag === "Throttled" || last.tag === "ServiceFailure")) {
        return E.left(last);
      }
      if (!(await wait())) break;
    }
  }
  return E.left(
    new AwsError(
      "ReportUnavailable",
      operation,
      `the credential report was not available after ${Math.round(waited / 1000)} s and ${generations} generation request(s)${last === undefined ? "" : `; last: ${last.message}`}`,
      last?.code,
      last === undefined ? {} : { cause: last },
    ),
  );
};
