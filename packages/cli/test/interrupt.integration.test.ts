import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Sandbox, type ScenarioUser, startSandbox } from "@keyrotate/sandbox";
import { secretHygiene } from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { BUCKET, cli, deliverySets, SENDER, START } from "./harness.js";

// `keyrotate run --yes` in a process of its own, stopped by real signals while it rotates 20
// users against the sandbox (whose latency makes the run last a few seconds).

const USERS = 20;
const oldKeyOf = (i: number) => `AKIAINTR${String(i).padStart(12, "0")}`;
const users: ScenarioUser[] = Array.from({ length: USERS }, (_, i) => ({
  name: `user${String(i).padStart(2, "0")}`,
  tags: { email: `user${i}@example.com` },
  keys: [{ ageDays: 95, lastUsedDaysAgo: 1, id: oldKeyOf(i) }],
}));
// Rotation on first sight (the original's timing); two users at a time, so the run lasts.
// A lease left by a process that exited at once expires after 3 s, so that reruns go ahead.
const runEnv = {
  MIN_NOTICE_DAYS: "0",
  IN_USE_DELAY_DAYS: "0",
  CONCURRENCY: "2",
  LEASE_TTL_SECONDS: "3",
};

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const executable = fileURLToPath(new URL("./fixedClockMain.ts", import.meta.url));

let sandbox: Sandbox | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  child = undefined;
  await sandbox?.close();
  sandbox = undefined;
});

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `keyrotate run --yes` against `sb` in a child process (tsx), the sandbox's clock its own. */
const startRun = (
  sb: Sandbox,
): { process: ChildProcess; stderr: () => string; finished: Promise<Finished> } => {
  const proc = spawn(
    process.execPath,
    [
      "--conditions=@keyrotate/source",
      "--import",
      "tsx",
      executable,
      "run",
      "--yes",
      ...deliverySets,
      "--endpoint-url",
      sb.url,
    ],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? "",
        ...sb.env(),
        ...runEnv,
        KEYROTATE_TEST_NOW: sb.clock.now().toISOString(),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child = proc;
  let stdout = "";
  let stderr = "";
  proc.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
  });
  proc.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  const finished = new Promise<Finished>((resolve) => {
    proc.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
  return { process: proc, stderr: () => stderr, finished };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (at most 30 s) until `done()`. */
const waitFor = async (done: () => boolean, what = "the condition"): Promise<void> => {
  for (let waited = 0; waited < 30_000; waited += 10) {
    if (done()) return;
    await sleep(10);
  }
  throw new Error(`waited 30 s in vain for ${what}`);
};

/** Waits (at most 30 s) until the sandbox has seen `operation`. */
const waitForCall = (sb: Sandbox, operation: string): Promise<void> =>
  waitFor(() => (sb.calls()[operation] ?? 0) > 0, `a call of ${operation}`);

/**
 * Every user is whole: no in-flight marker, and a key keyrotate made is committed (tracking tags
 * name the old key), its secret stored and announced in a notice naming it. Returns the problems.
 */
const halfDone = (sb: Sandbox): string[] => {
  const problems: string[] = [];
  for (const [i, u] of sb.users().entries()) {
    const tags = Object.fromEntries(u.tags.map((t) => [t.key, t.value]));
    if (tags["key-rotation-state"] !== undefined) problems.push(`${u.name}: marker left`);
    for (const key of u.keys.filter((k) => k.accessKeyId !== oldKeyOf(i))) {
      const id = key.accessKeyId;
      if (tags["last-check-old-key"] !== oldKeyOf(i)) problems.push(`${u.name}: ${id} uncommitted`);
      const file = sb.objects(BUCKET).find((o) => o.key.endsWith(`/${u.name}_${id}.csv`));
      if (file?.body.toString("utf8").includes(`${id},${sb.secretOf(id)}`) !== true)
        problems.push(`${u.name}: ${id} has no stored secret`);
      if (!sb.emails().some((e) => (e.text ?? "").includes(id)))
        problems.push(`${u.name}: ${id} never announced`);
    }
  }
  return problems;
};

const rotatedUsers = (sb: Sandbox): number => sb.users().filter((u) => u.keys.length === 2).length;

/**
 * Reruns `keyrotate run --yes` in-process until it has nothing left to do (at most 3 runs). The
 * next run comes later: requests the stopped process had in flight land first (the sandbox
 * answers them after its latency, as AWS may still apply a dead client's request).
 */
const converge = async (sb: Sandbox): Promise<void> => {
  await sleep(500);
  sb.setFaults({});
  for (let run = 0; run < 3 && rotatedUsers(sb) < USERS; run++) {
    const rerun = await cli(["run", "--yes", ...deliverySets], { sandbox: sb, env: runEnv });
    expect(rerun.code, `rerun ${run + 1}:\n${rerun.stdout}${rerun.stderr}`).toBe(0);
  }
  expect(rotatedUsers(sb), "every user rotated after the reruns").toBe(USERS);
  expect(halfDone(sb), "nobody half-done after the reruns").toEqual([]);
};

const startSlowSandbox = async (latencyMs: number): Promise<Sandbox> => {
  sandbox = await startSandbox({
    now: START,
    randomSeed: 17,
    reportGenerationMs: 1,
    seed: { verifiedEmails: [SENDER], buckets: [BUCKET], users },
    faults: { latencyMs },
  });
  return sandbox;
};

describe("keyrotate run stopped by a signal, in a process of its own", () => {
  // A random point of the rotations: within 1 s after the first key was created. With 40 ms a
  // call, 2 users at a time and 6 changes a rotation, the rotations last at least 2 s more.
  it.each([1, 2, 3])(
    "SIGINT at a random point (try %i): the users in flight finish, the rest are deferred, exit 130, the next run continues",
    async () => {
      const sb = await startSlowSandbox(40);
      const run = startRun(sb);
      await waitForCall(sb, "iam:CreateAccessKey");
      const delay = Math.floor(Math.random() * 1000);
      await sleep(delay);

      run.process.kill("SIGINT");
      const { code, stdout, stderr } = await run.finished;

      secretHygiene(sb).assertClean({ stdout, stderr });
      const context = `SIGINT ${delay} ms after the first CreateAccessKey\n${stderr}`;
      expect(code, context).toBe(130);
      expect(stderr, context).toContain(
        "keyrotate run: SIGINT: finishing the users in flight, then stopping",
      );
      const summary =
        /stopped by SIGINT: (\d+) users? finished \(none is half-done\), (\d+) deferred\. The next run continues with (it|them)\./.exec(
          stderr,
        );
      expect(summary, context).not.toBeNull();
      expect(Number(summary?.[1]) + Number(summary?.[2]), context).toBe(USERS);
      expect(Number(summary?.[2]), `the signal came mid-run: ${context}`).toBeGreaterThan(0);
      expect(rotatedUsers(sb), context).toBe(Number(summary?.[1]));
      expect(halfDone(sb), context).toEqual([]);
      await converge(sb);
    },
  );

  it("SIGTERM stops the same way, with exit 143", async () => {
    const sb = await startSlowSandbox(25);
    const run = startRun(sb);
    await waitForCall(sb, "iam:CreateAccessKey");

    run.process.kill("SIGTERM");
    const { code, stderr } = await run.finished;

    expect(code, stderr).toBe(143);
    expect(stderr).toMatch(/stopped by SIGTERM: \d+ users? finished/);
    expect(halfDone(sb)).toEqual([]);
    await converge(sb);
  });

  it("a signal before the first change to a user stops the run, releases the run lease, and nothing was done", async () => {
    const sb = await startSlowSandbox(40);
    const run = startRun(sb);
    await waitForCall(sb, "iam:GetCredentialReport");

    run.process.kill("SIGINT");
    const { code, stderr } = await run.finished;

    expect(code, stderr).toBe(130);
    expect(stderr).toContain(
      "keyrotate run: SIGINT: stopping before any change to a user; the run lease is released first.",
    );
    expect(stderr).toMatch(
      /stopped by SIGINT: 0 users finished \(none is half-done\), 20 deferred/,
    );
    expect(sb.keyEvents()).toEqual([]);
    expect(sb.emails()).toEqual([]);
    expect(sb.objects(BUCKET).map((o) => o.key)).toEqual([]);
    await converge(sb);
  });

  it("a second SIGINT exits at once and says so; the next runs finish or undo what it left", async () => {
    const sb = await startSlowSandbox(25);
    const run = startRun(sb);
    await waitForCall(sb, "iam:CreateAccessKey");

    run.process.kill("SIGINT");
    // The second Ctrl-C once the first is seen (two signals sent at once may arrive as one).
    await waitFor(() => run.stderr().includes("finishing the users in flight"));
    run.process.kill("SIGINT");
    const { code, stderr } = await run.finished;

    expect(code, stderr).toBe(130);
    expect(stderr).toContain("keyrotate run: SIGINT again: exiting at once.");
    await converge(sb);
  });
});
