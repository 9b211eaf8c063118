import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CREDENTIAL_REPORT_COLUMNS } from "../src/iam/credential-report.js";
import { sandbox } from "./support.js";

const SCRIPT = fileURLToPath(new URL("./boto3-compat.py", import.meta.url));
// The first Python that has boto3: the one on PATH (pip's), else Debian's (python3-boto3).
const python = ["python3", "/usr/bin/python3"].find(
  (exe) => spawnSync(exe, ["-c", "import boto3"], { encoding: "utf8" }).status === 0,
);
const boto3Missing =
  python === undefined ? "boto3 is not importable by python3: install python3-boto3" : undefined;

describe("compatibility with boto3", () => {
  // Outside CI a machine without boto3 skips; CI installs it (.ci/run), so there it must run.
  it.skipIf(boto3Missing !== undefined && process.env.CI !== "true")(
    `lists users, creates a key, reads the credential report, uses S3 and SES, lists the organisation and assumes a member role${boto3Missing ? ` — skipped: ${boto3Missing}` : ""}`,
    async () => {
      if (python === undefined) throw new Error(boto3Missing);
      const s = await sandbox({
        seed: {
          users: [{ name: "alice", keys: [{ ageDays: 10 }] }, { name: "bob" }, { name: "carol" }],
          organization: {
            memberRole: { name: "KeyrotateMember", externalId: "boto-external-id" },
            ous: [
              {
                name: "workloads",
                accounts: [
                  { id: "111111111111", name: "prod", scenario: { users: [{ name: "dora" }] } },
                  { id: "222222222222", name: "old", status: "SUSPENDED" },
                ],
              },
            ],
          },
        },
      });
      const { stdout } = await promisify(execFile)(python, [SCRIPT, s.url], { timeout: 60_000 });
      const seen = JSON.parse(stdout) as Record<string, unknown>;
      expect(seen.users).toEqual(["alice", "bob", "boto-user", "carol"]);
      expect(seen.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
      expect(s.users().find((u) => u.name === "boto-user")?.keys[0]?.accessKeyId).toBe(
        seen.accessKeyId,
      );
      expect(seen.secretLength).toBe(40);
      expect(seen.missingUserError).toBe("NoSuchEntity");
      expect(seen.generateState).toBe("STARTED");
      expect(seen.reportHeader).toBe(CREDENTIAL_REPORT_COLUMNS.join(","));
      expect(seen.reportUsers).toEqual(["<root_account>", "alice", "bob", "boto-user", "carol"]);
      expect(seen.reportGeneratedTime).toBe("2026-11-23T10:00:00+00:00");
      expect(seen.s3Body).toBe("hello from boto3");
      expect(s.objects("boto-bucket")[0]?.serverSideEncryption).toBe("aws:kms");
      expect(s.emails()[0]?.id).toBe(seen.messageId);
      expect(seen.accounts).toEqual([
        ["123456789012", "ACTIVE"],
        ["111111111111", "ACTIVE"],
        ["222222222222", "SUSPENDED"],
      ]);
      expect(seen.ouNames).toEqual(["workloads"]);
      expect(seen.accountsInOu).toEqual(["111111111111", "222222222222"]);
      expect(seen.memberUsers).toEqual(["dora"]);
      expect(seen.assumeDenied).toBe("AccessDenied");
    },
  );
});
