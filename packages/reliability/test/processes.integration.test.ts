import { rmSync } from "node:fs";
import { join } from "node:path";
import { CreateAccessKeyCommand, IAMClient } from "@aws-sdk/client-iam";
import { buildLambda, packageDir } from "@keyrotate/lambda/build";
import type { ScenarioUser } from "@keyrotate/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkAccount,
  checkNoticeBeforeDeactivation,
  type ProcessHarness,
  type RunnerKind,
  type RunnerOutcome,
  readAccountState,
  type SecretStore,
  STATE_TAG,
  seededInts,
  startProcessHarness,
} from "../src/processes.js";

// The CLI and the built Lambda bundle as real processes, against a sandbox in a process of its
// own: SIGKILL at random points of a run, two runs started together, planted markers. After
// convergence (rerun until a run changes nothing) the account must keep issue 12's promises.

const NOW = "2026-11-23T09:00:00Z";

const overdue = (name: string, n: number): ScenarioUser => ({
  name,
  tags: { email: `${name}@example.com` },
  keys: [
    { ageDays: 95, lastUsedDaysAgo: 1, id: `AKIA${name.toUpperCase().padEnd(12, "X")}000${n}` },
  ],
});
const users: ScenarioUser[] = [
  overdue("alice", 1),
  overdue("bob", 2),
  overdue("carol", 3),
  overdue("dave", 4),
  {
    name: "erin",
    tags: { email: "erin@example.com" },
    keys: [{ ageDays: 5, lastUsedDaysAgo: 0, id: "AKIAERINXXXXXXXX0005" }],
  },
];
const keysOf = (list: ReadonlyArray<ScenarioUser>): Record<string, string[]> =>
  Object.fromEntries(list.map((u) => [u.name, (u.keys ?? []).map((k) => k.id as string)]));

let h: ProcessHarness;
const outDir = join(packageDir, "dist", `processes-${process.pid}`);

beforeAll(async () => {
  const bundle = await buildLambda({ outDir });
  h = await startProcessHarness({ bundlePath: bundle.bundlePath });
}, 180_000);

afterAll(async () => {
  await h?.close();
  rmSync(outDir, { recursive: true, force: true });
});

/** The calls of one uninterrupted run on `list`: the range kill points are drawn from. */
const callsOfOneRun = async (
  kind: RunnerKind,
  list: ReadonlyArray<ScenarioUser> = users,
  harness: ProcessHarness = h,
): Promise<number> => {
  await harness.sandbox.reset([...list], NOW);
  const outcome = await harness.runner(kind);
  expect(outcome.report?.status, outcome.stderr).toBe("completed");
  return harness.sandbox.totalCalls();
};

const killSeries = async (kind: RunnerKind, tries: number, seed: number) => {
  const draw = seededInts(seed);
  const total = await callsOfOneRun(kind);
  const figures = {
    tries,
    landed: 0,
    convergeRuns: 0,
    maxConvergeRuns: 0,
    fileNotNamed: 0,
    ms: 0,
  };
  const started = Date.now();
  const problems: string[] = [];
  for (let i = 0; i < tries; i += 1) {
    await h.sandbox.reset(users, NOW);
    const at = draw(1, total);
    const killed: RunnerOutcome = await h.runner(kind, { killAfterCalls: at });
    if (killed.killed) figures.landed += 1;
    const runs = await h.converge();
    figures.convergeRuns += runs.length;
    figures.maxConvergeRuns = Math.max(figures.maxConvergeRuns, runs.length);
    const violations = checkAccount(await readAccountState(h.sandbox), keysOf(users));
    figures.fileNotNamed += violations.filter((v) => v.check === "file-not-named").length;
    problems.push(
      ...violations.map((v) => `try ${i} (kill after call ${at}): ${v.check} ${v.detail}`),
    );
  }
  figures.ms = Date.now() - started;
  console.info(`SIGKILL of the ${kind}: ${JSON.stringify({ callsPerRun: total, ...figures })}`);
  return { problems, figures };
};

describe("real processes killed with SIGKILL at random points", () => {
  it("the CLI: 20 kills, then convergence keeps every promise", async () => {
    const { problems, figures } = await killSeries("cli", 20, 12);
    expect(problems).toEqual([]);
    expect(figures.landed).toBeGreaterThanOrEqual(15);
  }, 600_000);

  it("the built Lambda bundle: 20 kills, then convergence keeps every promise", async () => {
    const { problems, figures } = await killSeries("bundle", 20, 13);
    expect(problems).toEqual([]);
    expect(figures.landed).toBeGreaterThanOrEqual(15);
  }, 600_000);
});

describe("two runs started together", () => {
  it("the CLI and the bundle, 10 rounds: one run at a time, each key rotated once", async () => {
    const problems: string[] = [];
    const waits: number[] = [];
    for (let round = 0; round < 10; round += 1) {
      await h.sandbox.reset(users, NOW);
      const [cli, bundle] = await Promise.all([h.runner("cli"), h.runner("bundle")]);
      for (const o of [cli, bundle]) {
        if (o.report?.status !== "completed") {
          problems.push(`round ${round}: the ${o.kind} ended ${o.code}: ${o.stderr.slice(-300)}`);
        }
      }
      waits.push(Math.abs(cli.ms - bundle.ms));
      await h.converge();
      const state = await readAccountState(h.sandbox);
      const rotations = [cli, bundle].reduce((n, o) => n + (o.report?.counts.rotated ?? 0), 0);
      if (rotations !== 4) problems.push(`round ${round}: ${rotations} rotations, not 4`);
      problems.push(
        ...checkAccount(state, keysOf(users)).map((v) => `round ${round}: ${v.check} ${v.detail}`),
      );
    }
    console.info(`two runs at once, 10 rounds: |run time difference| ms ${JSON.stringify(waits)}`);
    expect(problems).toEqual([]);
  }, 600_000);
});

describe("a Rotated notice re-sent after a crash (POLICY.md invariant 12)", () => {
  it("names the secret file of the new key", async () => {
    const alice = overdue("alice", 1);
    await h.sandbox.reset([alice], NOW);
    // Lease, report (2), tags and keys (2), TagUser, CreateAccessKey, PutObject, TagUser: the
    // CLI dies as the Rotated notice is about to go out.
    await h.runner("cli", { killAfterCalls: 9 });

    await h.converge();

    expect(checkAccount(await readAccountState(h.sandbox), keysOf([alice]))).toEqual([]);
  }, 120_000);
});

describe("what recovery must not touch (issue 12, item 1)", () => {
  it("a planted marker naming the older of two Active keys deletes nothing", async () => {
    const pat: ScenarioUser = {
      name: "pat",
      tags: { email: "pat@example.com", [STATE_TAG]: "rotating:AKIAPATXXXXXXXXX0001:2000-01-01" },
      keys: [
        { ageDays: 70, lastUsedDaysAgo: 1, id: "AKIAPATXXXXXXXXX0001" },
        { ageDays: 5, lastUsedDaysAgo: 0, id: "AKIAPATXXXXXXXXX0002" },
      ],
    };
    await h.sandbox.reset([pat], NOW);

    await h.converge();

    expect(checkAccount(await readAccountState(h.sandbox), keysOf([pat]))).toEqual([]);
  }, 120_000);

  it("a key the user made after a failed rotation survives the next run", async () => {
    const bob = overdue("bob", 2);
    await h.sandbox.reset([bob], NOW);
    await h.sandbox.post("/_sandbox/faults", {
      failOperations: { "iam:CreateAccessKey": { count: 100, status: 500 } },
    });
    const failed = await h.runner("cli");
    expect(failed.report?.counts.failed).toBe(1);
    await h.sandbox.post("/_sandbox/faults", {});
    // Later the same day (two hours on: 11:00), bob makes a key of his own. A key made within
    // 15 minutes of a create whose outcome keyrotate never learned, and never used, cannot be
    // told from keyrotate's (RELIABILITY.md, known limits).
    await h.sandbox.post("/_sandbox/clock", { advanceMs: 2 * 3_600_000 });
    const iam = new IAMClient({
      endpoint: h.sandbox.url,
      region: "us-east-1",
      credentials: {
        accessKeyId: h.sandbox.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: h.sandbox.env.AWS_SECRET_ACCESS_KEY as string,
      },
    });
    const own = await iam.send(new CreateAccessKeyCommand({ UserName: "bob" }));
    iam.destroy();
    await h.sandbox.post("/_sandbox/clock", { advanceDays: 1 });

    await h.converge();

    const protectedKeys = {
      bob: [...(keysOf([bob]).bob ?? []), own.AccessKey?.AccessKeyId as string],
    };
    expect(checkAccount(await readAccountState(h.sandbox), protectedKeys)).toEqual([]);
  }, 120_000);
});

// Issue 13: nobody loses the way to their new key. 20 rotations due; the CLI is stopped at a
// random call by SIGKILL (no chance to finish anything) or SIGINT (Ctrl-C: it finishes the users
// in flight), 20 times each; reruns converge; then the grace period passes and the old keys are
// deactivated. Every user whose key was rotated must have been sent a Rotated notice naming the
// secret file of their current new key, before their old key was deactivated; no secret lost; no
// orphan key (a key keyrotate made and did not deliver); nobody rotated twice.
const twenty: ScenarioUser[] = Array.from({ length: 20 }, (_, i) => {
  const name = `u${String(i).padStart(2, "0")}`;
  return {
    name,
    tags: { email: `${name}@example.com` },
    keys: [{ ageDays: 95, lastUsedDaysAgo: 1, id: `AKIAUSER${String(i).padStart(12, "0")}` }],
  };
});

const stopSeries = async (
  signal: "SIGKILL" | "SIGINT",
  tries: number,
  seed: number,
  { harness = h, store = "s3" }: { harness?: ProcessHarness; store?: SecretStore } = {},
) => {
  const h = harness;
  const draw = seededInts(seed);
  const total = await callsOfOneRun("cli", twenty, h);
  const figures = { tries, stoppedMidRun: 0, exit130: 0, convergeRuns: 0, deactivated: 0, ms: 0 };
  const started = Date.now();
  const problems: string[] = [];
  for (let i = 0; i < tries; i += 1) {
    await h.sandbox.reset(twenty, NOW);
    const at = draw(1, total);
    const stopped = await h.runner("cli", { killAfterCalls: at, signal });
    if (stopped.killed && stopped.report?.counts.rotated !== 20) figures.stoppedMidRun += 1;
    if (stopped.code === 130) figures.exit130 += 1;
    const where = `try ${i} (${signal} after call ${at})`;
    if (signal === "SIGINT" && stopped.killed && stopped.code !== 130 && stopped.code !== 0) {
      problems.push(`${where}: exit ${stopped.code}, not 130: ${stopped.stderr.slice(-300)}`);
    }
    figures.convergeRuns += (await h.converge()).length;
    const settled = await readAccountState(h.sandbox);
    problems.push(
      ...checkAccount(settled, keysOf(twenty), store).map(
        (v) => `${where}: ${v.check} ${v.detail}`,
      ),
    );
    // The grace period passes (DEACTIVATE_DAYS = 10): the old keys are deactivated.
    await h.sandbox.post("/_sandbox/clock", { advanceDays: 11 });
    figures.convergeRuns += (await h.converge()).length;
    const later = await readAccountState(h.sandbox);
    const oldKeys = new Set(Object.values(keysOf(twenty)).flat());
    figures.deactivated += later.keyEvents.filter(
      (e) => e.statusAfter === "Inactive" && oldKeys.has(e.accessKeyId),
    ).length;
    problems.push(
      ...[
        ...checkAccount(later, keysOf(twenty), store).filter(
          (v) => v.check !== "foreign-key-deleted",
        ),
        ...checkNoticeBeforeDeactivation(later, keysOf(twenty), store),
      ].map((v) => `${where}, day 11: ${v.check} ${v.detail}`),
    );
  }
  figures.ms = Date.now() - started;
  console.info(
    `${signal} of the CLI, 20 rotations due, SECRET_STORE=${store}: ${JSON.stringify({ callsPerRun: total, ...figures })}`,
  );
  return { problems, figures };
};

describe("issue 13: a stopped run never loses the way to a new key", () => {
  it("SIGKILL at 20 random points: every rotated user was told where the new secret is before the old key stopped", async () => {
    const { problems, figures } = await stopSeries("SIGKILL", 20, 21);
    expect(problems).toEqual([]);
    expect(figures.stoppedMidRun).toBeGreaterThanOrEqual(15);
    expect(figures.deactivated).toBe(20 * 20);
  }, 900_000);

  it("SIGINT at 20 random points: the same, and the run exits 130 having finished its users in flight", async () => {
    const { problems, figures } = await stopSeries("SIGINT", 20, 22);
    expect(problems).toEqual([]);
    expect(figures.exit130).toBeGreaterThanOrEqual(15);
    expect(figures.deactivated).toBe(20 * 20);
  }, 900_000);
});

// Issue 17: the same with the Secrets Manager store, the CLI against a sandbox process of its own.
// A SIGKILL may land between any two of a rotation's Secrets Manager calls (the secret made
// without a value, its policy, the value's version): every rotated user must still find their
// new key's secret in a labelled version of their own secret, named by the Rotated notice that
// came before their old key was deactivated.
describe("issue 17: a stopped run with SECRET_STORE=secretsmanager", () => {
  let sm: ProcessHarness;

  beforeAll(async () => {
    sm = await startProcessHarness({ env: { SECRET_STORE: "secretsmanager" }, randomSeed: 17 });
  }, 180_000);

  afterAll(async () => {
    await sm?.close();
  });

  it("SIGKILL at 10 random points: no secret lost, every new key's secret named before its old key stopped", async () => {
    const { problems, figures } = await stopSeries("SIGKILL", 10, 23, {
      harness: sm,
      store: "secretsmanager",
    });
    expect(problems).toEqual([]);
    expect(figures.stoppedMidRun).toBeGreaterThanOrEqual(7);
    expect(figures.deactivated).toBe(10 * 20);
  }, 900_000);
});
