import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ScenarioError } from "../src/index.js";
import { sandbox, thrown } from "./support.js";

const example: unknown = JSON.parse(
  readFileSync(new URL("../scenarios/example.json", import.meta.url), "utf8"),
);

describe("scenario seeding", () => {
  it("seeds the example scenario with ages relative to its now", async () => {
    const s = await sandbox();
    s.seed(example as never);
    expect(s.clock.now().toISOString()).toBe("2026-11-23T09:00:00.000Z");
    const users = Object.fromEntries(s.users().map((u) => [u.name, u]));
    expect(Object.keys(users)).toEqual(["alice", "bob", "carol", "ci-deployer"]);
    expect(users.alice?.createDate).toEqual(new Date("2025-10-19T09:00:00Z"));
    expect(users.alice?.keys).toEqual([
      {
        accessKeyId: "AKIAALICE00000000001",
        status: "Active",
        createDate: new Date("2026-08-20T09:00:00Z"),
        lastUsed: { date: new Date("2026-11-22T09:00:00Z"), region: "us-east-1", service: "iam" },
      },
    ]);
    expect(users.bob?.createDate).toEqual(new Date("2026-05-07T09:00:00Z")); // its oldest key's age
    expect(users.bob?.keys.map((k) => k.status)).toEqual(["Inactive", "Active"]);
    expect(users.bob?.keys[1]?.lastUsed?.service).toBe("s3");
    expect(users["ci-deployer"]?.keys[0]).not.toHaveProperty("lastUsed");
    expect(users["ci-deployer"]?.arn).toBe("arn:aws:iam::123456789012:user/service/ci-deployer");
    expect(users["ci-deployer"]?.tags).toEqual([
      { key: "owner", value: "platform@corp.example" },
      { key: "keyrotate:exempt", value: "true" },
    ]);
    expect(s.objects()).toEqual([]);
    expect(s.secretOf("AKIAALICE00000000001")).toHaveLength(40);
  });

  it("reports every problem with its path and applies nothing", async () => {
    const s = await sandbox({
      seed: { users: [{ name: "taken", keys: [{ ageDays: 1, id: "AKIATAKEN00000000001" }] }] },
    });
    const error = thrown(() =>
      s.seed({
        now: "yesterday",
        buckets: ["OK"],
        users: [
          { name: "fine" },
          { name: "Taken" },
          {
            name: "has space",
            createdDaysAgo: 5,
            keys: [{ ageDays: 10 }, { ageDays: -1 }, { ageDays: 1 }],
          },
          {
            name: "dup",
            keys: [
              { ageDays: 3, lastUsedDaysAgo: 4, status: "Paused", id: "AKIATAKEN00000000001" },
            ],
          },
          { name: "DUP", tags: { ["k".repeat(129)]: "v" }, extra: true },
        ],
      } as never),
    );
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).problems).toEqual([
      "$.now: must be an ISO 8601 date-time string",
      "$.buckets[0]: must be a valid S3 bucket name (3-63 of a-z 0-9 . -)",
      "$.users[1].name: user Taken already exists in the sandbox",
      "$.users[2].name: 1 validation error detected: Value 'has space' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      "$.users[2].keys: at most 2 access keys per user (got 3)",
      "$.users[2].keys[0].ageDays: the key (10 days) cannot be older than its user (createdDaysAgo 5)",
      "$.users[2].keys[1].ageDays: must be a number >= 0",
      '$.users[3].keys[0].status: must be "Active" or "Inactive"',
      "$.users[3].keys[0].lastUsedDaysAgo: a key cannot be used (4 days ago) before it was created (3 days ago)",
      "$.users[3].keys[0].id: access key AKIATAKEN00000000001 already exists in the sandbox",
      "$.users[4].extra: unknown field",
      "$.users[4].name: duplicate user name DUP (names are case-insensitive)",
      `$.users[4].tags.${"k".repeat(129)}: 1 validation error detected: Value '${"k".repeat(129)}' at 'key' failed to satisfy constraint: Member must have length less than or equal to 128`,
    ]);
    expect((error as Error).message).toMatch(/^invalid scenario \(13 problems\):/);
    expect(s.users().map((u) => u.name)).toEqual(["taken"]);
  });

  it("adds to the current state and is cleared by reset", async () => {
    const s = await sandbox({ seed: { users: [{ name: "one" }] } });
    s.seed({ users: [{ name: "two" }], buckets: ["b-two"], verifiedEmails: ["a@b.example"] });
    expect(s.users().map((u) => u.name)).toEqual(["one", "two"]);
    s.setFaults({ errorRate: 0.5 });
    s.reset();
    expect(s.users()).toEqual([]);
    expect(s.faults()).toEqual({});
    expect(s.calls()).toEqual({});
  });

  it("names every problem with the KMS keys and SES settings of a scenario", async () => {
    const s = await sandbox();
    const error = thrown(() =>
      s.seed({
        kmsKeys: [{ id: "" }, { id: "alias/x", state: "Off" }, "k"],
        ses: { sendingEnabled: "no", max24HourSend: -2, rate: 1 },
      } as never),
    );

    expect((error as ScenarioError).problems).toEqual([
      "$.kmsKeys[0].id: must be a key id, key ARN or alias",
      '$.kmsKeys[1].state: must be "Enabled", "Disabled" or "PendingDeletion"',
      "$.kmsKeys[2]: must be an object",
      "$.ses.rate: unknown field",
      "$.ses.sendingEnabled: must be true or false",
      "$.ses.max24HourSend: must be an integer >= -1 (-1 = unlimited)",
    ]);
  });
});
