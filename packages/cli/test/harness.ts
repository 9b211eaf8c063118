import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Sandbox,
  type ScenarioKey,
  type ScenarioUser,
  startSandbox,
} from "@keyrotate/sandbox";
import { secretHygiene } from "@keyrotate/testkit";
import { afterAll, afterEach, beforeAll } from "vitest";
import { main } from "../src/cli.js";
import type { CliIo } from "../src/io.js";

export const SENDER = "keyrotate@example.com";
export const BUCKET = "creds-bucket";
export const START = "2026-03-01T09:00:00Z";

/** A sandbox seeded with the sender, the bucket and `users`, its clock at `now`. */
export const startTestSandbox = (users: ScenarioUser[], now = START): Promise<Sandbox> =>
  startSandbox({
    now,
    randomSeed: 11,
    reportGenerationMs: 1,
    seed: { verifiedEmails: [SENDER], buckets: [BUCKET], users },
  });

/** A user whose email tag is `<name>@example.com`, holding `keys`. */
export const userWithKeys = (name: string, ...keys: ScenarioKey[]): ScenarioUser => ({
  name,
  tags: { email: `${name}@example.com` },
  keys,
});

/** alice: one key `AKIAALICE00000000001`, `ageDays` old, used yesterday. */
export const alice = (ageDays: number): ScenarioUser =>
  userWithKeys("alice", { id: "AKIAALICE00000000001", ageDays, lastUsedDaysAgo: 1 });

/** The settings a run against the test sandbox needs, as `--set` arguments. */
export const deliverySets = [
  "--set",
  `SES_EMAIL=${SENDER}`,
  "--set",
  "SES_REGION=us-east-1",
  "--set",
  `S3_CSV_BUCKET=${BUCKET}`,
];

/** What a command printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The questions the command asked. */
  readonly asked: ReadonlyArray<string>;
}

/** How to run the CLI in a test. */
export interface CliOptions {
  readonly sandbox?: Sandbox;
  readonly env?: Record<string, string>;
  /** Both stdin and stdout are terminals (default false, as in CI). */
  readonly tty?: boolean;
  /** The answer typed at a prompt. */
  readonly answer?: string;
  readonly cwd?: string;
  /** The clock; default the sandbox's, else the start date. */
  readonly now?: () => Date;
  /**
   * Points the CLI at the sandbox with `--endpoint-url` (default true); false leaves finding
   * the sandbox to the environment or a profile, as the test sets them up.
   */
  readonly endpointUrlOption?: boolean;
}

/**
 * Runs `keyrotate <argv>` in-process with captured output. Against a sandbox, the admin
 * credentials come from the environment and `--endpoint-url` points at the sandbox, as a user
 * would do it; the CLI's clock is the sandbox's. Every run against a sandbox is checked for
 * secret hygiene: no secret the sandbox ever issued appears in what the command printed.
 */
export const cli = async (
  argv: ReadonlyArray<string>,
  options: CliOptions = {},
): Promise<CliResult> => {
  let stdout = "";
  let stderr = "";
  const asked: string[] = [];
  const sb = options.sandbox;
  const sandboxEnv = sb === undefined ? {} : sb.env();
  const io: CliIo = {
    env: {
      AWS_ACCESS_KEY_ID: sandboxEnv.AWS_ACCESS_KEY_ID ?? "AKIATESTNOTUSED00000",
      AWS_SECRET_ACCESS_KEY: sandboxEnv.AWS_SECRET_ACCESS_KEY ?? "not-used",
      AWS_REGION: "us-east-1",
      // The CLI's tests are written for the original's timing (POLICY.md, invariant 10).
      MIN_NOTICE_DAYS: "0",
      IN_USE_DELAY_DAYS: "0",
      ...options.env,
    },
    cwd: options.cwd ?? process.cwd(),
    stdout: {
      write: (s) => {
        stdout += s;
      },
      isTTY: options.tty === true,
    },
    stderr: {
      write: (s) => {
        stderr += s;
      },
      isTTY: false,
    },
    stdinIsTTY: options.tty === true,
    ask: async (q) => {
      asked.push(q);
      return options.answer ?? "";
    },
    now: options.now ?? (() => (sb === undefined ? new Date(START) : sb.clock.now())),
    polling: { initialDelayMs: 2, maxDelayMs: 20 },
  };
  const args =
    sb === undefined || options.endpointUrlOption === false
      ? [...argv]
      : [...argv, "--endpoint-url", sb.url];
  const code = await main(args, io);
  if (sb !== undefined) secretHygiene(sb).assertClean({ stdout, stderr });
  return { code, stdout, stderr, asked };
};

/** The secrets of every credential file stored in the sandbox. */
export const storedSecrets = (sandbox: Sandbox): string[] =>
  sandbox
    .objects(BUCKET)
    .map((o) => o.body.toString("utf8").trim().split("\n")[1]?.split(",")[2] ?? "")
    .filter((s) => s.length > 0);

/** A local endpoint that answers every request with a 500 (an AWS outage) and counts them. */
export interface FailingEndpoint {
  readonly url: string;
  /** Requests received since the last `reset`. */
  readonly received: () => number;
  readonly reset: () => void;
  readonly close: () => Promise<void>;
}

/** Starts a {@link FailingEndpoint} on 127.0.0.1. */
export const startFailingEndpoint = async (): Promise<FailingEndpoint> => {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received += 1;
      res.writeHead(500, { "content-type": "text/xml" });
      res.end(
        "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>down</Message></Error><RequestId>r</RequestId></ErrorResponse>",
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    reset: () => {
      received = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

/**
 * A failing endpoint for every test of the file: started before the first test, closed after
 * the last. Call it at the top of a test file; tests use what it returns as the endpoint itself.
 */
export const failingEndpointForFile = (): FailingEndpoint => {
  let endpoint: FailingEndpoint | undefined;
  beforeAll(async () => {
    endpoint = await startFailingEndpoint();
  });
  afterAll(() => endpoint?.close());
  const started = (): FailingEndpoint => {
    if (endpoint === undefined) throw new Error("the failing endpoint starts before the tests");
    return endpoint;
  };
  return {
    get url() {
      return started().url;
    },
    received: () => started().received(),
    reset: () => started().reset(),
    close: () => started().close(),
  };
};

/**
 * Returns how to start a test sandbox (as {@link startTestSandbox}) that is closed after the test
 * that started it. Call it in a `describe` block whose tests each start their own.
 */
export const sandboxPerTest = (): ((users: ScenarioUser[], now?: string) => Promise<Sandbox>) => {
  const open: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (users, now) => {
    const s = await startTestSandbox(users, now);
    open.push(s);
    return s;
  };
};
