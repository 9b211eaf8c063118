import type { ComplianceReport } from "./assess.js";
import { controls } from "./controls.js";

/**
 * Quotes a CSV cell when needed, and defuses spreadsheet formulas: a cell from the account (a
 * tag, a user name) that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading apostrophe.
 */
export const csvCell = (value: string | number | boolean | undefined): string => {
  let s = value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

const columnOf = (id: string): string => id.toLowerCase().replaceAll(/[^a-z0-9]+/g, "_");

/** The CSV header of {@link complianceCsvRows}. */
export const complianceCsvHeader: ReadonlyArray<string> = [
  "user",
  "handled",
  "user_result",
  ...controls.map((c) => columnOf(c.id)),
  "key_id",
  "key_status",
  "key_created",
  "key_age_days",
  "key_last_used",
  "key_days_unused",
  "key_next_action",
  "key_next_action_date",
  "findings",
];

/** The rows of {@link renderComplianceCsv} after its header, as cells not yet quoted. */
export const complianceCsvRows = (report: ComplianceReport): string[][] => {
  const rows: string[][] = [];
  for (const u of report.users) {
    const userCells = [
      u.userName,
      String(u.handled),
      u.result,
      ...controls.map((c) => u.controls[c.id].result),
    ];
    const findings = [
      ...u.findings.map((f) => `${f.code}: ${f.message}`),
      ...u.notes.map((n) => `${n.control}: ${n.message}`),
    ].join(" | ");
    const keys = u.keys.length === 0 ? [undefined] : u.keys;
    for (const k of keys) {
      rows.push([
        ...userCells,
        k?.id ?? "",
        k?.status ?? "",
        k?.created ?? "",
        k === undefined ? "" : String(k.ageDays),
        k?.lastUsed ?? "",
        k?.daysUnused === undefined ? "" : String(k.daysUnused),
        k?.next?.action ?? "",
        k?.next?.date ?? "",
        findings,
      ]);
    }
  }
  return rows;
};

/** CSV text of rows of cells: quoted as needed, CRLF line ends. */
export const csvText = (rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  rows.map((r) => `${r.map(csvCell).join(",")}\r\n`).join("");

/**
 * The compliance report as CSV: one row per access key (one row with empty key columns for a
 * user without keys), the user's control results repeated on each of its rows.
 */
export const renderComplianceCsv = (report: ComplianceReport): string =>
  csvText([complianceCsvHeader, ...complianceCsvRows(report)]);
