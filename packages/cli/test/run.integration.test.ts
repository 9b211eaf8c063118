import { acquireLease, createAwsClients } from "@keyrotate/aws-adapter";
import type { Sandbox, ScenarioUser } from "@keyrotate/sandbox";
import { describe, expect, it } from "vitest";
import {
  alice,
  BUCKET,
  cli,
  deliverySets,
  sandboxPerTest,
  storedSecrets,
  userWithKeys,
} from "./harness.js";

const users: ScenarioUser[] = [
  alice(95),
  userWithKeys("bob", { id: "AKIABOB0000000000001", ageDays: 31, lastUsedDaysAgo: 1 }),
];

const keysOf = (sandbox: Sandbox, name: string) =>
  sandbox.users().find((u) => u.name === name)?.keys ?? [];

describe("keyrotate run", () => {
  const sandboxForTest = sandboxPerTest();

  it("refuses with exit 2 and calls nothing without a terminal or --yes", async () => {
    const sandbox = await sandboxForTest(users);

    const { code, stdout, stderr } = await cli(["run", ...deliverySets], { sandbox });

    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("no terminal to confirm in");
    expect(stderr).toContain("pass --yes");
    expect(sandbox.calls()).toEqual({});
  });

  it("applies the plan with --yes: rotates, stores the secret, mails the user, never prints a secret", async () => {
    const sandbox = await sandboxForTest(users);

    const { code, stdout, stderr } = await cli(["run", "--yes", ...deliverySets], { sandbox });

    expect(code).toBe(0);
    expect(stdout).toContain("keyrotate run for 2026-03-01\n");
    expect(stdout).toMatch(/alice: rotated AKIA…0001 → AKIA…\w{4}/);
    expect(stdout).toContain("bob: warning sent");
    expect(stdout).toContain("rotated 1");
    expect(keysOf(sandbox, "alice")).toHaveLength(2);
    expect(sandbox.objects(BUCKET)).toHaveLength(1);
    expect(
      sandbox
        .emails()
        .map((e) => e.destinations.to[0])
        .sort(),
    ).toEqual(["alice@example.com", "bob@example.com"]);
    const [secret] = storedSecrets(sandbox);
    expect(secret).toMatch(/^.{40}$/);
    expect(stdout + stderr).not.toContain(secret);
  });

  it("prints the run report with --json", async () => {
    const sandbox = await sandboxForTest(users);

    const { code, stdout } = await cli(["run", "--yes", "--json", ...deliverySets], { sandbox });

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.dryRun).toBe(false);
    expect(report.counts).toMatchObject({ rotated: 1, warned: 1, failed: 0 });
    expect(stdout).not.toContain(storedSecrets(sandbox)[0]);
  });

  it("changes nothing with --dry-run, even without a terminal", async () => {
    const sandbox = await sandboxForTest(users);

    const { code, stdout } = await cli(["run", "--dry-run", ...deliverySets], { sandbox });

    expect(code).toBe(0);
    expect(stdout).toContain("(dry run: nothing was changed or sent)");
    expect(stdout).toContain("alice: would: rotated AKIA…0001 → a new key");
    expect(keysOf(sandbox, "alice")).toHaveLength(1);
    expect(sandbox.emails()).toHaveLength(0);
  });

  it("shows the plan in a terminal and applies it only when confirmed", async () => {
    const sandbox = await sandboxForTest(users);

    const declined = await cli(["run", ...deliverySets], { sandbox, tty: true, answer: "n" });

    expect(declined.code).toBe(0);
    expect(declined.asked).toEqual(["Apply these changes? [y/N] "]);
    expect(declined.stdout).toContain("Plan for 2026-03-01: 2 users, 2 keys; 2 users with actions");
    expect(declined.stdout).toContain("create a new key to replace AKIAALICE00000000001");
    expect(declined.stdout).toContain("Cancelled: nothing was changed.");
    expect(keysOf(sandbox, "alice")).toHaveLength(1);

    const confirmed = await cli(["run", ...deliverySets], { sandbox, tty: true, answer: "y" });

    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toMatch(/alice: rotated AKIA…0001 → AKIA…\w{4}/);
    expect(keysOf(sandbox, "alice")).toHaveLength(2);
  });

  it("exits 1 when a user fails, and undoes the failed rotation", async () => {
    const sandbox = await sandboxForTest(users);
    sandbox.setFaults({
      // A run's first PutObject is its lease's, the second the preflight's; the third stores
      // alice's secret.
      failOperations: {
        "s3:PutObject": { skip: 2, count: 1, status: 403, code: "AccessDenied" },
      },
    });

    const { code, stdout } = await cli(["run", "--yes", ...deliverySets], { sandbox });

    expect(code).toBe(1);
    expect(stdout).toMatch(/alice: FAILED at "store the new key's secret in S3": .*AccessDenied/);
    expect(stdout).toContain("the old key is untouched");
    expect(stdout).toContain("bob: warning sent");
    expect(keysOf(sandbox, "alice").map((k) => k.accessKeyId)).toEqual(["AKIAALICE00000000001"]);
  });

  it("exits 1 and changes nothing while another run holds the run lease", async () => {
    const sandbox = await sandboxForTest(users);
    const { endpoint, region, credentials } = sandbox.clientConfig();
    const other = createAwsClients({ endpoint, region, credentials });
    // The scheduled run holds the lease (its expiry is minutes away on the wall clock).
    const held = await acquireLease(other.s3, BUCKET, "scheduled-run", {
      owner: "lambda keyrotate",
      renew: false,
    });
    expect(held._tag).toBe("Right");
    sandbox.resetCalls();

    const { code, stdout } = await cli(["run", "--yes", ...deliverySets], {
      sandbox,
      env: { LEASE_WAIT_SECONDS: "0" },
    });

    expect(code).toBe(1);
    expect(stdout).toMatch(/Not run: another keyrotate run holds the run lease .*scheduled-run/);
    expect(Object.keys(sandbox.calls()).filter((c) => !c.startsWith("s3:"))).toEqual([]);
    expect(keysOf(sandbox, "alice")).toHaveLength(1);
    other.s3.destroy();
  });

  it("refuses a bad LEASE_WAIT_SECONDS with exit 2, naming it", async () => {
    const sandbox = await sandboxForTest(users);

    const { code, stderr } = await cli(["run", "--yes", ...deliverySets], {
      sandbox,
      env: { LEASE_WAIT_SECONDS: "soon" },
    });

    expect(code).toBe(2);
    expect(stderr).toContain(
      'LEASE_WAIT_SECONDS must be a whole number of seconds ≥ 0, got "soon"',
    );
    expect(sandbox.calls()).toEqual({});
  });
});
