import type { KeyAsRead } from "./consistency.js";
import type { IamStore, IamUser } from "./store.js";

/** The 22 columns of IAM's credential report, in AWS's order. */
export const CREDENTIAL_REPORT_COLUMNS = [
  "user",
  "arn",
  "user_creation_time",
  "password_enabled",
  "password_last_used",
  "password_last_changed",
  "password_next_rotation",
  "mfa_active",
  "access_key_1_active",
  "access_key_1_last_rotated",
  "access_key_1_last_used_date",
  "access_key_1_last_used_region",
  "access_key_1_last_used_service",
  "access_key_2_active",
  "access_key_2_last_rotated",
  "access_key_2_last_used_date",
  "access_key_2_last_used_region",
  "access_key_2_last_used_service",
  "cert_1_active",
  "cert_1_last_rotated",
  "cert_2_active",
  "cert_2_last_rotated",
] as const;

/** How long a report stays fresh: younger reports are reused, older ones are expired. */
export const REPORT_TTL_MS = 4 * 60 * 60 * 1000;

/**
 * A generated credential report: a snapshot taken at `generatedMs` (sandbox time) that becomes
 * readable at `readyAtRealMs` (real time), to emulate IAM's asynchronous generation.
 */
export interface CredentialReport {
  generatedMs: number;
  readyAtRealMs: number;
  content: Buffer;
}

/** The state GetCredentialReport and GenerateCredentialReport act on. */
export type ReportState = "absent" | "in-progress" | "fresh" | "expired";

/**
 * Classifies the latest report at sandbox time `nowMs` and real time `realNowMs`.
 * IAM reuses reports younger than four hours and calls older ones expired.
 */
export function reportState(
  report: CredentialReport | undefined,
  nowMs: number,
  realNowMs: number,
): ReportState {
  if (!report) return "absent";
  if (realNowMs < report.readyAtRealMs) return "in-progress";
  return nowMs - report.generatedMs >= REPORT_TTL_MS ? "expired" : "fresh";
}

const DAY_MS = 86_400_000;
const dayStrings = new Map<number, string>();

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * The credential report's timestamp format: `2026-11-23T10:00:00+00:00`.
 * Formats by hand with a per-day cache: `toISOString` for 300,000 dates dominated report generation.
 */
export function reportTime(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let date = dayStrings.get(day);
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dayStrings.set(day, date);
  }
  const seconds = Math.floor((ms - day * DAY_MS) / 1000);
  return `${date}T${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}+00:00`;
}

function keyColumns(key: KeyAsRead | undefined): string {
  if (!key) return "false,N/A,N/A,N/A,N/A";
  const used = key.lastUsed;
  return [
    key.status === "Active" ? "true" : "false",
    reportTime(key.createDate),
    used ? reportTime(used.date) : "N/A",
    used ? used.region : "N/A",
    used ? used.service : "N/A",
  ].join(",");
}

/**
 * Renders the CSV for the account: a `<root_account>` row, then one row per user, with the keys
 * `keysOf` gives (by default the live ones; the consistency view hides recent writes, and
 * `undefined` leaves a user out).
 * Users have no console password or certificates in the sandbox, so those columns say what AWS
 * writes for that case (`false`, `N/A`).
 */
export function renderCredentialReport(
  store: IamStore,
  keysOf: (user: IamUser) => readonly KeyAsRead[] | undefined = (user) => user.keys,
): Buffer {
  const rows: string[] = [CREDENTIAL_REPORT_COLUMNS.join(",")];
  rows.push(
    [
      "<root_account>",
      `arn:aws:iam::${store.accountId}:root`,
      reportTime(store.accountCreateDate),
      "not_supported",
      "no_information",
      "not_supported",
      "not_supported",
      "false",
      keyColumns(undefined),
      keyColumns(undefined),
      "false,N/A,false,N/A",
    ].join(","),
  );
  for (const user of store.users.values()) {
    const keys = keysOf(user);
    if (keys === undefined) continue;
    rows.push(
      [
        user.name,
        user.arn,
        reportTime(user.createDate),
        "false,N/A,N/A,N/A,false",
        keyColumns(keys[0]),
        keyColumns(keys[1]),
        "false,N/A,false,N/A",
      ].join(","),
    );
  }
  return Buffer.from(rows.join("\n"), "utf8");
}
