import {
  type AwsClients,
  type RunReport,
  runKeyrotate,
  type ScanMode,
} from "@keyrotate/aws-adapter";
import { type CalendarDate, parseCalendarDate, type Settings } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { readAccount, unreadableRowWarning } from "./account.js";
import { type ParsedOptions, stringOption } from "./args.js";
import { accountOptionsHelp, awsOptionSpecs, buildClients, destroyClients } from "./awsAccess.js";
import { awsCommandContext, type Command, ExitCode, usageFailure } from "./command.js";
import { forecastUser, type UserForecast } from "./forecast.js";
import type { CliIo } from "./io.js";
import { runOrgCommand } from "./orgCommand.js";
import { orgOptionSpecs, orgPlanOptionsHelp, wantsOrg } from "./orgOptions.js";
import { renderDaySummary, renderFindings, renderPlanTable } from "./planView.js";
import { createProgress, type Progress } from "./progress.js";
import { staleReportWarning } from "./reportAge.js";
import { settingsOptionSpecs } from "./settingsInput.js";

/** The scan modes `--scan-mode` accepts. */
const scanModes: ReadonlyArray<ScanMode> = ["credential-report", "list-users"];

/** Reads `--scan-mode`, adding a problem when it is not a known mode. */
export const scanModeOption = (parsed: ParsedOptions, problems: string[]): ScanMode | undefined => {
  const given = stringOption(parsed, "scan-mode");
  if (given === undefined) return undefined;
  if ((scanModes as ReadonlyArray<string>).includes(given)) return given as ScanMode;
  problems.push(`--scan-mode ${JSON.stringify(given)}: expected credential-report or list-users`);
  return undefined;
};

/** The forecasts of every user of the account for `day`, or the error that stopped the read. */
export const loadForecasts = async (
  io: CliIo,
  clients: AwsClients,
  settings: Settings,
  day: CalendarDate,
  progress: Progress,
): Promise<E.Either<string, ReadonlyArray<UserForecast>>> => {
  progress.update("reading the account");
  const account = await readAccount({
    clients,
    settings,
    today: day,
    log: progress.log,
    ...(io.polling === undefined ? {} : { polling: io.polling }),
  });
  progress.clear();
  if (E.isLeft(account)) return E.left(account.left.message);
  const stale = staleReportWarning(account.right.reportGeneratedAt, io.now());
  if (stale !== undefined) io.stderr.write(stale);
  for (const row of account.right.unreadableReportRows) io.stderr.write(unreadableRowWarning(row));
  for (const s of account.right.skipped) {
    io.stderr.write(
      `warning: ${s.userName} was ${s.reason === "deleted" ? "deleted during the scan" : `unreadable: ${s.error.message}`}\n`,
    );
  }
  return E.right(account.right.users.map(forecastUser(settings, day)));
};

/** The exit code of a run report: 1 when the scan or any user failed. */
export const exitCodeOf = (report: RunReport): number =>
  report.status === "failed" || report.counts.failed > 0 ? ExitCode.failed : ExitCode.ok;

const options = {
  ...settingsOptionSpecs,
  ...awsOptionSpecs,
  json: { type: "boolean" },
  "as-of": { type: "string" },
  "scan-mode": { type: "string" },
  ...orgOptionSpecs,
  help: { type: "boolean", short: "h" },
} as const;

/** `keyrotate plan`: what a run would do today, and each key's next transition. */
export const planCommand: Command = {
  name: "plan",
  summary: "show each user's keys and the next action on each (changes nothing)",
  options,
  help: `Usage: keyrotate plan [options]

Scans the account and shows, per user and key, the status, age and last use, and the next
action with its date: today's planned step, or the next transition the policy will make
("warning on 2026-12-01", "rotation on …", "deactivation on …", "deletion on …"). When the
next action is only a notice, the change it announces follows: "warning on 2026-12-01;
rotation on 2026-12-08" (MIN_NOTICE_DAYS), "in-use notice on …; deactivation on …" (an old
key still in use waits up to IN_USE_DELAY_DAYS). It changes nothing and sends nothing.

Options:
  --as-of YYYY-MM-DD     forecast a day: plan as if today were that date
  --json                 print the run report of a dry run (JSON) instead of the table
  --scan-mode MODE       with --json: credential-report (default, as the Lambda) or list-users
${accountOptionsHelp("region for IAM and S3 (default: AWS_REGION, else SES_REGION)")}
${orgPlanOptionsHelp}
  -h, --help             this help

Settings are the Lambda's environment variables (SES_EMAIL, SES_REGION, S3_CSV_BUCKET,
WARNING_DAYS, …); see "keyrotate --help".

Examples:
  keyrotate plan
  keyrotate plan --as-of 2026-12-31
  keyrotate plan --set OVERDUE_DAYS=90 --set UNUSED_DAYS=45
  keyrotate plan --json > plan.json
  keyrotate plan --endpoint-url http://127.0.0.1:4566 --set SES_EMAIL=keys@example.com \\
    --set SES_REGION=us-east-1 --set S3_CSV_BUCKET=creds

Exit codes: 0 done, 1 the account could not be read, 2 invalid settings or arguments.
`,
  run: async (parsed, io) => {
    if (wantsOrg(parsed)) return runOrgCommand(parsed, io, "plan");
    const problems: string[] = [];
    const asOfText = stringOption(parsed, "as-of");
    const asOf = asOfText === undefined ? undefined : parseCalendarDate(asOfText);
    if (asOfText !== undefined && asOf === undefined) {
      problems.push(`--as-of ${JSON.stringify(asOfText)}: expected a date YYYY-MM-DD`);
    }
    const scanMode = scanModeOption(parsed, problems);
    const json = parsed.flags.has("json");
    if (stringOption(parsed, "scan-mode") !== undefined && !json) {
      problems.push(
        "--scan-mode applies to --json only: the table always lists every user (list-users, with the credential report's last-use dates)",
      );
    }
    const ctx = await awsCommandContext(parsed, io, "run", problems);
    if (E.isLeft(ctx)) return usageFailure(io, "plan", ctx.left);
    const { settings, access, config, today } = ctx.right;
    const day = asOf ?? today;
    const progress = createProgress(io.stderr, io.stderr.isTTY ? !json : "lines", () =>
      io.now().getTime(),
    );
    const clients = buildClients(access, settings, io.env, [progress.middleware], config);
    try {
      if (json) {
        const report = await runKeyrotate({
          clients,
          settings,
          today: day,
          dryRun: true,
          ...(scanMode === undefined ? {} : { scanMode }),
          ...(io.polling === undefined ? {} : { polling: io.polling }),
        });
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        const stale = staleReportWarning(report.reportGeneratedAt, io.now());
        if (stale !== undefined) io.stderr.write(stale);
        if (report.status === "failed") {
          io.stderr.write(
            `keyrotate plan: the scan failed: ${report.error?.message ?? "unknown error"}\n`,
          );
        }
        return exitCodeOf(report);
      }
      const forecasts = await loadForecasts(io, clients, settings, day, progress);
      if (E.isLeft(forecasts)) {
        io.stderr.write(`keyrotate plan: the account could not be read: ${forecasts.left}\n`);
        return ExitCode.failed;
      }
      io.stdout.write(
        `keyrotate plan for ${day}${day === today ? "" : ` (a forecast; today is ${today})`}\n\n`,
      );
      io.stdout.write(renderPlanTable(forecasts.right, day));
      io.stdout.write(`\n${renderDaySummary(forecasts.right, day)}`);
      const findings = renderFindings(forecasts.right);
      if (findings !== "") io.stdout.write(`\n${findings}`);
      return ExitCode.ok;
    } finally {
      progress.clear();
      destroyClients(clients);
    }
  },
};
