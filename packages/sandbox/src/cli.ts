import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseFaultSettings } from "./faults.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "./sandbox.js";
import { parseScenario, ScenarioError } from "./scenario.js";

const USAGE = `Usage: pnpm sandbox [options]

Starts a local fake AWS account (IAM, S3, SES, Secrets Manager, Security Hub, SNS) that real AWS
SDKs and CLIs talk to.

Options:
  --port N                 port to listen on (default 4566; 0 picks a free port)
  --host H                 interface to bind (default 127.0.0.1)
  --now ISO                start the sandbox clock at this time (default: now)
  --seed FILE              seed the account from a scenario JSON file
  --faults FILE            start with the fault settings in this JSON file
  --random-seed N          seed for ids, secrets and fault dice (reproducible runs)
  --region R               region for the printed env vars (default us-east-1)
  --report-generation-ms N real ms a credential report takes to generate (default 20)
  -h, --help               show this help

Inspect and control it over HTTP under /_sandbox/ (see packages/sandbox/README.md).`;

/** A command-line mistake: reported with the usage hint and exit code 2. */
class UsageError extends Error {}

function integer(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function readJsonFile(flag: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--${flag}: ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Turns command-line arguments into sandbox options, or throws a UsageError.
 * Kept apart from `main` so argument handling is testable without starting a process.
 */
function parseCliArgs(argv: string[]): SandboxOptions | "help" {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return "help";
  const options: SandboxOptions = { port: integer("port", values.port, 0, 65535) ?? 4566 };
  if (values.host !== undefined) options.host = values.host;
  if (values.region !== undefined) options.region = values.region;
  if (values.now !== undefined) {
    if (!Number.isFinite(Date.parse(values.now)))
      throw new UsageError(`--now must be an ISO 8601 date-time, got "${values.now}"`);
    options.now = values.now;
  }
  const randomSeed = integer("random-seed", values["random-seed"], 0, 2 ** 32 - 1);
  if (randomSeed !== undefined) options.randomSeed = randomSeed;
  const reportMs = integer("report-generation-ms", values["report-generation-ms"], 0, 3_600_000);
  if (reportMs !== undefined) options.reportGenerationMs = reportMs;
  if (values.seed !== undefined) {
    try {
      options.seed = parseScenario(readJsonFile("seed", values.seed));
    } catch (e) {
      if (e instanceof ScenarioError) throw new UsageError(`--seed ${values.seed}: ${e.message}`);
      throw e;
    }
  }
  if (values.faults !== undefined) {
    try {
      options.faults = parseFaultSettings(readJsonFile("faults", values.faults));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--faults ${values.faults}: ${(e as Error).message}`);
    }
  }
  return options;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      now: { type: "string" },
      seed: { type: "string" },
      faults: { type: "string" },
      "random-seed": { type: "string" },
      region: { type: "string" },
      "report-generation-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function main(): Promise<void> {
  let options: SandboxOptions | "help";
  try {
    options = parseCliArgs(process.argv.slice(2).filter((a) => a !== "--"));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`sandbox: ${e.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  if (options === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox(options);
  } catch (e) {
    process.stderr.write(`sandbox: cannot start: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const env = Object.entries(sandbox.env())
    .map(([k, v]) => `  export ${k}=${v}`)
    .join("\n");
  process.stdout.write(
    `keyrotate sandbox (IAM, S3, SES, Secrets Manager, Security Hub, SNS) listening on ${sandbox.url}\n` +
      `sandbox time: ${sandbox.clock.now().toISOString()}\n\n` +
      `Point an AWS SDK or CLI at it with:\n${env}\n\n` +
      `Inspect it at ${sandbox.url}/_sandbox/ . Press Ctrl+C to stop.\n`,
  );
  const stop = (signal: string) => {
    process.stdout.write(`\nsandbox: ${signal} received, stopping\n`);
    void sandbox.close().then(() => process.exit(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

await main();
