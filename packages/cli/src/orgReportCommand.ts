import { randomUUID } from "node:crypto";
import {
  type AccountCredentials,
  type AccountOutcome,
  type AccountsDone,
  type AwsClients,
  type AwsError,
  forEachAccount,
  type OrgClients,
  type OrgSettings,
  type ReportPolling,
} from "@keyrotate/aws-adapter";
import type { CalendarDate, Settings } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { type AccountView, readAccount } from "./account.js";
import type { ParsedOptions } from "./args.js";
import { awsCommandContext, ExitCode, usageFailure } from "./command.js";
import { findingsSummary, orgComplianceFindings, renderFindings } from "./compliance/asff.js";
import type { ComplianceReport } from "./compliance/assess.js";
import {
  type AccountCompliance,
  assessOrganization,
  type OrgComplianceReport,
  renderOrgComplianceCsv,
  renderOrgComplianceHtml,
} from "./compliance/org.js";
import type { CliIo, Output } from "./io.js";
import { accountProgress, orgInputs, reach } from "./orgCommand.js";
import {
  complianceOf,
  type DocumentFormat,
  type ReportFormat,
  renderIn,
  writeReport,
} from "./reportCommand.js";

/** Renders the organisation's compliance report in one of the report's formats. */
export const renderOrgCompliance = (report: OrgComplianceReport, format: DocumentFormat): string =>
  renderIn(report, format, renderOrgComplianceCsv, renderOrgComplianceHtml);

/** One line for an account's part of the report. */
export const describeAccountCompliance = (a: AccountCompliance): string => {
  const head = `${a.accountId} ${a.accountName}: ${a.status === "completed" ? "read" : a.status}`;
  const r = a.report?.summary;
  if (r === undefined) return a.error === undefined ? head : `${head}: ${a.error.message}`;
  return `${head}: ${r.users} users, ${r.userResults.pass} pass, ${r.userResults.fail} fail, ${r.userResults.unknown} unknown`;
};

/** What {@link readOrganizationCompliance} needs. */
export interface OrgComplianceOptions {
  readonly orgClients: OrgClients;
  readonly org: OrgSettings;
  readonly settings: Settings;
  readonly today: CalendarDate;
  readonly clientsFor: (credentials: AccountCredentials) => AwsClients;
  readonly now: () => Date;
  /** Where the progress lines and each account's warnings go. */
  readonly progress: Output;
  readonly polling?: ReportPolling;
}

/**
 * Reads every covered account of the organisation with the organisation run's fan-out
 * ({@link forEachAccount}) and the single-account report's reading, and merges the accounts'
 * compliance reports. Left when the organisation could not be listed.
 */
export const readOrganizationCompliance = async (
  options: OrgComplianceOptions,
): Promise<E.Either<AwsError, OrgComplianceReport>> => {
  const { settings, today, progress } = options;
  const lines = accountProgress(progress, "read");
  const done = await forEachAccount<E.Either<AwsError, ComplianceReport>>({
    orgClients: options.orgClients,
    org: options.org,
    runId: randomUUID(),
    onDiscovered: (s) => lines.discovered(s.selected.length, s.skipped.length),
    onAccountFinished: (account, outcome) =>
      lines.finished(describeAccountCompliance(toSection(account, outcome))),
    work: async (account, credentials) => {
      const clients = options.clientsFor(credentials);
      try {
        const view = await readAccount({
          clients,
          settings,
          today,
          ...(options.polling === undefined ? {} : { polling: options.polling }),
        });
        return E.map((v: AccountView) => {
          const { report, warnings } = complianceOf(v, settings, today, options.now());
          for (const w of warnings) progress.write(`${account.id}: ${w}`);
          return report;
        })(view);
      } finally {
        clients.iam.destroy();
        clients.s3.destroy();
        clients.ses.destroy();
      }
    },
  });
  return E.map((d: AccountsDone<E.Either<AwsError, ComplianceReport>>) =>
    assessOrganization({
      date: today,
      generatedAt: options.now().toISOString(),
      discovered: d.selection.discovered,
      accounts: d.outcomes.map(({ account, outcome }) => toSection(account, outcome)),
      skippedAccounts: d.selection.skipped,
    }),
  )(done);
};

/**
 * `keyrotate report --org` / `--accounts`: the compliance report of every covered account of the
 * organisation, read with the organisation run's fan-out ({@link forEachAccount}) and the
 * single-account report's reading, with a progress line per account on stderr. An account that
 * cannot be read is shown with its reason and never stops the others.
 */
export const reportOrgCommand = async (
  parsed: ParsedOptions,
  io: CliIo,
  output: { readonly format: ReportFormat; readonly out: string | undefined },
  problems: string[],
): Promise<number> => {
  const { org, policyParsed } = orgInputs(parsed, io, problems);
  const ctx = await awsCommandContext(policyParsed, io, "policy", problems);
  if (E.isLeft(ctx)) return usageFailure(io, "report", ctx.left);
  if (E.isLeft(org)) return usageFailure(io, "report", problems);
  const { settings, access, today } = ctx.right;
  const { orgClients, clientsFor } = reach(access, settings, io.env, []);
  try {
    const read = await readOrganizationCompliance({
      orgClients,
      org: org.right,
      settings,
      today,
      clientsFor,
      now: io.now,
      progress: io.stderr,
      ...(io.polling === undefined ? {} : { polling: io.polling }),
    });
    if (E.isLeft(read)) {
      io.stderr.write(
        `keyrotate report: the organization could not be listed; no account was read: ${read.left.message}\n`,
      );
      return ExitCode.failed;
    }
    const report = read.right;
    const a = report.summary.accounts;
    const u = report.summary.userResults;
    const counts = `${a.completed} of ${a.selected} accounts read, ${a.skipped} skipped; ${report.summary.users} users, ${u.pass} pass, ${u.fail} fail, ${u.unknown} unknown`;
    if (output.format === "asff") {
      const findings = orgComplianceFindings(report, await orgClients.sts.config.region());
      await writeReport(
        io,
        output.out,
        renderFindings(findings),
        "the organization's ASFF findings",
        findingsSummary(findings, counts),
      );
    } else
      await writeReport(
        io,
        output.out,
        renderOrgCompliance(report, output.format),
        `the ${output.format} organization compliance report`,
        counts,
      );
    return report.status === "completed" ? ExitCode.ok : ExitCode.failed;
  } finally {
    orgClients.organizations.destroy();
    orgClients.sts.destroy();
  }
};

/** An account's part of the report from how its reading ended. */
const toSection = (
  account: { readonly id: string; readonly name: string },
  outcome: AccountOutcome<E.Either<AwsError, ComplianceReport>>,
): AccountCompliance => {
  const section = { accountId: account.id, accountName: account.name };
  if (outcome.status === "deferred") return { ...section, status: "deferred" };
  if (outcome.status !== "done")
    return { ...section, status: outcome.status, error: outcome.error.toJSON() };
  return E.isLeft(outcome.value)
    ? { ...section, status: "failed", error: outcome.value.left.toJSON() }
    : { ...section, status: "completed", report: outcome.value.right };
};
