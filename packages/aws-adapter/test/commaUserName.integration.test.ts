import type { ScenarioUser } from "@keyrotate/sandbox";
import { BUCKET, type Harness, keysOf, startHarness, undeliveredKeys } from "@keyrotate/testkit";
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it } from "vitest";
import { secretObjectKey } from "../src/secretFile.js";

// IAM allows commas in user names ([\w+=,.@-]+); the credential report writes them unquoted.
const SVC = "svc,deploy";
const SVC_OLD = "AKIASVC0000000000001";
const users: ScenarioUser[] = [
  { name: SVC, tags: { email: "svc@example.com" }, keys: [{ ageDays: 61, id: SVC_OLD }] },
  {
    name: "alice",
    tags: { email: "alice@example.com" },
    keys: [{ ageDays: 61, id: "AKIAALICE00000000001" }],
  },
];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("a user named with a comma, against the sandbox", () => {
  it("is scanned and rotated like any user, and its secret file has three columns", async () => {
    h = await startHarness(users, { MIN_NOTICE_DAYS: "0", IN_USE_DELAY_DAYS: "0" });

    const report = await h.run();

    expect(report.status).toBe("completed");
    expect(report.counts.usersSeen).toBe(2);
    expect(report.users.map((u) => [u.userName, u.status])).toEqual(
      expect.arrayContaining([
        [SVC, "ok"],
        ["alice", "ok"],
      ]),
    );
    const newKey = keysOf(h, SVC).find((k) => k.accessKeyId !== SVC_OLD);
    const file = h.sandbox
      .objects(BUCKET)
      .find((o) => o.key === secretObjectKey(SVC, newKey?.accessKeyId ?? ""));
    const records = parse(file?.body.toString("utf8") ?? "") as string[][];
    expect(records).toEqual([
      ["UserName", "AccessKeyId", "SecretAccessKey"],
      [SVC, newKey?.accessKeyId, h.sandbox.secretOf(newKey?.accessKeyId ?? "")],
    ]);
    expect(undeliveredKeys(h, "alice", ["AKIAALICE00000000001"])).toEqual([]);
  });
});
