import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { asffPlaceOf } from "@keyrotate/aws-adapter";
import type { CalendarDate, Settings } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { type AccountView, readAccount, unreadableRowWarning } from "./account.js";
import { stringOption } from "./args.js";
import {
  type AwsAccess,
  accountOptionsHelp,
  awsOptionSpecs,
  buildClients,
  destroyClients,
} from "./awsAccess.js";
import { awsCommandContext, type Command, ExitCode, usageFailure } from "./command.js";
import { complianceFindings, findingsSummary, renderFindings } from "./compliance/asff.js";
import { assessAccount, type ComplianceReport } from "./compliance/assess.js";
import { renderComplianceCsv } from "./compliance/csv.js";
import { renderComplianceHtml } from "./compliance/html.js";
import type { CliIo } from "./io.js";
import { reach } from "./orgCommand.js";
import { orgOptionSpecs, wantsOrg } from "./orgOptions.js";
import { reportOrgCommand } from "./orgReportCommand.js";
import { createProgress } from "./progress.js";
import { staleReportWarning } from "./reportAge.js";
import { settingsOptionSpecs } from "./settingsInput.js";

/** The formats of a compliance report: the report itself, or its failures as ASFF findings. */
export type ReportFormat = "json" | "csv" | "html" | "asff";

/** The formats that render the report itself. */
export type DocumentFormat = Exclude<ReportFormat, "asff">;

const formats: ReadonlyArray<ReportFormat> = ["json", "csv", "html", "asff"];

/** Renders a report in `format`: JSON, or with the report's own CSV and HTML renderers. */
export const renderIn = <R>(
  report: R,
  format: DocumentFormat,
  csv: (r: R) => string,
  html: (r: R) => string,
): string =>
  format === "json"
    ? `${JSON.stringify(report, null, 2)}\n`
    : format === "csv"
      ? csv(report)
      : html(report);

/** Renders a compliance report in one of its formats. */
export const renderCompliance = (report: ComplianceReport, format: DocumentFormat): string =>
  renderIn(report, format, renderComplianceCsv, renderComplianceHtml);

const formatOfPath = (path: string): ReportFormat | undefined => {
  const ext = extname(path).toLowerCase();
  return path.toLowerCase().endsWith(".asff.json")
    ? "asff"
    : ext === ".json"
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

/** The account and region the credentials' findings belong to (`sts:GetCallerIdentity`). */
const callerPlace = async (access: AwsAccess, settings: Settings, io: CliIo) => {
  const { orgClients } = reach(access, settings, io.env, []);
  try {
    return await asffPlaceOf(orgClients.sts);
  } finally {
    orgClients.organizations.destroy();
    orgClients.sts.destroy();
  }
};

/** `keyrotate report`: a compliance report of every user and key. */
export const reportCommand: Command = {
  name: "report",
  summary:
    "write a compliance report (CIS 1.12–1.14, Security Hub IAM.3/IAM.8/IAM.22) as json, csv, html or ASFF findings",
  options,
  help: `Usage: keyrotate report [--format json|csv|html|asff] [--out FILE] [options]

Reads every user and access key and writes a compliance report: each key's age and last
use, keyrotate's findings (no email, exempt, broken tags, two Active keys, …), per user the
result of each control, and a key-age histogram:

  CIS-1.12  Ensure credentials unused for 45 days or greater are disabled
  CIS-1.13  Ensure there is only one active access key available for any single IAM user
  CIS-1.14  Ensure access keys are rotated every 90 days or less
  IAM.3     IAM users' access keys should be rotated every 90 days or less (Security Hub)
  IAM.8     Unused IAM user credentials should be removed (Security Hub, 90 days)
  IAM.22    IAM user credentials unused for 45 days should be removed (Security Hub)

The HTML report is one self-contained file (inline CSS and SVG, no scripts or external links).
--format asff writes a JSON array of AWS Security Finding Format findings for Security Hub's
BatchImportFindings: one per key that fails IAM.3, IAM.8 or IAM.22 and one per user that fails
CIS 1.13, Compliance FAILED, in the account of the credentials (sts:GetCallerIdentity) and the
region of --region; the Id is stable per account, control and key, so importing again updates
the finding, and Workflow is left unset.
Changes nothing. SES_EMAIL, SES_REGION and S3_CSV_BUCKET are not needed for a report.

Options:
  --format FORMAT        json, csv, html or asff (default: from the --out extension, .asff.json
                         for asff, else html)
  -o, --out FILE         where to write (default: stdout)
${accountOptionsHelp("region for IAM (default: AWS_REGION, else us-east-1)")}
  --org                  every covered account of the AWS Organization, in one report
  --accounts ID,ID       only these accounts of the organization (implies --org)
  -h, --help             this help

Organizations: with --org (or --accounts) the credentials are the management account's (or a
delegated administrator's); keyrotate assumes ORG_ROLE_NAME in each covered account (ORG_*
settings as for "keyrotate run --org") and reads ORG_CONCURRENCY accounts at a time, printing a
line per account on stderr. The report has a section per account, the accounts that could not
be read with the reason, and totals; the CSV adds account_id, account_name and account_status;
asff gives one array over every account read, each finding in its own account.

Examples:
  keyrotate report --out compliance.html
  keyrotate report --format csv --out keys.csv
  keyrotate report --format json | jq '.summary'
  keyrotate report --format asff --out findings.asff.json
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
      else problems.push(`--format ${JSON.stringify(given)}: expected json, csv, html or asff`);
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
    const place = format === "asff" ? await callerPlace(access, settings, io) : undefined;
    if (place !== undefined && E.isLeft(place)) {
      io.stderr.write(
        `keyrotate report: the account of the credentials could not be read: ${place.left.message}\n`,
      );
      return ExitCode.failed;
    }
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
      const counts = `${report.summary.users} users, ${u.pass} pass, ${u.fail} fail, ${u.unknown} unknown`;
      const findings = place === undefined ? undefined : complianceFindings(report, place.right);
      if (findings !== undefined)
        await writeReport(
          io,
          out,
          renderFindings(findings),
          "the ASFF findings",
          findingsSummary(findings, counts),
        );
      else if (format !== "asff")
        await writeReport(
          io,
          out,
          renderCompliance(report, format),
          `the ${format} compliance report`,
          counts,
        );
      return ExitCode.ok;
    } finally {
      progress.clear();
      destroyClients(clients);
    }
  },
};
