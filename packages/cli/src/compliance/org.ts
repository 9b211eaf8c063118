import {
  type AccountCounts,
  type AccountStatus,
  type AwsErrorJson,
  accountCounts,
  escapeHtml as h,
  type SkippedAccount,
} from "@keyrotate/aws-adapter";
import type { AgeBin, ComplianceReport, ControlResult, Tally } from "./assess.js";
import { controls } from "./controls.js";
import { complianceCsvHeader, complianceCsvRows, csvText } from "./csv.js";
import { renderHistogramSvg } from "./histogramSvg.js";
import { controlsSection, css, settingsSection, userCards, usersTable } from "./html.js";

/** The version of the {@link OrgComplianceReport} layout. */
export const ORG_COMPLIANCE_REPORT_SCHEMA_VERSION = 1 as const;

/**
 * One account's part of the organisation's compliance report: its own compliance report when it
 * could be read, else why not (`unreachable`: the role could not be assumed; `failed`: the
 * account could not be read; `deferred`: never started).
 */
export interface AccountCompliance {
  readonly accountId: string;
  readonly accountName: string;
  readonly status: AccountStatus;
  readonly error?: AwsErrorJson;
  readonly report?: ComplianceReport;
}

/** The compliance report of every covered account of an organisation, with totals. */
export interface OrgComplianceReport {
  readonly schemaVersion: typeof ORG_COMPLIANCE_REPORT_SCHEMA_VERSION;
  readonly kind: "organization-compliance";
  readonly date: string;
  readonly generatedAt: string;
  /**
   * `completed`: every selected account was read; `partial`: some were not (see their
   * sections); `failed`: the organisation could not be listed (see error) or no account was read.
   */
  readonly status: "completed" | "partial" | "failed";
  readonly error?: AwsErrorJson;
  readonly summary: {
    readonly accounts: AccountCounts;
    /** Over the accounts read. */
    readonly users: number;
    readonly keys: number;
    readonly activeKeys: number;
    readonly userResults: Tally;
    readonly byControl: ComplianceReport["summary"]["byControl"];
  };
  /** The key-age histogram of every account read. */
  readonly histogram: ReadonlyArray<AgeBin>;
  readonly accounts: ReadonlyArray<AccountCompliance>;
  readonly skippedAccounts: ReadonlyArray<SkippedAccount>;
}

const add = (a: Tally, b: Tally): Tally => ({
  pass: a.pass + b.pass,
  fail: a.fail + b.fail,
  unknown: a.unknown + b.unknown,
});

const zero: Tally = { pass: 0, fail: 0, unknown: 0 };

/**
 * Merges the accounts' compliance reports into the organisation's: totals over the accounts
 * read, and the accounts that were not read, each with its reason. Pure.
 */
export const assessOrganization = (input: {
  readonly date: string;
  readonly generatedAt: string;
  readonly discovered: number;
  readonly accounts: ReadonlyArray<AccountCompliance>;
  readonly skippedAccounts: ReadonlyArray<SkippedAccount>;
  readonly error?: AwsErrorJson;
}): OrgComplianceReport => {
  const read = input.accounts.flatMap((a) => (a.report === undefined ? [] : [a.report]));
  const byControl = Object.fromEntries(
    controls.map((c) => [c.id, read.map((r) => r.summary.byControl[c.id]).reduce(add, zero)]),
  ) as ComplianceReport["summary"]["byControl"];
  const histogram = (read[0]?.histogram ?? []).map((bin, i) => ({
    ...bin,
    active: read.reduce((n, r) => n + (r.histogram[i]?.active ?? 0), 0),
    inactive: read.reduce((n, r) => n + (r.histogram[i]?.inactive ?? 0), 0),
  }));
  const completed = input.accounts.filter((a) => a.status === "completed").length;
  return {
    schemaVersion: ORG_COMPLIANCE_REPORT_SCHEMA_VERSION,
    kind: "organization-compliance",
    date: input.date,
    generatedAt: input.generatedAt,
    status:
      input.error !== undefined || (completed === 0 && input.accounts.length > 0)
        ? "failed"
        : completed === input.accounts.length
          ? "completed"
          : "partial",
    ...(input.error === undefined ? {} : { error: input.error }),
    summary: {
      accounts: accountCounts(input.discovered, input.accounts, input.skippedAccounts),
      users: read.reduce((n, r) => n + r.summary.users, 0),
      keys: read.reduce((n, r) => n + r.summary.keys, 0),
      activeKeys: read.reduce((n, r) => n + r.summary.activeKeys, 0),
      userResults: read.map((r) => r.summary.userResults).reduce(add, zero),
      byControl,
    },
    histogram,
    accounts: input.accounts,
    skippedAccounts: input.skippedAccounts,
  };
};

/** Why an account was not read, in one line. */
const notRead = (a: AccountCompliance): string => a.error?.message ?? a.status;

/**
 * The organisation's compliance report as CSV: the single-account columns after `account_id`,
 * `account_name` and `account_status`; an account that was not read gets one row with its
 * reason under `findings`.
 */
export const renderOrgComplianceCsv = (report: OrgComplianceReport): string => {
  const header = ["account_id", "account_name", "account_status", ...complianceCsvHeader];
  const rows: string[][] = [header];
  const blank = complianceCsvHeader.map(() => "");
  for (const a of report.accounts) {
    const account = [a.accountId, a.accountName, a.status];
    if (a.report === undefined) rows.push([...account, ...blank.slice(1), notRead(a)]);
    else for (const row of complianceCsvRows(a.report)) rows.push([...account, ...row]);
  }
  for (const s of report.skippedAccounts)
    rows.push([
      s.accountId,
      s.accountName ?? "",
      `skipped: ${s.reason}`,
      ...blank.slice(1),
      s.message,
    ]);
  return csvText(rows);
};

const resultCell = (r: ControlResult | AccountStatus, text: string | number): string =>
  `<td class="${r === "completed" ? "pass" : r === "failed" || r === "unreachable" ? "fail" : r}">${h(String(text))}</td>`;

/**
 * The organisation's compliance report as one self-contained HTML page, like the account's:
 * totals, the accounts table, controls and key ages over every account read, then a section per
 * account with its users. Every value from AWS is escaped.
 */
export const renderOrgComplianceHtml = (report: OrgComplianceReport): string => {
  const s = report.summary;
  const a = s.accounts;
  const accountRows = report.accounts
    .map((x) => {
      const r = x.report?.summary;
      return `<tr><td><a href="#account-${h(x.accountId)}"><code>${h(x.accountId)}</code></a></td><td>${h(x.accountName)}</td>${resultCell(x.status, x.status)}<td class="num">${r?.users ?? ""}</td><td class="num pass">${r?.userResults.pass ?? ""}</td><td class="num fail">${r?.userResults.fail ?? ""}</td><td class="num unknown">${r?.userResults.unknown ?? ""}</td><td>${x.report === undefined ? h(notRead(x)) : ""}</td></tr>`;
    })
    .join("");
  const skipped =
    report.skippedAccounts.length === 0
      ? ""
      : `<h2>Accounts skipped</h2><ul>${report.skippedAccounts
          .map(
            (x) =>
              `<li><code>${h(x.accountId)}</code>${x.accountName === undefined ? "" : ` ${h(x.accountName)}`}: ${h(x.reason)}: ${h(x.message)}</li>`,
          )
          .join("")}</ul>`;
  const sections = report.accounts
    .filter((x) => x.report !== undefined)
    .map((x) => {
      const r = x.report as ComplianceReport;
      const notReadUsers =
        r.skippedUsers.length === 0
          ? ""
          : `<p>Users not read: ${r.skippedUsers.map((u) => `${h(u.userName)} (${h(u.reason)})`).join(", ")}</p>`;
      return `<h2 id="account-${h(x.accountId)}">Account <code>${h(x.accountId)}</code> ${h(x.accountName)}</h2>
<p class="meta">${r.summary.users} users · ${r.summary.keys} access keys · ${r.summary.userResults.pass} pass, ${r.summary.userResults.fail} fail, ${r.summary.userResults.unknown} unknown${r.credentialReportGeneratedAt === undefined ? "" : ` · credential report of ${h(r.credentialReportGeneratedAt)}`}</p>
${usersTable(r.users)}
${notReadUsers}`;
    })
    .join("\n");
  const settings = report.accounts.find((x) => x.report !== undefined)?.report?.settings;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keyrotate organization compliance report ${h(report.date)}</title>
<style>${css}</style></head>
<body>
<h1>Access key compliance report: organization</h1>
<p class="meta">As of ${h(report.date)} · generated ${h(report.generatedAt)} · ${h(report.status)}</p>
${report.error === undefined ? "" : `<p class="fail">The organization could not be listed: ${h(report.error.message)}</p>`}
<div class="cards">
<div class="card"><b>${a.completed}</b>accounts read (of ${a.selected})</div>
<div class="card fail"><b>${a.failed + a.unreachable}</b>accounts not read</div>
<div class="card"><b>${a.skipped}</b>accounts skipped</div>
${userCards(s)}
</div>
<h2>Accounts</h2>
<table><thead><tr><th>Account</th><th>Name</th><th>Status</th><th>Users</th><th>Pass</th><th>Fail</th><th>Unknown</th><th>Why not read</th></tr></thead>
<tbody>${accountRows}</tbody></table>
${skipped}
${controlsSection(s.byControl)}
<h2>Key age</h2>
${renderHistogramSvg(report.histogram)}
${sections}
${settings === undefined ? "" : settingsSection(settings)}
<p><small>Generated by keyrotate.</small></p>
</body></html>
`;
};
