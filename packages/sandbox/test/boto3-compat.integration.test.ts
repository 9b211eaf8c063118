import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CREDENTIAL_REPORT_COLUMNS } from "../src/index.js";
import { sandbox } from "./support.js";

const SCRIPT = fileURLToPath(new URL("./boto3-compat.py", import.meta.url));
const probe = spawnSync("python3", ["-c", "import boto3"], { encoding: "utf8" });
const boto3Missing =
  probe.status === 0
    ? undefined
    : `boto3 is not importable (${(probe.error?.message ?? probe.stderr).trim()}); install python3-boto3`;

describe("compatibility with boto3", () => {
  it.skipIf(boto3Missing !== undefined)(
    `lists users, creates a key, reads the credential report, uses S3 and SES${boto3Missing ? ` — skipped: ${boto3Missing}` : ""}`,
    async () => {
      const s = await sandbox({
        seed: {
          users: [{ name: "alice", keys: [{ ageDays: 10 }] }, { name: "bob" }, { name: "carol" }],
        },
      });
      const { stdout } = await promisify(execFile)("python3", [SCRIPT, s.url], { timeout: 60_000 });
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
    },
  );
});
