import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OrganizationScenario, type Sandbox, startSandbox } from "@keyrotate/sandbox";
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

const orgSandbox = async (): Promise<Sandbox> => {
  const s = await startSandbox({
    now: START,
    randomSeed: 5,
    reportGenerationMs: 1,
    seed: { organization: ORG },
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
