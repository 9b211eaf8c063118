import { type CalendarDate, calendarDateOfTimestamp, type Settings } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { type OptionSpecs, type ParsedOptions, stringOption } from "./args.js";
import { type AwsAccess, type AwsConfig, awsAccessProblems, readAwsConfig } from "./awsAccess.js";
import type { CliIo } from "./io.js";
import { resolveSettings, type SettingsPurpose } from "./settingsInput.js";

/** The exit codes of every command. */
export const ExitCode = {
  /** Success. */
  ok: 0,
  /** Some users failed, or the account could not be read. */
  failed: 1,
  /** Invalid settings or arguments: nothing was called. */
  usage: 2,
} as const;

/** One `keyrotate` command. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text, with examples. */
  readonly help: string;
  readonly options: OptionSpecs;
  /** Runs the command with its parsed options; resolves with the exit code. */
  readonly run: (parsed: ParsedOptions, io: CliIo) => Promise<number>;
}

/**
 * Reports invalid arguments or settings: every problem on its own line on stderr, then where
 * to find the usage. Returns exit code 2.
 */
export const usageFailure = (
  io: CliIo,
  command: string,
  problems: ReadonlyArray<string>,
): number => {
  io.stderr.write(
    `keyrotate ${command}: ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was done:\n${problems
      .map((p) => `  - ${p}\n`)
      .join("")}Run "keyrotate ${command} --help" for usage.\n`,
  );
  return ExitCode.usage;
};

/** What a command that talks to AWS has once its options are valid. */
export interface AwsCommandContext {
  readonly settings: Settings;
  readonly access: AwsAccess;
  /** What the environment and the AWS config files add to `access`. */
  readonly config: AwsConfig;
  /** Today's UTC date from the clock (not `--as-of`). */
  readonly today: CalendarDate;
}

/** Today's UTC date by the CLI's clock. */
export const todayOf = (io: CliIo): CalendarDate => {
  const d = calendarDateOfTimestamp(io.now().toISOString());
  if (E.isLeft(d)) throw new Error(`the clock gave no usable date: ${d.left}`);
  return d.right;
};

/**
 * Validates what every AWS command shares (option syntax, `--set` and environment settings,
 * `--profile`/`--region`/`--endpoint-url`, the profile and retry settings of the environment and
 * the AWS config files) together with the command's own problems, so that all of them are
 * reported at once, before any AWS call.
 */
export const awsCommandContext = async (
  parsed: ParsedOptions,
  io: CliIo,
  purpose: SettingsPurpose,
  ownProblems: ReadonlyArray<string>,
): Promise<E.Either<ReadonlyArray<string>, AwsCommandContext>> => {
  const profile = stringOption(parsed, "profile");
  const region = stringOption(parsed, "region");
  const endpointUrl = stringOption(parsed, "endpoint-url");
  const access: AwsAccess = {
    ...(profile === undefined ? {} : { profile }),
    ...(region === undefined ? {} : { region }),
    ...(endpointUrl === undefined ? {} : { endpointUrl }),
  };
  const settings = resolveSettings(io.env, parsed.strings.get("set") ?? [], purpose);
  const accessProblems = awsAccessProblems(access);
  const config = accessProblems.length > 0 ? undefined : await readAwsConfig(access, io.env);
  const problems = [
    ...parsed.problems,
    ...ownProblems,
    ...accessProblems,
    ...(config?.problems ?? []),
    ...(E.isLeft(settings) ? settings.left : []),
  ];
  if (problems.length > 0 || E.isLeft(settings) || config === undefined) return E.left(problems);
  return E.right({ settings: settings.right, access, config: config.config, today: todayOf(io) });
};
