import { readFileSync } from "node:fs";
import { settingSpecs } from "@keyrotate/core";
import { parseOptions } from "./args.js";
import { type Command, ExitCode } from "./command.js";
import { demoCommand } from "./demo/demoCommand.js";
import type { CliIo } from "./io.js";
import { planCommand } from "./planCommand.js";
import { reportCommand } from "./reportCommand.js";
import { runCommand } from "./runCommand.js";

/** Every command, in the order the help lists them. */
export const commands: ReadonlyArray<Command> = [
  planCommand,
  runCommand,
  reportCommand,
  demoCommand,
];

/** The package's version, from its package.json. */
export const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version?: string;
  };
  return pkg.version ?? "unknown";
};

const mainHelp = (): string => `Usage: keyrotate <command> [options]

Rotates AWS IAM access keys safely: warns, rotates (the new secret goes to S3, the user gets
an email), deactivates and deletes old keys, never locking a user out.

Commands:
${commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join("\n")}

Options:
  -h, --help       help (also "keyrotate <command> --help")
  -V, --version    the version

Settings are the Lambda's environment variables, or --set NAME=VALUE (overrides the env):
  ${Object.keys(settingSpecs).join(", ")}
SES_EMAIL, SES_REGION and S3_CSV_BUCKET are required for plan and run.
AWS access: the SDK's default credential chain, --profile, --region, --endpoint-url. Without
--endpoint-url, endpoints are the SDK's: AWS_ENDPOINT_URL_IAM, _S3 and _SES, AWS_ENDPOINT_URL, the
profile's endpoint_url. Retries: AWS_MAX_ATTEMPTS and AWS_RETRY_MODE (standard or adaptive).
Progress, warnings and errors go to stderr; --json prints JSON alone on stdout.

Examples:
  keyrotate demo                         # 100 simulated days against a local sandbox
  keyrotate plan --as-of 2026-12-31
  keyrotate run --yes --json > run-report.json
  keyrotate report --out compliance.html

Exit codes: 0 success, 1 some users failed (or the scan or the preflight failed), 2 invalid
settings or arguments, 130/143 a run stopped by SIGINT/SIGTERM between users.
`;

/**
 * Runs the keyrotate command line: `argv` without the node and script paths, `io` the host.
 * Resolves with the exit code (0 success, 1 some users failed, 2 invalid settings or
 * arguments); never calls `process.exit`, so that tests run commands in-process.
 *
 * @example process.exitCode = await main(process.argv.slice(2), nodeIo())
 */
export const main = async (argv: ReadonlyArray<string>, io: CliIo): Promise<number> => {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic?.help ?? mainHelp());
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (first === "--version" || first === "-V") {
    io.stdout.write(`${version()}\n`);
    return ExitCode.ok;
  }
  const command = commands.find((c) => c.name === first);
  if (command === undefined) {
    io.stderr.write(
      `keyrotate: unknown ${first.startsWith("-") ? "option" : "command"} ${JSON.stringify(first)}: expected one of ${commands.map((c) => c.name).join(", ")}, --help or --version\nRun "keyrotate --help" for usage.\n`,
    );
    return ExitCode.usage;
  }
  const parsed = parseOptions(rest, command.options);
  if (parsed.flags.has("help")) {
    io.stdout.write(command.help);
    return ExitCode.ok;
  }
  try {
    return await command.run(parsed, io);
  } catch (e) {
    io.stderr.write(
      `keyrotate ${command.name}: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return ExitCode.failed;
  }
};
