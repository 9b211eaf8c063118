import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "@keyrotate/sandbox";
import { asffProblems, scanForSecrets } from "@keyrotate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, startTestSandbox } from "./harness.js";

describe("keyrotate report", () => {
  let sandbox: Sandbox;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "keyrotate-report-"));
    sandbox = await startTestSandbox([
      {
        name: "fresh",
        tags: { email: "fresh@example.com" },
        keys: [{ ageDays: 10, lastUsedDaysAgo: 1 }],
      },
      {
        name: "old-key",
        tags: { email: "old@example.com" },
        keys: [{ ageDays: 120, lastUsedDaysAgo: 1 }],
      },
      {
        name: "two-keys",
        tags: { email: "two@example.com" },
        keys: [
          { ageDays: 20, lastUsedDaysAgo: 1 },
          { ageDays: 5, lastUsedDaysAgo: 1 },
        ],
      },
      {
        name: "idle-50",
        tags: { email: "idle50@example.com" },
        keys: [{ ageDays: 80, lastUsedDaysAgo: 50 }],
      },
      {
        name: "idle-100",
        tags: { "key-rotation-exempt": "true" },
        keys: [
          { ageDays: 95, lastUsedDaysAgo: null },
          { ageDays: 200, lastUsedDaysAgo: 100, status: "Inactive" },
        ],
      },
    ]);
  });
  afterAll(async () => {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("maps every user to CIS 1.12-1.14 and Security Hub IAM.3/IAM.8 in JSON", async () => {
    const { code, stdout } = await cli(["report", "--format", "json"], { sandbox });

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const results = Object.fromEntries(
      report.users.map((u: { userName: string; controls: Record<string, { result: string }> }) => [
        u.userName,
        Object.fromEntries(Object.entries(u.controls).map(([id, c]) => [id, c.result])),
      ]),
    );
    expect(results.fresh).toEqual({
      "CIS-1.12": "pass",
      "CIS-1.13": "pass",
      "CIS-1.14": "pass",
      "IAM.3": "pass",
      "IAM.8": "pass",
      "IAM.22": "pass",
    });
    expect(results["old-key"]).toMatchObject({
      "CIS-1.14": "fail",
      "IAM.3": "fail",
      "CIS-1.12": "pass",
    });
    expect(results["two-keys"]).toMatchObject({ "CIS-1.13": "fail", "CIS-1.14": "pass" });
    expect(results["idle-50"]).toMatchObject({
      "CIS-1.12": "fail",
      "IAM.8": "pass",
      "IAM.22": "fail",
    });
    expect(results["idle-100"]).toMatchObject({
      "CIS-1.12": "fail",
      "IAM.8": "fail",
      "CIS-1.13": "pass",
    });
    expect(report.summary.userResults).toEqual({ pass: 1, fail: 4, unknown: 0 });
    const idle = report.users.find((u: { userName: string }) => u.userName === "idle-100");
    expect(idle.handled).toBe(false);
    expect(idle.findings.map((f: { code: string }) => f.code)).toEqual(["no-email", "exempt"]);
    expect(
      report.histogram.map((b: { active: number; inactive: number }) => [b.active, b.inactive]),
    ).toEqual([
      [3, 0],
      [0, 0],
      [1, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(
      report.controls.map((c: { id: string; title: string }) => `${c.id} ${c.title}`),
    ).toContain("CIS-1.12 Ensure credentials unused for 45 days or greater are disabled");
  });

  it("writes one CSV row per key with the control results", async () => {
    const out = join(dir, "keys.csv");

    const { code, stdout } = await cli(["report", "--out", out], { sandbox });

    expect(code).toBe(0);
    expect(stdout).toContain(`Wrote the csv compliance report to ${out}: 5 users, 1 pass, 4 fail`);
    const lines = (await readFile(out, "utf8")).trim().split("\r\n");
    expect(lines[0]).toBe(
      "user,handled,user_result,cis_1_12,cis_1_13,cis_1_14,iam_3,iam_8,iam_22,key_id,key_status,key_created,key_age_days,key_last_used,key_days_unused,key_next_action,key_next_action_date,findings",
    );
    expect(lines).toHaveLength(1 + 7);
    expect(lines.find((l) => l.startsWith("old-key,"))).toMatch(
      /^old-key,true,fail,pass,pass,fail,fail,pass,pass,AKIA\w+,Active,2025-11-01,120,2026-02-28,1,rotation,2026-03-01,$/,
    );
  });

  it("writes a self-contained HTML page with the controls, users and an inline SVG histogram", async () => {
    const out = join(dir, "compliance.html");

    const { code } = await cli(["report", "--format", "html", "--out", out], { sandbox });

    expect(code).toBe(0);
    const html = await readFile(out, "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(
      "Ensure there is only one active access key available for any single IAM user",
    );
    expect(html).toContain("IAM users&#39; access keys should be rotated every 90 days or less");
    expect(html).toContain("Unused IAM user credentials should be removed");
    expect(html).toContain('<svg role="img" aria-label="Access key age histogram"');
    expect(html).not.toMatch(/<script|<link|<img|src=|https?:\/\//i);
  });

  it("writes one valid ASFF finding per key failing IAM.3/IAM.8/IAM.22 and per user failing CIS 1.13, with no secret", async () => {
    const { code, stdout } = await cli(["report", "--format", "asff"], { sandbox });

    expect(code).toBe(0);
    const findings = JSON.parse(stdout) as {
      Id: string;
      AwsAccountId: string;
      ProductArn: string;
      ProductFields: Record<string, string>;
    }[];
    expect(
      findings.map((f) => `${f.ProductFields["keyrotate/UserName"]} ${f.Id.split("/")[2]}`),
    ).toEqual([
      "idle-100 IAM.3",
      "idle-100 IAM.8",
      "idle-100 IAM.22",
      "idle-50 IAM.22",
      "old-key IAM.3",
      "two-keys CIS-1.13",
    ]);
    // The sandbox's account, as sts:GetCallerIdentity gives it, in the region of the CLI.
    expect(new Set(findings.map((f) => f.AwsAccountId))).toEqual(new Set(["123456789012"]));
    expect(findings[0]?.ProductArn).toBe(
      "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
    );
    expect(findings.flatMap(asffProblems)).toEqual([]);
    expect(sandbox.issuedSecrets().length).toBeGreaterThan(0);
    expect(scanForSecrets(sandbox.issuedSecrets(), { findings: stdout })).toEqual([]);
  });

  it("writes ASFF findings for an --out file named .asff.json", async () => {
    const out = join(dir, "findings.asff.json");

    const { code, stdout } = await cli(["report", "--out", out, "--region", "eu-west-1"], {
      sandbox,
    });

    expect(code).toBe(0);
    expect(stdout).toBe(
      `Wrote the ASFF findings to ${out}: 6 findings (5 users, 1 pass, 4 fail, 0 unknown).\n`,
    );
    const findings = JSON.parse(await readFile(out, "utf8")) as { ProductArn: string }[];
    expect(findings.map((f) => f.ProductArn)).toContain(
      "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
    );
  });

  it("does not need the delivery settings", async () => {
    const { code } = await cli(["report", "--format", "csv"], { sandbox, env: {} });
    expect(code).toBe(0);
  });
});

describe("keyrotate report with a user named with a comma", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox([
      {
        name: "svc,deploy",
        tags: { email: "svc@example.com" },
        keys: [{ ageDays: 10, lastUsedDaysAgo: 1 }],
      },
      { name: "fresh", tags: { email: "fresh@example.com" }, keys: [{ ageDays: 10 }] },
    ]);
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it("reads every user, the comma user's last use included, and warns of nothing", async () => {
    const { code, stdout, stderr } = await cli(["report", "--format", "json"], { sandbox });

    expect(code).toBe(0);
    expect(stderr).not.toMatch(/could not be read/);
    const report = JSON.parse(stdout);
    const svc = report.users.find((u: { userName: string }) => u.userName === "svc,deploy");
    expect(report.users.map((u: { userName: string }) => u.userName).sort()).toEqual([
      "fresh",
      "svc,deploy",
    ]);
    expect(svc.controls["CIS-1.12"].result).toBe("pass");
  });
});
