import { leaseOptionsFromEnv, type RunReport, runKeyrotate } from "@keyrotate/aws-adapter";
import { changesKeysOrNotifies } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { accountOptionsHelp, awsOptionSpecs, buildClients, destroyClients } from "./awsAccess.js";
import { awsCommandContext, type Command, ExitCode, usageFailure } from "./command.js";
import { signalExitCode, watchInterruptions } from "./interrupt.js";
import type { CliIo } from "./io.js";
import { runOrgCommand } from "./orgCommand.js";
import { orgHelp, orgOptionSpecs, orgOptionsHelp, wantsOrg } from "./orgOptions.js";
import { describeUser } from "./outcomeText.js";
import { exitCodeOf, loadForecasts, scanModeOption } from "./planCommand.js";
import { renderDaySteps, renderDaySummary, renderFindings } from "./planView.js";
import { createProgress } from "./progress.js";
import { staleReportWarning } from "./reportAge.js";
import { settingsOptionSpecs } from "./settingsInput.js";

const options = {
  ...settingsOptionSpecs,
  ...awsOptionSpecs,
  ...orgOptionSpecs,
  yes: { type: "boolean", short: "y" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  "scan-mode": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * True when a run failed at its lease (held by another run, or the bucket that holds it cannot
 * be written): the lease is the only S3 call a run makes before its scan.
 */
const leaseFailed = (report: RunReport): boolean =>
  report.status === "failed" &&
  (report.error?.tag === "LeaseHeld" || report.error?.operation.startsWith("s3:") === true);

/** The outcome of a run for a reader: one line per user something happened to, and totals. */
export const renderRunReport = (report: RunReport): string => {
  const lines = [
    `keyrotate run for ${report.date}${report.dryRun ? " (dry run: nothing was changed or sent)" : ""}`,
  ];
  if (report.preflight?.status === "failed") {
    lines.push(
      "The preflight failed; no key was created (the reason and what to do are on stderr).",
    );
  } else if (report.status === "failed") {
    lines.push(
      report.error?.tag === "LeaseHeld"
        ? `Not run: ${report.error.message}`
        : leaseFailed(report)
          ? "Not run: the run lease could not be taken (see stderr)."
          : "The scan failed; nothing was changed.",
    );
  }
  for (const user of report.users) {
    const text = describeUser(user);
    if (text !== "") lines.push(`  ${user.userName}: ${text}`);
  }
  for (const s of report.skippedUsers) {
    lines.push(`  ${s.userName}: skipped (${s.reason}): ${s.error.message}`);
  }
  const c = report.counts;
  lines.push(
    `Users seen ${c.usersSeen}, read ${c.selected}, handled ${c.handled}; warned ${c.warned}, rotated ${c.rotated}, deactivated ${c.deactivated}, deleted ${c.deleted}, notices ${c.noticesSent}, failed ${c.failed}, deferred ${c.deferred}, skipped ${c.skipped}.`,
  );
  const calls = Object.entries(report.apiCalls)
    .map(([op, n]) => `${op} ${n}`)
    .join(", ");
  lines.push(`API calls: ${calls === "" ? "none" : calls}.`);
  return `${lines.join("\n")}\n`;
};

/** `keyrotate run`: apply today's plan, after confirmation in a terminal. */
export const runCommand: Command = {
  name: "run",
  summary: "apply today's plan: warn, rotate, deactivate, delete (asks first in a terminal)",
  options,
  help: `Usage: keyrotate run [options]

Does what the Lambda does once: scans the account, decides each user's plan for today and
applies it (rotations store the new secret in S3 and mail the user).

In a terminal it first shows the plan and asks for confirmation, unless --yes. Without a
terminal (a pipe, CI, cron) it refuses to change anything unless --yes or --dry-run is given.

Options:
  -y, --yes              apply without asking
  --dry-run              decide and report only: change nothing, send nothing
  --json                 print the run report (JSON) instead of the summary
  --scan-mode MODE       credential-report (default, as the Lambda) or list-users
${accountOptionsHelp("region for IAM and S3 (default: AWS_REGION, else SES_REGION)")}
${orgOptionsHelp}
  -h, --help             this help

Examples:
  keyrotate run                      # shows the plan, asks, applies
  keyrotate run --yes --json > run-report.json
  keyrotate run --dry-run
  DRY_RUN=true keyrotate run --yes   # the Lambda's DRY_RUN setting works too

Before the first rotation it checks that the rotation can be delivered (the preflight): the
SES sender is verified and may send, the bucket takes the secret, the KMS key (KMS_KEY_ID)
works. If not, no key is created, warnings and other changes still go out, and one message
names the check and what to do; the exit code is 1.

One run per account at a time: a run takes a lease in the credentials bucket
(keyrotate/lease.json) and waits up to LEASE_WAIT_SECONDS (default 60) while another
run holds it; a killed run's lease expires after LEASE_TTL_SECONDS (default 300).

Ctrl-C (SIGINT) or SIGTERM: before the first change, the run stops at once (nothing was done).
After it, the run stops between users: the users in flight are finished (a failed rotation is
undone), no other user is started, and a line on stderr says how many were finished and
deferred; the next run continues with the deferred ones. A second Ctrl-C exits at once (a user
in flight may then be half-done; the next run finishes or undoes it by keyrotate's marker tag).

Exit codes: 0 done, 1 some users failed (or the scan or the preflight failed, or another run
held the run lease), 2 invalid settings or arguments, or no confirmation possible (no terminal
and no --yes), 130 stopped by SIGINT, 143 stopped by SIGTERM.

${orgHelp}
`,
  run: async (parsed, io: CliIo) => {
    if (wantsOrg(parsed)) return runOrgCommand(parsed, io);
    const problems: string[] = [];
    const scanMode = scanModeOption(parsed, problems);
    const yes = parsed.flags.has("yes");
    const json = parsed.flags.has("json");
    const interactive = io.stdinIsTTY && io.stdout.isTTY;
    const ctx = await awsCommandContext(parsed, io, "run", problems);
    const dryRun = parsed.flags.has("dry-run") || (E.isRight(ctx) && ctx.right.settings.dryRun);
    if (!dryRun && !yes && !interactive) {
      problems.push(
        "no terminal to confirm in (stdin or stdout is not a TTY): pass --yes to apply unattended, or --dry-run to only see what would be done",
      );
    }
    const lease = leaseOptionsFromEnv(io.env);
    if (E.isLeft(lease)) problems.push(lease.left);
    if (E.isLeft(ctx) || E.isLeft(lease) || problems.length > 0) {
      return usageFailure(io, "run", E.isLeft(ctx) ? ctx.left : problems);
    }
    const { settings, access, config, today } = ctx.right;
    const progress = createProgress(io.stderr, io.stderr.isTTY ? !json : "lines", () =>
      io.now().getTime(),
    );
    const interruptions = watchInterruptions(io, progress.clear);
    const clients = buildClients(
      access,
      settings,
      io.env,
      [progress.middleware, interruptions.middleware],
      config,
    );
    try {
      if (!dryRun && !yes) {
        const forecasts = await loadForecasts(io, clients, settings, today, progress);
        if (E.isLeft(forecasts)) {
          io.stderr.write(`keyrotate run: the account could not be read: ${forecasts.left}\n`);
          return ExitCode.failed;
        }
        const out = json ? io.stderr : io.stdout;
        out.write(`Plan for ${renderDaySummary(forecasts.right, today)}`);
        out.write(renderDaySteps(forecasts.right));
        const findings = renderFindings(forecasts.right);
        if (findings !== "") out.write(findings);
        if (forecasts.right.some((f) => changesKeysOrNotifies(f.plan))) {
          const answer = (await io.ask("Apply these changes? [y/N] ")).trim().toLowerCase();
          if (answer !== "y" && answer !== "yes") {
            out.write("Cancelled: nothing was changed.\n");
            return ExitCode.ok;
          }
        }
      }
      const report = await runKeyrotate({
        clients,
        settings,
        today,
        dryRun,
        // The same clock as today's date: it also stamps a rotation's marker (crash recovery).
        now: io.now,
        lease: lease.right,
        log: progress.log,
        onProgress: (e) => progress.update("applying", e.done, e.total),
        shouldStartUser: () => interruptions.requested() === undefined,
        ...(scanMode === undefined ? {} : { scanMode }),
        ...(io.polling === undefined ? {} : { polling: io.polling }),
      });
      progress.clear();
      io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderRunReport(report));
      io.stderr.write(staleReportWarning(report.reportGeneratedAt, io.now()) ?? "");
      if (report.preflight?.status === "failed") {
        io.stderr.write(`keyrotate run: ${report.preflight.error.message}\n`);
      } else if (report.status === "failed") {
        io.stderr.write(
          leaseFailed(report)
            ? `keyrotate run: not run: ${report.error?.message ?? "the run lease was held"}\n`
            : `keyrotate run: the scan failed: ${report.error?.message ?? "unknown"}\n`,
        );
      } else if (report.counts.failed > 0) {
        io.stderr.write(`keyrotate run: ${report.counts.failed} user(s) failed\n`);
      }
      const stoppedBy = interruptions.requested();
      if (stoppedBy !== undefined) {
        io.stderr.write(`${interruptions.summary(report)}\n`);
        return signalExitCode[stoppedBy];
      }
      return exitCodeOf(report);
    } finally {
      interruptions.dispose();
      progress.clear();
      destroyClients(clients);
    }
  },
};
