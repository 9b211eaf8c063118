import {
  type AccountSection,
  type AttemptMiddleware,
  type AwsClients,
  createAwsClients,
  createOrgClients,
  decodeOrgSettings,
  ORG_SETTING_NAMES,
  type OrgClients,
  type OrgProgressEvent,
  type OrgReport,
  type OrgSettings,
  runOrganization,
} from "@keyrotate/aws-adapter";
import {
  formatSettingProblem,
  parseCalendarDate,
  type SettingProblem,
  type Settings,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { type ParsedOptions, stringOption } from "./args.js";
import { type AwsAccess, clientPlace } from "./awsAccess.js";
import { awsCommandContext, ExitCode, usageFailure } from "./command.js";
import { signalExitCode, watchInterruptions } from "./interrupt.js";
import type { CliIo, Output } from "./io.js";
import { describeUser } from "./outcomeText.js";
import { scanModeOption } from "./planCommand.js";

const isOrgSetting = (name: string): boolean =>
  (ORG_SETTING_NAMES as ReadonlyArray<string>).includes(name);

/** Splits `--set` into the ORG_* settings and the rest (which the policy settings decode). */
const splitSets = (parsed: ParsedOptions): { org: Record<string, string>; rest: string[] } => {
  const org: Record<string, string> = {};
  const rest: string[] = [];
  for (const set of parsed.strings.get("set") ?? []) {
    const eq = set.indexOf("=");
    if (eq > 0 && isOrgSetting(set.slice(0, eq))) org[set.slice(0, eq)] = set.slice(eq + 1);
    else rest.push(set);
  }
  return { org, rest };
};

/**
 * The ORG_* settings of an organisation command, from the environment, `--set` and
 * `--accounts` (problems go to `problems`), and the options left for the policy settings.
 */
export const orgInputs = (
  parsed: ParsedOptions,
  io: CliIo,
  problems: string[],
): { org: E.Either<ReadonlyArray<SettingProblem>, OrgSettings>; policyParsed: ParsedOptions } => {
  const { org: orgSets, rest } = splitSets(parsed);
  const accounts = stringOption(parsed, "accounts");
  const orgInput: Record<string, string | undefined> = {};
  for (const name of ORG_SETTING_NAMES) orgInput[name] = io.env[name];
  Object.assign(orgInput, orgSets);
  if (accounts !== undefined) {
    if (accounts.trim() === "") problems.push("--accounts: expected comma-separated account ids");
    orgInput.ORG_INCLUDE_ACCOUNTS = accounts;
    orgInput.ORG_INCLUDE_OUS = "";
  }
  const org = decodeOrgSettings(orgInput);
  if (E.isLeft(org)) problems.push(...org.left.map(formatSettingProblem));
  const policyParsed: ParsedOptions = {
    ...parsed,
    strings: new Map([...parsed.strings].map(([k, v]) => [k, k === "set" ? rest : v])),
  };
  return { org, policyParsed };
};

/** How the CLI reaches AWS for the management side and for each account, as `buildClients` does. */
export const reach = (
  access: AwsAccess,
  settings: Settings,
  env: CliIo["env"],
  middleware: ReadonlyArray<AttemptMiddleware>,
) => {
  const { credentials, region, endpoint } = clientPlace(access, settings, env);
  const where = {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
  const orgClients: OrgClients = createOrgClients({
    ...where,
    ...(credentials === undefined ? {} : { credentials }),
  });
  const clientsFor = (c: {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
  }): AwsClients => createAwsClients({ settings, env, middleware, credentials: c, ...where });
  return { orgClients, clientsFor };
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One line for an account's outcome. */
export const describeSection = (s: AccountSection): string => {
  const head = `${s.accountId} ${s.accountName}: ${s.status}`;
  if (s.report === undefined) return s.error === undefined ? head : `${head}: ${s.error.message}`;
  const c = s.report.counts;
  const why =
    s.report.status === "failed"
      ? ` (${s.report.error?.message ?? s.report.preflight?.status ?? "failed"})`
      : "";
  return `${head}${why}: ${plural(c.usersSeen, "user")}; warned ${c.warned}, rotated ${c.rotated}, deactivated ${c.deactivated}, deleted ${c.deleted}, notices ${c.noticesSent}, failed ${c.failed}`;
};

/** The organisation report for a reader: each account, the skipped ones, and totals. */
export const renderOrgReport = (report: OrgReport): string => {
  const lines = [
    `keyrotate organization run for ${report.date}${report.dryRun ? " (dry run: nothing was changed or sent)" : ""}: ${report.status}`,
  ];
  if (report.error !== undefined)
    lines.push(`The organization could not be listed; no account was run: ${report.error.message}`);
  for (const s of report.accounts) {
    lines.push(`  ${describeSection(s)}`);
    for (const user of s.report?.users ?? []) {
      const text = describeUser(user);
      if (text !== "") lines.push(`    ${user.userName}: ${text}`);
    }
  }
  for (const s of report.skippedAccounts)
    lines.push(
      `  ${s.accountId}${s.accountName ? ` ${s.accountName}` : ""}: skipped (${s.reason}): ${s.message}`,
    );
  const a = report.totals.accounts;
  const u = report.totals.users;
  lines.push(
    `Accounts: ${a.discovered} found, ${a.selected} run: ${a.completed} completed, ${a.failed} failed, ${a.unreachable} unreachable, ${a.deferred} deferred; ${a.skipped} skipped.`,
  );
  lines.push(
    `Users seen ${u.usersSeen}; warned ${u.warned}, rotated ${u.rotated}, deactivated ${u.deactivated}, deleted ${u.deleted}, notices ${u.noticesSent}, failed ${u.failed}, deferred ${u.deferred}.`,
  );
  return `${lines.join("\n")}\n`;
};

/** Progress lines on `out`: the accounts found, then `[done/total] <line>` as each finishes. */
export const accountProgress = (out: Output, verb: string) => {
  const total = { value: 0, done: 0 };
  return {
    discovered: (selected: number, skipped: number): void => {
      total.value = selected;
      out.write(`organization: ${plural(selected, "account")} to ${verb}, ${skipped} skipped\n`);
    },
    finished: (line: string): void => {
      total.done += 1;
      out.write(`[${total.done}/${total.value}] ${line}\n`);
    },
  };
};

/** A progress line per account on `out`, as accounts are found and finish. */
export const orgProgressLines = (out: Output): ((e: OrgProgressEvent) => void) => {
  const lines = accountProgress(out, "run");
  return (e) => {
    if (e.kind === "discovered") lines.discovered(e.selected, e.skipped.length);
    else if (e.kind === "account-finished") lines.finished(describeSection(e.section));
  };
};

/** The exit code of an organisation run. */
export const orgExitCode = (report: OrgReport): number =>
  report.status === "completed" && report.totals.users.failed === 0 ? ExitCode.ok : ExitCode.failed;

/**
 * `keyrotate run --org` / `--accounts`: validates the policy and ORG_* settings together,
 * then runs {@link runOrganization} with a progress line per account on stderr.
 */
export const runOrgCommand = async (
  parsed: ParsedOptions,
  io: CliIo,
  command: "run" | "plan" = "run",
): Promise<number> => {
  const problems: string[] = [];
  const asOfText = stringOption(parsed, "as-of");
  const asOf = asOfText === undefined ? undefined : parseCalendarDate(asOfText);
  if (asOfText !== undefined && asOf === undefined)
    problems.push(`--as-of ${JSON.stringify(asOfText)}: expected a date YYYY-MM-DD`);
  const scanMode = scanModeOption(parsed, problems);
  const { org, policyParsed } = orgInputs(parsed, io, problems);
  const ctx = await awsCommandContext(policyParsed, io, "run", problems);
  // A plan is a dry run: it changes nothing and sends nothing, so it needs no --yes.
  const checkedWithContext = problems.length;
  const dryRun =
    command === "plan" ||
    parsed.flags.has("dry-run") ||
    (E.isRight(ctx) && ctx.right.settings.dryRun);
  if (!dryRun && !parsed.flags.has("yes"))
    problems.push(
      "an organization run applies without a per-account plan review: pass --yes to apply, or --dry-run to see what would be done",
    );
  if (E.isLeft(ctx) || E.isLeft(org) || problems.length > 0)
    return usageFailure(
      io,
      command,
      E.isLeft(ctx) ? [...ctx.left, ...problems.slice(checkedWithContext)] : problems,
    );
  const { settings, access } = ctx.right;
  const today = asOf ?? ctx.right.today;
  const json = parsed.flags.has("json");
  const interruptions = watchInterruptions(io);
  const { orgClients, clientsFor } = reach(access, settings, io.env, [interruptions.middleware]);
  const progress = orgProgressLines(io.stderr);
  try {
    const report = await runOrganization({
      orgClients,
      org: org.right satisfies OrgSettings,
      settings,
      today,
      dryRun,
      clientsFor,
      onAccountProgress: progress,
      // The same clock as today's date: it also stamps a rotation's marker (crash recovery).
      now: io.now,
      shouldStartAccount: () => interruptions.requested() === undefined,
      shouldStartUser: () => interruptions.requested() === undefined,
      ...(scanMode === undefined ? {} : { scanMode }),
      ...(io.polling === undefined ? {} : { polling: io.polling }),
    });
    io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderOrgReport(report));
    const stoppedBy = interruptions.requested();
    if (stoppedBy !== undefined) {
      io.stderr.write(
        `keyrotate ${command}: stopped by ${stoppedBy}: ${report.totals.accounts.deferred} account(s) not started; the next run covers them.\n`,
      );
      return signalExitCode[stoppedBy];
    }
    return orgExitCode(report);
  } finally {
    interruptions.dispose();
    orgClients.organizations.destroy();
    orgClients.sts.destroy();
  }
};
