import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type BenchResults, runBench, writeResults } from "../src/bench.js";
import { type BenchOptions, defaultOptions } from "../src/options.js";

const outDir = mkdtempSync(join(tmpdir(), "keyrotate-bench-smoke-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

// Every suite through the same code path as `pnpm bench`, at smoke sizes: 300 users of whom 1 %
// are due, no latency, a throttle loose enough never to bite, and a baseline that finishes.
const options: BenchOptions = {
  ...defaultOptions,
  sizes: [300],
  actionRate: 0.01,
  latencyMs: 0,
  iamRate: 10_000,
  iamBurst: 10_000,
  baselineLimitS: 120,
  coreUsers: 20_000,
  coldStarts: 2,
  orgAccounts: 3,
  orgUsers: 100,
  orgConcurrencies: [2, 3],
  outDir,
};

describe("pnpm bench at smoke sizes", () => {
  let results: BenchResults;

  it("runs every suite and states its conditions and machine", async () => {
    results = await runBench(options, "pnpm bench (smoke test)");

    expect(results.schemaVersion).toBe(2);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    expect(results.options).toMatchObject({ sizes: [300], latencyMs: 0, iamRate: 10_000 });
    expect(results.account).toHaveLength(1);
    expect(results.core).toMatchObject({ suite: "core", users: 20_000 });
    expect(results.core?.decisionsPerSecond).toBeGreaterThan(0);
    expect(results.lambda?.coldStarts).toBe(2);
    expect(results.lambda?.bundleBytes).toBeGreaterThan(0);
    expect(results.lambda?.totalBytes).toBeGreaterThanOrEqual(results.lambda?.bundleBytes ?? 0);
    expect(results.lambda?.zipBytes).toBeGreaterThan(0);
    expect(results.org).toMatchObject([
      { accounts: 3, usersPerAccount: 100, concurrency: 2 },
      { accounts: 3, usersPerAccount: 100, concurrency: 3 },
    ]);
  });

  it("runs the organisation beside its single-account twins: every account completed, same calls", () => {
    const [org, allAtOnce] = results.org ?? [];
    expect(org).toMatchObject({ completed: 3, rotated: 3, waves: 2, sameCalls: 3 });
    expect(allAtOnce).toMatchObject({ completed: 3, rotated: 3, waves: 1, sameCalls: 3 });
    expect(org?.singleRunsMs).toHaveLength(3);
    expect(org?.cpuMs).toBeGreaterThan(0);
    expect(org?.single.answered["iam:CreateAccessKey"]).toBe(1);
    expect(org?.wallMs).toBeGreaterThan(0);
    expect(org?.idealMs).toBe((org?.single.wallMs ?? 0) * 2);
    expect(org?.maxRssBytes).toBeGreaterThan(0);
    expect(org?.reportBytes).toBeGreaterThan(0);
  });

  it("has keyrotate apply every due user's rotation, as the sandbox shows", () => {
    const [size] = results.account ?? [];
    expect(size).toMatchObject({ users: 300, due: 3 });
    expect(size?.keyrotate).toMatchObject({
      status: "completed",
      selected: 3,
      rotated: 3,
      failed: 0,
      usersWithNewKey: 3,
      secretsStored: 3,
      emailsSent: 3,
    });
    expect(size?.keyrotate.calls["iam:CreateAccessKey"]).toBe(3);
    expect(size?.keyrotate.maxRssBytes).toBeGreaterThan(size?.keyrotate.idleRssBytes ?? 0);
  });

  it("has the baseline read every user the original's way, and keyrotate make far fewer calls", () => {
    const [size] = results.account ?? [];
    const baseline = size?.baseline;
    expect(baseline).toMatchObject({ extrapolated: false, usersRead: 300 });
    // Per user: GetUser for the email tag twice and the last-check-date tag, and ListAccessKeys;
    // nobody is tracked yet, so no old-key GetUser. ListUsers pages by 100.
    expect(baseline?.calls).toEqual({
      "iam:GetUser": 900,
      "iam:ListAccessKeys": 300,
      "iam:ListUsers": 3,
    });
    const k = size?.keyrotate;
    // The credential report (2 calls), 2 reads per due user, and once per run that rotates the
    // preflight's 3 SES reads (issue 13).
    expect(k?.readCalls).toBe(2 + 2 * 3 + 3);
    expect((k?.totalCalls ?? Number.POSITIVE_INFINITY) * 20).toBeLessThan(
      baseline?.totalCalls ?? 0,
    );
    expect(size?.readRatio).toBeGreaterThan(100);
  });

  it("judges every target and writes results.json and RESULTS.md", () => {
    expect(results.targets.map((t) => t.id)).toEqual([
      "calls-10k-reads",
      "calls-10k-all",
      "throttle-bound-300",
      "memory-100k",
      "lambda-time-100k",
      "core-1m",
      "bundle-1mb",
      "org-wall-2",
      "org-calls-2",
      "org-wall-3",
      "org-calls-3",
    ]);
    expect(results.targets.find((t) => t.id === "org-calls-2")?.met).toBe(true);
    expect(results.targets.find((t) => t.id === "org-calls-3")?.met).toBe(true);
    expect(results.targets.find((t) => t.id === "core-1m")?.met).toBeNull();
    expect(results.targets.find((t) => t.id === "bundle-1mb")?.met).not.toBeNull();

    const written = writeResults(results, outDir);

    expect(JSON.parse(readFileSync(written.json, "utf8"))).toEqual(
      JSON.parse(JSON.stringify(results)),
    );
    const markdown = readFileSync(written.markdown, "utf8");
    for (const heading of [
      "## Targets",
      "## 1. Account scan and run",
      "## 2. Core decisions",
      "## 3. Lambda",
      "## 4. Organisation",
      "## 5. Model: 1,000 accounts × 5,000 users on Step Functions",
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain("pnpm bench (smoke test)");
  });
});
