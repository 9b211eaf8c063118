import { type Sandbox, type Scenario, type ScenarioUser, startSandbox } from "@keyrotate/sandbox";
import { mailedUser, TEST_KMS_KEY } from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { BUCKET, cli, deliverySets, SENDER, START } from "./harness.js";

const KMS_KEY = TEST_KMS_KEY;

const users: ScenarioUser[] = [
  mailedUser("alice", [{ ageDays: 95, lastUsedDaysAgo: 1, id: "AKIAALICE00000000001" }]),
  mailedUser("amir", [{ ageDays: 80, lastUsedDaysAgo: 1, id: "AKIAAMIR000000000001" }]),
  mailedUser("bob", [{ ageDays: 31, lastUsedDaysAgo: 1, id: "AKIABOB0000000000001" }]),
];

// Rotation on first sight (the original's timing), so that alice and amir rotate today.
const env = { MIN_NOTICE_DAYS: "0" };

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const start = async (account: Scenario): Promise<Sandbox> => {
  sandbox = await startSandbox({
    now: START,
    randomSeed: 3,
    reportGenerationMs: 1,
    seed: { ...account, users },
  });
  return sandbox;
};

const createdKeys = (sb: Sandbox) =>
  sb.keyEvents().filter((e) => e.operation === "CreateAccessKey").length;

const occurrences = (text: string, part: string): number => text.split(part).length - 1;

describe("keyrotate run when the preflight fails", () => {
  it.each([
    {
      check: "ses-sender-verified",
      account: { buckets: [BUCKET] },
      sets: [],
      says: `the SES sender ${SENDER} is not verified in us-east-1`,
      warningSent: false,
    },
    {
      check: "kms-key-usable",
      account: {
        verifiedEmails: [SENDER],
        buckets: [BUCKET],
        kmsKeys: [{ id: KMS_KEY, state: "Disabled" as const }],
      },
      sets: ["--set", `KMS_KEY_ID=${KMS_KEY}`],
      says: `S3 cannot encrypt with the KMS key ${KMS_KEY}`,
      warningSent: true,
    },
  ])(
    "$check: creates no key, says so once with what to do, exits 1, and still warns",
    async ({ check, account, sets, says, warningSent }) => {
      const sb = await start(account);

      const { code, stdout, stderr } = await cli(["run", "--yes", ...deliverySets, ...sets], {
        sandbox: sb,
        env,
      });

      expect(code).toBe(1);
      expect(createdKeys(sb)).toBe(0);
      expect(occurrences(stderr, `Preflight check ${check} failed: ${says}`)).toBe(1);
      expect(occurrences(stderr, "then run again")).toBe(1);
      expect(stderr).toContain("No key was created; 2 rotations wait for the next run.");
      expect(stdout).not.toContain("Preflight check");
      expect(stdout).toContain("The preflight failed; no key was created");
      expect(stdout).toContain(
        "alice: rotation held back: the preflight failed; the next run retries it",
      );
      expect(stdout).toContain("amir: rotation held back");
      expect(
        sb.emails().map((e) => e.destinations.to[0]),
        "the warning to bob goes out whenever SES can send",
      ).toEqual(warningSent ? ["bob@example.com"] : []);
      // A warning is recorded (TagUser) only once it was sent.
      expect(sb.calls()["iam:TagUser"] ?? 0).toBe(warningSent ? 1 : 0);
    },
  );

  it("prints the one message on stderr with --json, and a failed report on stdout", async () => {
    const sb = await start({ buckets: [BUCKET] });

    const { code, stdout, stderr } = await cli(["run", "--yes", "--json", ...deliverySets], {
      sandbox: sb,
      env,
    });

    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.status).toBe("failed");
    expect(report.preflight).toMatchObject({ status: "failed", check: "ses-sender-verified" });
    expect(stderr).toBe(`keyrotate run: ${report.error.message}\n`);
    expect(createdKeys(sb)).toBe(0);
  });

  it("stops before any change when the bucket is missing: the run lease lives there", async () => {
    const sb = await start({ verifiedEmails: [SENDER] });

    const { code, stdout, stderr } = await cli(["run", "--yes", ...deliverySets], {
      sandbox: sb,
      env,
    });

    expect(code).toBe(1);
    expect(createdKeys(sb)).toBe(0);
    expect(sb.emails()).toEqual([]);
    expect(sb.calls()["iam:TagUser"]).toBeUndefined();
    expect(stdout).toContain("Not run");
    expect(stderr).toContain(
      `keyrotate run: not run: the run lease s3://${BUCKET}/keyrotate/lease.json could not be taken; nothing was changed`,
    );
  });
});
