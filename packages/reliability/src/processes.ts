/**
 * Real processes against a sandbox in a process of its own: the CLI and the built Lambda bundle
 * run as separate Node processes, can be killed with SIGKILL at a chosen point of their calls,
 * or started together; afterwards the account is read over the sandbox's inspection API and
 * checked. Reusable: a test builds a {@link ProcessHarness}, runs its scenarios through
 * {@link ProcessHarness.runner} and {@link ProcessHarness.converge}, and checks the account with
 * {@link checkAccount} (add checks there).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readSecretFile, secretObjectKey, secretsManagerFormat } from "@keyrotate/aws-adapter";
import type { Scenario, ScenarioUser, SentEmail } from "@keyrotate/sandbox";
import { readNotice, type SeenNotice } from "@keyrotate/sandbox/verify";

/** The repository's root: tsx and the packages' sources are found from there. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

const SANDBOX_CLI = join(repoRoot, "packages/sandbox/src/cli.ts");
const CLI_CHILD = fileURLToPath(new URL("./children/cli-child.ts", import.meta.url));
const BUNDLE_CHILD = fileURLToPath(new URL("./children/bundle-child.ts", import.meta.url));

/** The sender, bucket and region every scenario of the harness uses. */
export const SENDER = "keyrotate@example.com";
export const BUCKET = "keyrotate-credentials";
export const STATE_TAG = "key-rotation-state";

/** A sandbox running in a child process, reached over HTTP. */
export interface SandboxProcess {
  readonly url: string;
  /** `AWS_ENDPOINT_URL`, the admin credentials and the region. */
  readonly env: Readonly<Record<string, string>>;
  readonly get: <T>(path: string) => Promise<T>;
  readonly post: (path: string, body?: unknown) => Promise<void>;
  /** Empties the account, sets the clock and seeds `users` with the sender and the bucket. */
  readonly reset: (users: ReadonlyArray<ScenarioUser>, now: string) => Promise<void>;
  /** The sum of every call the sandbox received since the last reset. */
  readonly totalCalls: () => Promise<number>;
  readonly close: () => Promise<void>;
}

const waitForLine = (child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> =>
  new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      reject(new Error(`no ${pattern} within ${timeoutMs} ms; output: ${seen.slice(-500)}`));
    }, timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      const match = pattern.exec(seen);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1] ?? match[0]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}; output: ${seen.slice(-500)}`));
    });
  });

/** Starts `packages/sandbox/src/cli.ts` in a child process and waits for its URL. */
export const startSandboxProcess = async (
  options: { readonly now: string; readonly randomSeed: number } = {
    now: "2026-11-23T09:00:00Z",
    randomSeed: 7,
  },
): Promise<SandboxProcess> => {
  const child = spawn(
    process.execPath,
    [
      // The workspace's packages resolve to their TypeScript sources, as in every test.
      "--conditions=@keyrotate/source",
      "--import",
      "tsx",
      SANDBOX_CLI,
      "--port",
      "0",
      "--now",
      options.now,
      "--random-seed",
      String(options.randomSeed),
      "--report-generation-ms",
      "5",
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  const url = await waitForLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
  const request = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const sandbox: SandboxProcess = {
    url,
    env: {
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: "AKIASANDBOXADMIN0001",
      AWS_SECRET_ACCESS_KEY: "sandbox+admin+secret+key+for+local+use+0",
      AWS_REGION: "us-east-1",
    },
    get: async <T>(path: string) => (await (await request("GET", path)).json()) as T,
    post: async (path, body) => {
      await (await request("POST", path, body ?? {})).text();
    },
    reset: async (users, now) => {
      await sandbox.post("/_sandbox/reset");
      await sandbox.post("/_sandbox/clock", { now });
      const seed: Scenario = { verifiedEmails: [SENDER], buckets: [BUCKET], users: [...users] };
      await sandbox.post("/_sandbox/seed", seed);
    },
    totalCalls: async () => {
      const { calls } = await sandbox.get<{ calls: Record<string, number> }>("/_sandbox/calls");
      return Object.values(calls).reduce((a, b) => a + b, 0);
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
  return sandbox;
};

/** Which real program a runner starts. */
export type RunnerKind = "cli" | "bundle";

/** How one runner process ended. */
export interface RunnerOutcome {
  readonly kind: RunnerKind;
  /** The exit code, or null when killed. */
  readonly code: number | null;
  readonly killed: boolean;
  /** The run report the process printed, when it got that far. */
  readonly report: RunReportSummary | undefined;
  readonly stderr: string;
  readonly ms: number;
}

/** The part of a run report the harness reads. */
export interface RunReportSummary {
  readonly status: "completed" | "failed";
  readonly error?: { readonly tag: string; readonly message: string };
  readonly counts: Readonly<Record<string, number>>;
}

/** Options of {@link ProcessHarness.runner}. */
export interface RunnerOptions {
  /** Signal the process (SIGKILL unless `signal` says otherwise) once the sandbox has received this many calls. */
  readonly killAfterCalls?: number;
  /** The signal `killAfterCalls` sends (default SIGKILL; SIGINT is a Ctrl-C). */
  readonly signal?: "SIGKILL" | "SIGINT" | "SIGTERM";
  /** Extra environment (settings) for this run. */
  readonly env?: Readonly<Record<string, string>>;
  /** Give up (SIGKILL) after this long (default 120 s). */
  readonly timeoutMs?: number;
}

/**
 * The settings of every run: the sandbox's sender and bucket, the original's timing (the new
 * notice rules off, so that an overdue key is rotated on first sight), and a short lease so that
 * a killed run's lease expires within seconds.
 */
export const runnerEnv = (sandbox: SandboxProcess): Record<string, string> => ({
  ...sandbox.env,
  SES_EMAIL: SENDER,
  SES_REGION: "us-east-1",
  S3_CSV_BUCKET: BUCKET,
  MIN_NOTICE_DAYS: "0",
  IN_USE_DELAY_DAYS: "0",
  LEASE_TTL_SECONDS: "3",
  LEASE_WAIT_SECONDS: "20",
});

/** A sandbox process and the programs that run against it. */
export interface ProcessHarness {
  readonly sandbox: SandboxProcess;
  /** Starts one run of the CLI (`keyrotate run --yes --json`) or of the bundle's handler. */
  readonly runner: (kind: RunnerKind, options?: RunnerOptions) => Promise<RunnerOutcome>;
  /**
   * Runs the CLI until a run changes nothing (at most `maxRuns`); the runs' outcomes. Throws
   * when the account does not settle.
   */
  readonly converge: (maxRuns?: number) => Promise<RunnerOutcome[]>;
  readonly close: () => Promise<void>;
}

/** A run that found nothing to do: no key changed, no notice sent, nobody failed. */
export const changedNothing = (report: RunReportSummary | undefined): boolean =>
  report !== undefined &&
  report.status === "completed" &&
  ["rotated", "deactivated", "deleted", "noticesSent", "failed", "deferred"].every(
    (k) => (report.counts[k] ?? 0) === 0,
  );

/**
 * Starts a sandbox process and returns the harness. `bundlePath` is the built Lambda bundle
 * (`buildLambda`), needed only for `bundle` runners.
 */
export const startProcessHarness = async (
  options: {
    readonly bundlePath?: string;
    readonly randomSeed?: number;
    /** Settings of every run, over {@link runnerEnv} (e.g. `SECRET_STORE`). */
    readonly env?: Readonly<Record<string, string>>;
  } = {},
): Promise<ProcessHarness> => {
  const sandbox = await startSandboxProcess({
    now: "2026-11-23T09:00:00Z",
    randomSeed: options.randomSeed ?? 7,
  });
  const dir = mkdtempSync(join(tmpdir(), "keyrotate-processes-"));
  const runner = async (kind: RunnerKind, o: RunnerOptions = {}): Promise<RunnerOutcome> => {
    const started = Date.now();
    const reportFile = join(dir, `${randomUUID()}.json`);
    const args =
      kind === "cli"
        ? [CLI_CHILD, "run", "--yes", "--json"]
        : [BUNDLE_CHILD, options.bundlePath ?? "(no bundle built)"];
    const child = spawn(
      process.execPath,
      ["--conditions=@keyrotate/source", "--import", "tsx", ...args],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          ...runnerEnv(sandbox),
          ...options.env,
          ...o.env,
          KEYROTATE_REPORT_FILE: reportFile,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    let killed = false;
    const kill = () => {
      if (child.exitCode === null && !killed) {
        killed = true;
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(kill, o.timeoutMs ?? 120_000);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    if (o.killAfterCalls !== undefined) {
      const limit = o.killAfterCalls;
      void (async () => {
        while (child.exitCode === null && !killed) {
          if ((await sandbox.totalCalls()) >= limit) {
            if (o.signal === undefined || o.signal === "SIGKILL") kill();
            else if (child.exitCode === null) {
              killed = true;
              child.kill(o.signal);
            }
            return;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
    }
    const code = await exited;
    clearTimeout(timer);
    let report: RunReportSummary | undefined;
    try {
      report = JSON.parse(readFileSync(reportFile, "utf8")) as RunReportSummary;
    } catch {
      report = kind === "cli" ? parseJson(stdout) : undefined;
    }
    return { kind, code, killed, report, stderr, ms: Date.now() - started };
  };
  return {
    sandbox,
    runner,
    converge: async (maxRuns = 4) => {
      const outcomes: RunnerOutcome[] = [];
      for (let i = 0; i < maxRuns; i += 1) {
        const outcome = await runner("cli");
        outcomes.push(outcome);
        if (changedNothing(outcome.report)) return outcomes;
      }
      throw new Error(
        `the account did not settle in ${maxRuns} runs: ${JSON.stringify(outcomes.map((o) => [o.code, o.report?.counts, o.report?.error, o.stderr.slice(-300)]))}`,
      );
    },
    close: async () => {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const parseJson = (text: string): RunReportSummary | undefined => {
  try {
    return JSON.parse(text) as RunReportSummary;
  } catch {
    return undefined;
  }
};

/** The account as the sandbox's inspection API shows it. */
export interface AccountState {
  readonly users: ReadonlyArray<{
    readonly name: string;
    readonly tags: ReadonlyArray<{ readonly key: string; readonly value: string }>;
    readonly keys: ReadonlyArray<{
      readonly accessKeyId: string;
      readonly status: "Active" | "Inactive";
      readonly secretAccessKey?: string;
    }>;
  }>;
  readonly emails: ReadonlyArray<{
    readonly destinations?: { readonly to: ReadonlyArray<string> };
    readonly subject?: string;
    readonly text?: string;
    /** The message tags it was sent with (its kind: `X-Keyrotate-Notice`). */
    readonly tags?: Readonly<Record<string, string>>;
    /** Sandbox time it was sent (ISO). */
    readonly time?: string;
  }>;
  readonly objects: ReadonlyArray<{ readonly key: string; readonly content?: string }>;
  /** Secrets Manager's secrets, with their versions' labels and values. */
  readonly secrets: ReadonlyArray<{
    readonly name: string;
    readonly deletedDate?: string;
    readonly versions: ReadonlyArray<{
      readonly stages: ReadonlyArray<string>;
      readonly secretString?: string;
    }>;
  }>;
  /** The key trail: every creation, status change and deletion, in order (sandbox times). */
  readonly keyEvents: ReadonlyArray<{
    readonly operation: string;
    readonly userName: string;
    readonly accessKeyId: string;
    readonly statusAfter?: string;
    readonly time: string;
  }>;
}

/** Reads users (with secrets), emails, the bucket's objects (with content) and Secrets Manager's secrets (with values). */
export const readAccountState = async (sandbox: SandboxProcess): Promise<AccountState> => {
  const [iam, emails, objects, secrets, trail] = await Promise.all([
    sandbox.get<{ users: AccountState["users"] }>("/_sandbox/iam?secrets=1"),
    sandbox.get<{ emails: AccountState["emails"] }>("/_sandbox/emails"),
    sandbox.get<{ objects: AccountState["objects"] }>(
      `/_sandbox/objects?bucket=${BUCKET}&content=1`,
    ),
    sandbox.get<{ secrets: AccountState["secrets"] }>("/_sandbox/secrets?values=1"),
    sandbox.get<{ keyEvents: AccountState["keyEvents"] }>("/_sandbox/key-events"),
  ]);
  return {
    users: iam.users,
    emails: emails.emails,
    objects: objects.objects,
    secrets: secrets.secrets,
    keyEvents: trail.keyEvents,
  };
};

/** One broken promise found in the account. */
export interface ProcessViolation {
  readonly check:
    | "foreign-key-deleted"
    | "announced-key-destroyed"
    | "secret-lost"
    | "file-not-named"
    | "marker-left"
    | "rotated-twice"
    | "deactivated-before-notice";
  readonly detail: string;
}

/** The Rotated notices among the inspection API's emails, read as every check reads them. */
const rotatedNotices = (emails: AccountState["emails"]): SeenNotice[] =>
  emails.flatMap((e) => {
    const n = readNotice({
      id: "",
      time: new Date(e.time ?? 0),
      source: "",
      destinations: { to: [...(e.destinations?.to ?? [])], cc: [], bcc: [] },
      replyTo: [],
      subject: e.subject ?? null,
      text: e.text ?? null,
      html: null,
      raw: null,
      ...(e.tags === undefined ? {} : { tags: e.tags }),
    } satisfies SentEmail);
    return n?.kind === "Rotated" ? [n] : [];
  });

/** Where a run's new secrets go (`SECRET_STORE`). */
export type SecretStore = "s3" | "secretsmanager";

/**
 * Whether notice `n` names where the secret of its new key is, for `user`: its secret file, or
 * with the Secrets Manager store the user's secret.
 */
const namesItsPlace = (n: SeenNotice, user: string, store: SecretStore): boolean =>
  n.newKeyId !== undefined &&
  (store === "s3"
    ? n.secretFile?.endsWith(`/${secretObjectKey(user, n.newKeyId)}`) === true
    : n.secretFile === secretsManagerFormat.secretName(user));

/** The secret `store` holds for `user`'s key `keyId`, as stored (a labelled version in Secrets Manager). */
const storedSecret = (
  state: AccountState,
  user: string,
  keyId: string,
  store: SecretStore,
): { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined => {
  if (store === "s3") {
    const file = state.objects.find((o) => o.key === secretObjectKey(user, keyId));
    return file?.content === undefined ? undefined : readSecretFile(file.content);
  }
  const secret = state.secrets.find(
    (s) => s.name === secretsManagerFormat.secretName(user) && s.deletedDate === undefined,
  );
  return secret?.versions
    .filter((v) => v.stages.length > 0 && v.secretString !== undefined)
    .map((v) => secretsManagerFormat.read(v.secretString as string))
    .find((v) => v?.accessKeyId === keyId);
};

/**
 * The promises of issue 12 after convergence:
 * - no key keyrotate did not create was deleted (`protectedKeys`: keys at the start, and keys
 *   users made between runs, by user);
 * - no key a Rotated notice announced was deleted or deactivated;
 * - every key keyrotate created and kept has its secret stored in `store` (its secret file, or a
 *   labelled version of the user's Secrets Manager secret), holding its secret, and a Rotated
 *   notice naming it (`secret-lost`), and one that names where it is (`file-not-named`: POLICY.md
 *   invariant 12, also for a notice re-sent after a crash);
 * - no rotation marker is left;
 * - no user was rotated twice (two announced keys) in a run series that should rotate once.
 */
export const checkAccount = (
  state: AccountState,
  protectedKeys: Readonly<Record<string, ReadonlyArray<string>>>,
  store: SecretStore = "s3",
): ProcessViolation[] => {
  const violations: ProcessViolation[] = [];
  for (const [userName, keyIds] of Object.entries(protectedKeys)) {
    const user = state.users.find((u) => u.name === userName);
    for (const id of keyIds) {
      if (!user?.keys.some((k) => k.accessKeyId === id)) {
        violations.push({ check: "foreign-key-deleted", detail: `${userName}: ${id}` });
      }
    }
  }
  for (const user of state.users) {
    const own = protectedKeys[user.name] ?? [];
    // The user's notices: sent to the user's address, `<name>@…` in these scenarios.
    const mine = rotatedNotices(state.emails).filter((n) => n.to.startsWith(`${user.name}@`));
    const announced = new Set(mine.flatMap((n) => (n.newKeyId === undefined ? [] : [n.newKeyId])));
    const named = new Set(
      mine.filter((n) => namesItsPlace(n, user.name, store)).map((n) => n.newKeyId as string),
    );
    for (const id of announced) {
      const key = user.keys.find((k) => k.accessKeyId === id);
      if (key === undefined || key.status !== "Active") {
        violations.push({
          check: "announced-key-destroyed",
          detail: `${user.name}: ${id} ${key === undefined ? "deleted" : "deactivated"}`,
        });
      }
    }
    if (announced.size > 1) {
      violations.push({
        check: "rotated-twice",
        detail: `${user.name}: ${[...announced].join(", ")}`,
      });
    }
    for (const key of user.keys) {
      if (own.includes(key.accessKeyId)) continue;
      const stored = storedSecret(state, user.name, key.accessKeyId, store);
      const holds =
        key.secretAccessKey !== undefined &&
        stored?.accessKeyId === key.accessKeyId &&
        stored.secretAccessKey === key.secretAccessKey;
      if (!holds || !announced.has(key.accessKeyId)) {
        violations.push({
          check: "secret-lost",
          detail: `${user.name}: ${key.accessKeyId} ${holds ? "never announced" : `has no ${store === "s3" ? "secret file" : "labelled secret version"} holding its secret`}`,
        });
      } else if (!named.has(key.accessKeyId)) {
        violations.push({
          check: "file-not-named",
          detail: `${user.name}: ${key.accessKeyId}: no Rotated notice names where its secret is`,
        });
      }
    }
    const marker = user.tags.find((t) => t.key === STATE_TAG && t.value.startsWith("rotating:"));
    if (marker !== undefined) {
      violations.push({ check: "marker-left", detail: `${user.name}: ${marker.value}` });
    }
  }
  return violations;
};

/** A seeded source of integers in [min, max], for reproducible kill points. */
export const seededInts = (seed: number) => {
  let s = seed >>> 0 || 1;
  return (min: number, max: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return min + (s % (max - min + 1));
  };
};

/**
 * POLICY.md invariant 12 on the account's history: an old key (one of `oldKeys`, by user) is
 * never deactivated before a Rotated notice naming where the secret of the key that replaced it
 * is (its file, or with the Secrets Manager store the user's secret) was sent
 * (`deactivated-before-notice`), for every old key that was deactivated.
 */
export const checkNoticeBeforeDeactivation = (
  state: AccountState,
  oldKeys: Readonly<Record<string, ReadonlyArray<string>>>,
  store: SecretStore = "s3",
): ProcessViolation[] => {
  const violations: ProcessViolation[] = [];
  for (const [userName, ids] of Object.entries(oldKeys)) {
    for (const id of ids) {
      const off = state.keyEvents.find(
        (e) =>
          e.userName === userName &&
          e.accessKeyId === id &&
          e.operation === "UpdateAccessKey" &&
          e.statusAfter === "Inactive",
      );
      if (off === undefined) continue;
      const replacement = state.keyEvents.find(
        (e) =>
          e.userName === userName &&
          e.operation === "CreateAccessKey" &&
          e.accessKeyId !== id &&
          state.users.some(
            (u) => u.name === userName && u.keys.some((k) => k.accessKeyId === e.accessKeyId),
          ),
      );
      const file =
        replacement === undefined
          ? undefined
          : store === "s3"
            ? secretObjectKey(userName, replacement.accessKeyId)
            : secretsManagerFormat.secretName(userName);
      const told = rotatedNotices(state.emails).find(
        (n) =>
          replacement !== undefined &&
          n.newKeyId === replacement.accessKeyId &&
          namesItsPlace(n, userName, store) &&
          n.time <= Date.parse(off.time),
      );
      if (told === undefined) {
        violations.push({
          check: "deactivated-before-notice",
          detail: `${userName}: ${id} deactivated at ${off.time} before any Rotated notice naming ${file ?? "a new key's file"}`,
        });
      }
    }
  }
  return violations;
};
