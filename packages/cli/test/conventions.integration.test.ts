import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScenarioUser } from "@keyrotate/sandbox";
import { describe, expect, it } from "vitest";
import { createProgress, PROGRESS_LINE_MS } from "../src/progress.js";
import { staleReportWarning } from "../src/reportAge.js";
import { alice, cli, deliverySets, failingEndpointForFile, sandboxPerTest } from "./harness.js";

const users: ScenarioUser[] = [alice(40)];

const failing = failingEndpointForFile();

describe("command-line conventions", () => {
  const sandboxForTest = sandboxPerTest();

  it("run prints its errors on stderr, and only the summary on stdout", async () => {
    const { code, stdout, stderr } = await cli(
      ["run", "--yes", "--endpoint-url", failing.url, ...deliverySets],
      { env: { AWS_MAX_ATTEMPTS: "1" } },
    );

    // The run's first call is its lease's (S3), and the endpoint is down.
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^keyrotate run: not run: the run lease .* could not be taken; nothing was changed: .*down/m,
    );
    expect(stdout).toContain("Not run: the run lease could not be taken (see stderr).");
    expect(stdout).not.toContain("down");
  });

  it("report --out under a file fails before reading the account, naming the file", async () => {
    // Prepare: a file where the report's folder would be.
    const dir = mkdtempSync(join(tmpdir(), "keyrotate-out-"));
    writeFileSync(join(dir, "reports"), "not a folder");
    failing.reset();

    // Act
    const { code, stderr } = await cli(
      ["report", "--out", join(dir, "reports", "compliance.html"), "--endpoint-url", failing.url],
      { cwd: dir },
    );

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(`${join(dir, "reports")} is a file, not a folder`);
    expect(failing.received()).toBe(0);
  });

  it("report --out a folder fails before reading the account", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyrotate-out-"));
    failing.reset();

    const { code, stderr } = await cli(["report", "--out", dir, "--endpoint-url", failing.url]);

    expect(code).toBe(2);
    expect(stderr).toContain("is a folder; expected a file name");
    expect(failing.received()).toBe(0);
  });

  it("report --format asff fails with exit 1 when the credentials' account cannot be read, before reading IAM", async () => {
    failing.reset();

    const { code, stdout, stderr } = await cli([
      "report",
      "--format",
      "asff",
      "--endpoint-url",
      failing.url,
    ]);

    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^keyrotate report: the account of the credentials could not be read: .*down/m,
    );
    expect(stdout).toBe("");
    expect(stderr).not.toContain("the account could not be read");
  });

  it("plan takes --scan-mode with --json only, as its help says", async () => {
    failing.reset();

    const table = await cli([
      "plan",
      "--scan-mode",
      "list-users",
      "--endpoint-url",
      failing.url,
      ...deliverySets,
    ]);

    expect(table.code).toBe(2);
    expect(table.stderr).toContain("--scan-mode applies to --json only");
    expect(failing.received()).toBe(0);
  });

  it.each([["plan"], ["plan", "--json"], ["report", "--format", "json"]])(
    "%s warns on stderr when the credential report is more than a day old",
    async (...argv) => {
      // Prepare: the CLI's clock two days after the sandbox generated its report.
      const sandbox = await sandboxForTest(users);
      const later = new Date(sandbox.clock.now().getTime() + 2 * 86_400_000);

      // Act
      const { code, stdout, stderr } = await cli([...argv, ...deliverySets], {
        sandbox,
        now: () => later,
      });

      // Assess
      expect(code).toBe(0);
      expect(stderr).toMatch(/^warning: the credential report was generated at .*, 2 days ago/m);
      expect(stdout).not.toContain("credential report was generated");
    },
  );

  it("says nothing about a report generated today", async () => {
    const sandbox = await sandboxForTest(users);

    const { code, stderr } = await cli(["plan", ...deliverySets], { sandbox });

    expect(code).toBe(0);
    expect(stderr).toBe("");
  });
});

describe("staleReportWarning", () => {
  it.each([
    ["2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z", false],
    ["2026-11-27T00:00:00Z", "2026-11-28T00:00:01Z", true],
    ["2015-01-01T00:00:00Z", "2026-11-28T00:00:00Z", true],
  ])("a report of %s at %s: warned %s", (generatedAt, now, warned) => {
    expect(staleReportWarning(generatedAt, new Date(now)) !== undefined).toBe(warned);
  });

  it("has nothing to say without a report", () => {
    expect(staleReportWarning(undefined, new Date("2026-11-28T00:00:00Z"))).toBeUndefined();
  });
});

describe("progress where stderr is not a terminal", () => {
  it(`prints a plain line at most every ${PROGRESS_LINE_MS / 1000} s, none in a shorter run`, () => {
    // Prepare: a clock the test moves.
    let now = 0;
    let written = "";
    const progress = createProgress(
      { write: (s) => (written += s), isTTY: false },
      "lines",
      () => now,
    );

    // Act
    progress.update("applying", 1, 10);
    now = PROGRESS_LINE_MS - 1;
    progress.update("applying", 2, 10);
    const early = written;
    now = PROGRESS_LINE_MS;
    progress.update("applying", 3, 10);
    now = PROGRESS_LINE_MS + 1_000;
    progress.update("applying", 4, 10);
    now = 2 * PROGRESS_LINE_MS;
    progress.update("applying", 5, 10);
    progress.clear();

    // Assess
    expect(early).toBe("");
    expect(written).toBe("keyrotate: applying 3/10\nkeyrotate: applying 5/10\n");
  });
});
