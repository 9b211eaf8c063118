import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import type { CalendarDate, Settings } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { type AccountView, readAccount, unreadableRowWarning } from "./account.js";
import { stringOption } from "./args.js";
import { accountOptionsHelp, awsOptionSpecs, buildClients, destroyClients } from "./awsAccess.js";
import { awsCommandContext, type Command, ExitCode, usageFailure } from "./command.js";
import { assessAccount, type ComplianceReport } from "./compliance/assess.js";
import { renderComplianceCsv } from "./compliance/csv.js";
import { renderComplianceHtml } from "./compliance/html.js";
import type { CliIo } from "./io.js";
import { orgOptionSpecs, wantsOrg } from "./orgOptions.js";
import { reportOrgCommand } from "./orgReportCommand.js";
import { createProgress } from "./progress.js";
import { staleReportWarning } from "./reportAge.js";
import { settingsOptionSpecs } from "./settingsInput.js";

/** The formats of a compliance report. */
export type ReportFormat = "json" | "csv" | "html";

const formats: ReadonlyArray<ReportFormat> = ["json", "csv", "html"];

/** Renders a report in `format`: JSON, or with the report's own CSV and HTML renderers. */
export const renderIn = <R>(
  report: R,
  format: ReportFormat,
  csv: (r: R) => string,
  html: (r: R) => string,
): string =>
  format === "json"
    ? `${JSON.stringify(report, null, 2)}\n`
    : format === "csv"
      ? csv(report)
      : html(report);

/** Renders a compliance report in one of its formats. */
export const renderCompliance = (report: ComplianceReport, format: ReportFormat): string =>
  renderIn(report, format, renderComplianceCsv, renderComplianceHtml);

const formatOfPath = (path: string): ReportFormat | undefined => {
  const ext = extname(path).toLowerCase();
  return ext === ".json"
    ? "json"
    : ext === ".csv"
      ? "csv"
      : ext === ".html" || ext === ".htm"
        ? "html"
        : undefined;
};

const options = {
  ...settingsOptionSpecs,
  ...awsOptionSpecs,
  ...orgOptionSpecs,
  format: { type: "string" },
  out: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Why the report cannot be written to `path` (`given` as the user wrote it), found before the
 * account is read: the path is a folder, or one of its parent folders is a file. Undefined when
 * the file can be created or replaced (missing folders are created).
 */
export const outFileProblem = async (given: string, path: string): Promise<string | undefined> => {
  const kind = async (p: string): Promise<"file" | "folder" | undefined> => {
    try {
      return (await stat(p)).isDirectory() ? "folder" : "file";
    } catch {
      return undefined;
    }
  };
  if ((await kind(path)) === "folder") {
    return `--out ${JSON.stringify(given)}: is a folder; expected a file name`;
  }
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    const found = await kind(dir);
    if (found === "folder") return undefined;
    if (found === "file") {
      return `--out ${JSON.stringify(given)}: ${dir} is a file, not a folder`;
    }
  }
  return undefined;
};

/**
 * The compliance report of an account read with `readAccount`, and the warnings a reader should
 * see on stderr (a stale credential report, rows that could not be read).
 */
export const complianceOf = (
  view: AccountView,
  settings: Settings,
  today: CalendarDate,
  now: Date,
): { report: ComplianceReport; warnings: string[] } => {
  const stale = staleReportWarning(view.reportGeneratedAt, now);
  const warnings = [
    ...(stale === undefined ? [] : [stale]),
    ...view.unreadableReportRows.map(unreadableRowWarning),
  ];
  const report = assessAccount({
    settings,
    today,
    users: view.users,
    generatedAt: now.toISOString(),
    credentialReportGeneratedAt: view.reportGeneratedAt,
    skippedUsers: view.skipped.map((s) => ({
      userName: s.userName,
      reason: `${s.reason}: ${s.error.message}`,
    })),
  });
  return { report, warnings };
};

/** Writes a report to stdout, or to the file `out` with a line saying so (`what`: `summary`). */
export const writeReport = async (
  io: CliIo,
  out: string | undefined,
  text: string,
  what: string,
  summary: string,
): Promise<void> => {
  if (out === undefined) {
    io.stdout.write(text);
    return;
  }
  const path = resolve(io.cwd, out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, "utf8");
  io.stdout.write(`Wrote ${what} to ${path}: ${summary}.\n`);
};

/** `keyrotate report`: a compliance report of every user and key. */
export const reportCommand: Command = {
  name: "report",
  summary:
    "write a compliance report (CIS 1.12–1.14, Security Hub IAM.3/IAM.8) as json, csv or html",
  options,
  help: `Usage: keyrotate report [--format json|csv|html] [--out FILE] [options]

Reads every user and access key and writes a compliance report: each key's age and last
use, keyrotate's findings (no email, exempt, broken tags, two Active keys, …), per user the
result of each control, and a key-age histogram:

  CIS-1.12  Ensure credentials unused for 45 days or greater are disabled
  CIS-1.13  Ensure there is only one active access key available for any single IAM user
  CIS-1.14  Ensure access keys are rotated every 90 days or less
  IAM.3     IAM users' access keys should be rotated every 90 days or less (Security Hub)
  IAM.8     Unused IAM user credentials should be removed (Security Hub, 90 days)

The HTML report is one self-contained file (inline CSS and SVG, no scripts or external links).
Changes nothing. SES_EMAIL, SES_REGION and S3_CSV_BUCKET are not needed for a report.

Options:
  --format FORMAT        json, csv or html (default: from the --out extension, else html)
  -o, --out FILE         where to write (default: stdout)
${accountOptionsHelp("region for IAM (default: AWS_REGION, else us-east-1)")}
  --org                  every covered account of the AWS Organization, in one report
  --accounts ID,ID       only these accounts of the organization (implies --org)
  -h, --help             this help

Organizations: with --org (or --accounts) the credentials are the management account's (or a
delegated administrator's); keyrotate assumes ORG_ROLE_NAME in each covered account (ORG_*
settings as for "keyrotate run --org") and reads ORG_CONCURRENCY accounts at a time, printing a
line per account on stderr. The report has a section per account, the accounts that could not
be read with the reason, and totals; the CSV adds account_id, account_name and account_status.

Examples:
  keyrotate report --out compliance.html
  keyrotate report --format csv --out keys.csv
  keyrotate report --format json | jq '.summary'
  ORG_ROLE_NAME=KeyrotateMember keyrotate report --org --out org-compliance.html

Exit codes: 0 written (whatever the compliance), 1 the account could not be read (with --org:
the organization could not be listed, or an account could not be read: the report is still
written), 2 invalid settings or arguments.
`,
  run: async (parsed, io) => {
    const problems: string[] = [];
    const out = stringOption(parsed, "out");
    const given = stringOption(parsed, "format");
    let format: ReportFormat = (out === undefined ? undefined : formatOfPath(out)) ?? "html";
    if (given !== undefined) {
      if ((formats as ReadonlyArray<string>).includes(given)) format = given as ReportFormat;
      else problems.push(`--format ${JSON.stringify(given)}: expected json, csv or html`);
    }
    if (out !== undefined) {
      const problem = await outFileProblem(out, resolve(io.cwd, out));
      if (problem !== undefined) problems.push(problem);
    }
    if (wantsOrg(parsed)) return reportOrgCommand(parsed, io, { format, out }, problems);
    const ctx = await awsCommandContext(parsed, io, "policy", problems);
    if (E.isLeft(ctx)) return usageFailure(io, "report", ctx.left);
    const { settings, access, config, today } = ctx.right;
    const progress = createProgress(io.stderr, io.stderr.isTTY || "lines", () =>
      io.now().getTime(),
    );
    const clients = buildClients(access, settings, io.env, [progress.middleware], config);
    try {
      progress.update("reading the account");
      const account = await readAccount({
        clients,
        settings,
        today,
        log: progress.log,
        ...(io.polling === undefined ? {} : { polling: io.polling }),
      });
      progress.clear();
      if (E.isLeft(account)) {
        io.stderr.write(
          `keyrotate report: the account could not be read: ${account.left.message}\n`,
        );
        return ExitCode.failed;
      }
      const { report, warnings } = complianceOf(account.right, settings, today, io.now());
      io.stderr.write(warnings.join(""));
      const u = report.summary.userResults;
      await writeReport(
        io,
        out,
        renderCompliance(report, format),
        `the ${format} compliance report`,
        `${report.summary.users} users, ${u.pass} pass, ${u.fail} fail, ${u.unknown} unknown`,
      );
      return ExitCode.ok;
    } finally {
      progress.clear();
      destroyClients(clients);
    }
  },
};
