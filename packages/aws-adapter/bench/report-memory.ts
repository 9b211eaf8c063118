/**
 * Measures reading the credential report of a large account: time and peak memory.
 *
 *   pnpm exec tsx packages/aws-adapter/bench/report-memory.ts [--users 100000] [--modes a,b]
 *
 * The parent starts a `@keyrotate/sandbox` seeded with `--users` users; each mode then runs in a
 * fresh child process (so the sandbox's memory is not counted), which generates and reads the
 * report through the adapter's clients and reports its wall time, its RSS once everything is
 * imported, and its peak RSS (`process.resourceUsage().maxRSS`). The child runs through tsx,
 * whose loader costs a constant few tens of MiB: compare the modes, and the growth over idle.
 *
 * Modes:
 * - `stream`: `readCredentialReport`, what a run does (streamed and parsed as it arrives).
 * - `csv`: `fetchCredentialReport` then `parseCredentialReport`: the whole CSV as a string.
 * - `sdk`: the SDK's own deserializer (`GetCredentialReportCommand` as is: the whole XML buffered
 *   and parsed, the content decoded) and `csv-parse/sync` over every column: how the adapter read
 *   the report before it streamed it.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GenerateCredentialReportCommand, GetCredentialReportCommand } from "@aws-sdk/client-iam";
import type { ScenarioUser } from "@keyrotate/sandbox";
import * as E from "fp-ts/lib/Either.js";
import { createAwsClients } from "../src/clients.js";
import * as report from "../src/credentialReport.js";

const MODES = ["stream", "csv", "sdk"] as const;
type Mode = (typeof MODES)[number];

interface ChildInput {
  readonly mode: Mode;
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

interface ChildResult {
  readonly mode: Mode;
  readonly ms: number;
  readonly users: number;
  readonly idleRssBytes: number;
  readonly maxRssBytes: number;
  readonly error?: string;
}

const RESULT = "REPORT_MEMORY ";
const self = fileURLToPath(import.meta.url);

/** A user of the measured account: keys of every shape the report has. */
const user = (i: number): ScenarioUser => {
  const name = `user-${String(i).padStart(6, "0")}`;
  const keys: NonNullable<ScenarioUser["keys"]> = [];
  if (i % 10 !== 0) keys.push({ ageDays: 2 + (i % 90), lastUsedDaysAgo: i % 3 === 0 ? 1 : 0 });
  if (i % 4 === 0)
    keys.push({ ageDays: 1 + (i % 30), status: i % 8 === 0 ? "Inactive" : "Active" });
  return { name, tags: { email: `${name}@example.com` }, keys };
};

/** Reads the report the way `mode` says and returns how many users it holds. */
const readReport = async (mode: Mode, input: ChildInput): Promise<number> => {
  const clients = createAwsClients({
    endpoint: input.endpoint,
    region: input.region,
    credentials: input.credentials,
  });
  const polling = { initialDelayMs: 50 };
  if (mode === "sdk") {
    await clients.iam.send(new GenerateCredentialReportCommand({}));
    for (let attempt = 0; ; attempt += 1) {
      try {
        const out = await clients.iam.send(new GetCredentialReportCommand({}));
        const csv = Buffer.from(out.Content ?? new Uint8Array()).toString("utf8");
        const { parse } = await import("csv-parse/sync");
        const rows = parse(csv, { bom: true, skip_empty_lines: true }) as string[][];
        return rows.length - 2;
      } catch (e) {
        if (attempt > 50) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  if (mode === "csv") {
    const fetched = await report.fetchCredentialReport(clients.iam, polling);
    if (E.isLeft(fetched)) throw fetched.left;
    const parsed = report.parseCredentialReport(fetched.right.csv);
    if (E.isLeft(parsed)) throw parsed.left;
    return parsed.right.length;
  }
  const read = (
    report as unknown as {
      readCredentialReport?: (
        iam: unknown,
        polling: unknown,
      ) => Promise<E.Either<Error, { usersSeen: number }>>;
    }
  ).readCredentialReport;
  if (read === undefined)
    throw new Error("this version of the adapter has no readCredentialReport");
  const fetched = await read(clients.iam, polling);
  if (E.isLeft(fetched)) throw fetched.left;
  return fetched.right.usersSeen;
};

const child = async (input: ChildInput): Promise<void> => {
  const idleRssBytes = process.memoryUsage().rss;
  const start = performance.now();
  let users = 0;
  let error: string | undefined;
  try {
    users = await readReport(input.mode, input);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const result: ChildResult = {
    mode: input.mode,
    ms: performance.now() - start,
    users,
    idleRssBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(error === undefined ? {} : { error }),
  };
  process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`);
};

const runChild = (input: ChildInput): Promise<ChildResult> =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ["--conditions=@keyrotate/source", "--import", "tsx", self, "--child", JSON.stringify(input)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    proc.on("error", reject);
    proc.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(RESULT));
      if (line === undefined) reject(new Error(`the ${input.mode} child exited with ${code}`));
      else resolve(JSON.parse(line.slice(RESULT.length)) as ChildResult);
    });
  });

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      users: { type: "string", default: "100000" },
      modes: { type: "string", default: MODES.join(",") },
      child: { type: "string" },
    },
  });
  if (values.child !== undefined) {
    await child(JSON.parse(values.child) as ChildInput);
    return;
  }
  const users = Number(values.users);
  const modes = values.modes.split(",").filter((m): m is Mode => MODES.includes(m as Mode));
  const { startSandbox } = await import("@keyrotate/sandbox");
  const seeding = performance.now();
  const sandbox = await startSandbox({
    now: "2026-11-23T09:00:00Z",
    randomSeed: 1,
    reportGenerationMs: 5,
    seed: { users: Array.from({ length: users }, (_, i) => user(i)) },
  });
  console.log(
    `sandbox: ${users.toLocaleString("en")} users seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
  );
  try {
    const { endpoint, region, credentials } = sandbox.clientConfig();
    console.log("mode    time      users    idle RSS  peak RSS  growth");
    for (const mode of modes) {
      const r = await runChild({
        mode,
        endpoint,
        region,
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
        },
      });
      console.log(
        [
          mode.padEnd(7),
          `${(r.ms / 1000).toFixed(2)} s`.padEnd(9),
          String(r.users).padEnd(8),
          mib(r.idleRssBytes).padEnd(9),
          mib(r.maxRssBytes).padEnd(9),
          mib(r.maxRssBytes - r.idleRssBytes),
          r.error === undefined ? "" : `  FAILED: ${r.error}`,
        ].join(" "),
      );
    }
  } finally {
    await sandbox.close();
  }
};

await main();
