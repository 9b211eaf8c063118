import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OrganizationScenario, type Sandbox, startSandbox } from "@keyrotate/sandbox";
import { asffProblems } from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { BUCKET, cli, deliverySets, SENDER, START } from "./harness.js";

const members = (team: string) => ({
  verifiedEmails: [SENDER],
  buckets: [BUCKET],
  users: [
    {
      name: `${team}-overdue`,
      tags: { email: `${team}@example.com` },
      keys: [{ ageDays: 70, lastUsedDaysAgo: 0 }],
    },
  ],
});

const ORG: OrganizationScenario = {
  memberRole: { name: "KeyrotateMember" },
  management: { role: null },
  accounts: [{ id: "111111111111", name: "shared", scenario: members("shared") }],
  ous: [
    {
      name: "workloads",
      accounts: [{ id: "222222222222", name: "prod", scenario: members("prod") }],
      ous: [
        {
          name: "sandboxes",
          accounts: [
            { id: "333333333333", name: "legacy", status: "SUSPENDED" },
            { id: "444444444444", name: "norole", role: null, scenario: members("norole") },
          ],
        },
      ],
    },
  ],
};

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const orgSandbox = async (organization: OrganizationScenario = ORG): Promise<Sandbox> => {
  const s = await startSandbox({
    now: START,
    randomSeed: 5,
    reportGenerationMs: 1,
    seed: { organization },
  });
  open.push(s);
  return s;
};

const memberSecrets = (s: Sandbox): string[] =>
  s.accounts().flatMap((a) =>
    s
      .account(a.id)
      .issuedSecrets()
      .map((i) => i.secretAccessKey),
  );

describe("keyrotate run --org", () => {
  it("runs every covered account with a line per account, and exits 1 when one is unreachable", async () => {
    // Prepare
    const s = await orgSandbox();
    // Act
    const r = await cli(
      [
        "run",
        "--org",
        "--yes",
        "--json",
        ...deliverySets,
        "--set",
        "ORG_ROLE_NAME=KeyrotateMember",
        "--set",
        "ORG_EXCLUDE_ACCOUNTS=123456789012",
      ],
      { sandbox: s },
    );
    // Assess
    const report = JSON.parse(r.stdout) as {
      status: string;
      accounts: { accountId: string; status: string }[];
      skippedAccounts: { accountId: string; reason: string }[];
    };
    expect(r.code).toBe(1);
    expect(report.status).toBe("partial");
    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
      ["111111111111", "completed"],
      ["222222222222", "completed"],
      ["444444444444", "unreachable"],
    ]);
    expect(report.skippedAccounts.map((a) => a.reason)).toEqual(["excluded", "suspended"]);
    expect(r.stderr).toContain("organization: 3 accounts to run, 2 skipped\n");
    expect(r.stderr).toMatch(/\[\d\/3\] 444444444444 norole: unreachable: .*AccessDenied/);
    expect(r.stderr).toMatch(/\[\d\/3\] 222222222222 prod: completed: 1 user; .*rotated 1/);
    expect(
      s
        .account("111111111111")
        .keyEvents()
        .map((e) => e.operation),
    ).toContain("CreateAccessKey");
    for (const secret of memberSecrets(s)) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  });

  it("runs only the accounts of --accounts and exits 0 when they complete", async () => {
    // Prepare
    const s = await orgSandbox();
    // Act
    const r = await cli(["run", "--accounts", "222222222222", "--dry-run", ...deliverySets], {
      sandbox: s,
      env: { ORG_ROLE_NAME: "KeyrotateMember" },
    });
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "keyrotate organization run for 2026-03-01 (dry run: nothing was changed or sent): completed",
    );
    expect(r.stdout).toContain("222222222222 prod: completed");
    expect(r.stdout).not.toContain("111111111111");
    expect(s.account("222222222222").keyEvents()).toEqual([]);
    expect(s.account("111111111111").calls()).toEqual({});
  });

  it("refuses bad ORG_* settings and an unconfirmed run together, calling nothing", async () => {
    // Prepare
    const s = await orgSandbox();
    // Act
    const r = await cli(["run", "--org", ...deliverySets, "--set", "ORG_CONCURRENCY=0"], {
      sandbox: s,
    });
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ORG_ROLE_NAME (not set): is required");
    expect(r.stderr).toContain(
      'ORG_CONCURRENCY="0": expected a whole number of accounts from 1 to 100',
    );
    expect(r.stderr).toContain("pass --yes to apply, or --dry-run");
    expect(s.calls()).toEqual({});
  });
});

describe("keyrotate plan --org", () => {
  it("shows what a run would do in each account, as of a date, changing nothing and needing no --yes", async () => {
    // Prepare
    const s = await orgSandbox();
    // Act
    const r = await cli(["plan", "--org", "--as-of", "2026-03-02", ...deliverySets], {
      sandbox: s,
      env: { ORG_ROLE_NAME: "KeyrotateMember", ORG_EXCLUDE_ACCOUNTS: "123456789012,444444444444" },
    });
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "keyrotate organization run for 2026-03-02 (dry run: nothing was changed or sent): completed",
    );
    expect(r.stdout).toMatch(
      /111111111111 shared: completed[^\n]*\n {4}shared-overdue: would: rotated/,
    );
    expect(r.stdout).toMatch(
      /222222222222 prod: completed[^\n]*\n {4}prod-overdue: would: rotated/,
    );
    for (const id of ["111111111111", "222222222222"])
      expect(s.account(id).keyEvents()).toEqual([]);
  });
});

/** {@link ORG} with an account in a throttling storm and one whose IAM refuses the report. */
const STORMY_ORG: OrganizationScenario = {
  ...ORG,
  accounts: [
    ...(ORG.accounts ?? []),
    {
      id: "666666666666",
      name: "stormy",
      scenario: members("stormy"),
      faults: { throttleRate: 0.5 },
    },
    {
      id: "777777777777",
      name: "locked",
      scenario: members("locked"),
      faults: {
        failOperations: {
          "iam:GenerateCredentialReport": {
            count: 1000,
            status: 403,
            code: "AccessDenied",
            message: "not authorized to perform iam:GenerateCredentialReport",
          },
        },
      },
    },
  ],
};

interface OrgComplianceJson {
  kind: string;
  status: string;
  summary: {
    users: number;
    accounts: { completed: number; unreachable: number; failed: number; skipped: number };
  };
  accounts: {
    accountId: string;
    status: string;
    error?: { tag: string };
    report?: { users: { userName: string; result: string }[] };
  }[];
  skippedAccounts: { accountId: string; reason: string }[];
}

describe("keyrotate report --org", () => {
  it("reports every covered account with a line per account, and shows each account it could not read", async () => {
    // Prepare
    const s = await orgSandbox(STORMY_ORG);
    // Act
    const r = await cli(["report", "--org", "--format", "json"], {
      sandbox: s,
      env: { ORG_ROLE_NAME: "KeyrotateMember", ORG_EXCLUDE_ACCOUNTS: "123456789012" },
    });
    // Assess
    const report = JSON.parse(r.stdout) as OrgComplianceJson;
    const status = (id: string) => report.accounts.find((a) => a.accountId === id);
    expect(r.code).toBe(1);
    expect(report.kind).toBe("organization-compliance");
    expect(report.status).toBe("partial");
    expect(status("111111111111")?.report?.users.map((u) => [u.userName, u.result])).toEqual([
      ["shared-overdue", "pass"],
    ]);
    expect(status("222222222222")?.status).toBe("completed");
    expect(status("444444444444")).toMatchObject({
      status: "unreachable",
      error: { tag: "AccessDenied" },
    });
    expect(status("777777777777")).toMatchObject({
      status: "failed",
      error: { tag: "AccessDenied" },
    });
    // The storm is waited out or fails that account alone.
    expect(["completed", "failed"]).toContain(status("666666666666")?.status);
    expect(s.account("666666666666").faultCounts().throttled).toBeGreaterThan(0);
    expect(report.skippedAccounts.map((a) => [a.accountId, a.reason])).toEqual([
      ["123456789012", "excluded"],
      ["333333333333", "suspended"],
    ]);
    expect(report.summary.accounts).toMatchObject({ unreachable: 1, skipped: 2 });
    expect(r.stderr).toContain("organization: 5 accounts to read, 2 skipped\n");
    expect(r.stderr).toMatch(/\[\d\/5\] 444444444444 norole: unreachable: .*AccessDenied/);
    expect(r.stderr).toMatch(/\[\d\/5\] 222222222222 prod: read: 1 users, 1 pass, 0 fail/);
    for (const id of ["111111111111", "222222222222", "666666666666"])
      expect(s.account(id).keyEvents()).toEqual([]);
  });

  it("writes the CSV of --accounts with the account columns first, and exits 0 when all are read", async () => {
    // Prepare
    const s = await orgSandbox();
    const dir = await mkdtemp(join(tmpdir(), "keyrotate-org-report-"));
    try {
      // Act
      const r = await cli(
        ["report", "--accounts", "222222222222,111111111111", "--out", "org.csv"],
        {
          sandbox: s,
          cwd: dir,
          env: { ORG_ROLE_NAME: "KeyrotateMember" },
        },
      );
      // Assess
      const csv = await readFile(join(dir, "org.csv"), "utf8");
      const lines = csv.trimEnd().split("\r\n");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /^Wrote the csv organization compliance report to .*org\.csv: 2 of 2 accounts read, 0 skipped; 2 users, 2 pass, 0 fail, 0 unknown\.\n$/,
      );
      expect(lines[0]).toMatch(/^account_id,account_name,account_status,user,handled,/);
      expect(lines.slice(1).map((l) => l.split(",").slice(0, 4))).toEqual([
        ["111111111111", "shared", "completed", "shared-overdue"],
        ["222222222222", "prod", "completed", "prod-overdue"],
      ]);
      expect(s.account("444444444444").calls()).toEqual({});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("writes one ASFF array over every account read, each finding in its own account", async () => {
    // Prepare
    const overdue = (team: string) => ({
      ...members(team),
      users: [
        {
          name: `${team}-old`,
          tags: { email: `${team}@example.com` },
          keys: [{ ageDays: 120, lastUsedDaysAgo: 0 }],
        },
      ],
    });
    const s = await orgSandbox({
      memberRole: { name: "KeyrotateMember" },
      management: { role: null },
      accounts: [
        { id: "111111111111", name: "shared", scenario: overdue("shared") },
        { id: "222222222222", name: "prod", scenario: overdue("prod") },
        { id: "444444444444", name: "norole", role: null, scenario: overdue("norole") },
      ],
    });
    // Act
    const r = await cli(["report", "--org", "--format", "asff", "--region", "eu-west-1"], {
      sandbox: s,
      env: { ORG_ROLE_NAME: "KeyrotateMember", ORG_EXCLUDE_ACCOUNTS: "123456789012" },
    });
    // Assess
    const findings = JSON.parse(r.stdout) as {
      Id: string;
      AwsAccountId: string;
      ProductArn: string;
    }[];
    expect(r.code).toBe(1);
    expect(findings.map((f) => [f.AwsAccountId, f.Id.split("/")[2]])).toEqual([
      ["111111111111", "IAM.3"],
      ["222222222222", "IAM.3"],
    ]);
    expect(findings[1]?.ProductArn).toBe(
      "arn:aws:securityhub:eu-west-1:222222222222:product/222222222222/default",
    );
    expect(findings.flatMap(asffProblems)).toEqual([]);
    expect(r.stderr).toMatch(/444444444444 norole: unreachable/);
  });

  it("refuses bad ORG_* settings before any call", async () => {
    // Prepare
    const s = await orgSandbox();
    // Act
    const r = await cli(["report", "--org", "--set", "ORG_CONCURRENCY=0"], {
      sandbox: s,
      env: { ORG_ROLE_NAME: "KeyrotateMember" },
    });
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ORG_CONCURRENCY");
    expect(s.calls()).toEqual({});
  });
});

describe("keyrotate demo --org", () => {
  it("runs a sandbox organisation: a nested OU, a suspended account, a missing role", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "keyrotate-org-demo-"));
    try {
      // Act
      const r = await cli(["demo", "--org", "--out", dir, "--start", "2026-03-01"]);
      // Assess
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("333333333333 legacy: skipped (suspended)");
      expect(r.stdout).toMatch(/444444444444 experiments: unreachable: .*AccessDenied/);
      expect(r.stdout).toContain("555555555555 dev: completed");
      const written = JSON.parse(await readFile(join(dir, "org-report.json"), "utf8")) as {
        kind: string;
        totals: { accounts: { completed: number } };
      };
      expect(written.kind).toBe("organization");
      expect(written.totals.accounts.completed).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
