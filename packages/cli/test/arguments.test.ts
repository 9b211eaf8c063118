import { describe, expect, it } from "vitest";
import { commands } from "../src/cli.js";
import { cli } from "./harness.js";

describe("arguments and settings", () => {
  it("lists every invalid setting and argument, one per line, and exits 2", async () => {
    const { code, stdout, stderr } = await cli([
      "plan",
      "--set",
      "WARNING_DAYS=abc",
      "--set",
      "NOPE=1",
      "--set",
      "novalue",
      "--as-of",
      "2026-02-30",
      "--region",
      "mars",
      "--endpoint-url",
      "ftp://x",
      "--frobnicate",
    ]);

    expect(code).toBe(2);
    expect(stdout).toBe("");
    const problems = stderr.split("\n").filter((l) => l.startsWith("  - "));
    expect(problems).toEqual([
      "  - unknown option --frobnicate",
      '  - --as-of "2026-02-30": expected a date YYYY-MM-DD',
      '  - --endpoint-url "ftp://x": expected an http:// or https:// URL',
      '  - --region "mars": expected an AWS region such as eu-west-1',
      expect.stringMatching(/^ {2}- --set NOPE=1: unknown setting NOPE \(known: WARNING_DAYS, /),
      "  - --set novalue: expected NAME=VALUE, for example --set WARNING_DAYS=30",
      '  - WARNING_DAYS="abc": expected a whole number from 0 to 36500',
      "  - SES_EMAIL (not set): is required",
      "  - SES_REGION (not set): is required",
      "  - S3_CSV_BUCKET (not set): is required",
    ]);
    expect(stderr).toContain("keyrotate plan: 10 problems; nothing was done:");
  });

  it("reads settings from the environment, and --set overrides it", async () => {
    const env = {
      SES_EMAIL: "keys@example.com",
      SES_REGION: "us-east-1",
      S3_CSV_BUCKET: "creds",
      WARNING_DAYS: "70",
    };

    const fromEnv = await cli(["run", "--dry-run"], { env });
    const overridden = await cli(["run", "--dry-run", "--set", "WARNING_DAYS=abc"], { env });

    expect(fromEnv.stderr).toContain('WARNING_DAYS="70": must be less than OVERDUE_DAYS (60)');
    expect(fromEnv.code).toBe(2);
    expect(overridden.stderr).toContain('WARNING_DAYS="abc": expected a whole number');
    expect(overridden.stderr).not.toContain('WARNING_DAYS="70"');
  });

  it("rejects an unknown command and bad values of each command's own options", async () => {
    const unknown = await cli(["rotate"]);
    const format = await cli(["report", "--format", "pdf"]);
    const days = await cli(["demo", "--days", "0", "--start", "someday"]);
    const mode = await cli(["run", "--yes", "--scan-mode", "all"]);

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "rotate"');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format "pdf": expected json, csv, html or asff');
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('--days "0": expected a whole number from 1 to 730');
    expect(days.stderr).toContain('--start "someday": expected a date YYYY-MM-DD');
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain('--scan-mode "all": expected credential-report or list-users');
  });

  it("has --help with examples for every command, and --version", async () => {
    for (const command of commands) {
      const { code, stdout } = await cli([command.name, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: keyrotate ${command.name}`);
      expect(stdout).toContain("Examples:");
      expect(stdout).toContain("Exit codes:");
    }
    const top = await cli(["--help"]);
    expect(top.stdout).toMatch(/Commands:\n {2}plan .*\n {2}run .*\n {2}report .*\n {2}demo /);
    const version = await cli(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
  });
});
