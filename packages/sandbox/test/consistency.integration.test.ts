import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { ListIdentitiesCommand } from "@aws-sdk/client-ses";
import { describe, expect, it } from "vitest";
import { FaultSettingsError } from "../src/index.js";
import { caught, clients, sandbox, sandboxWithClients } from "./support.js";

const alice = {
  name: "alice",
  tags: { email: "alice@example.com" },
  keys: [{ ageDays: 10, id: "AKIAALICE00000000001" }],
};

const keyIds = async (iam: IAMClient, userName = "alice") =>
  ((await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? []).map(
    (k) => `${k.AccessKeyId}:${k.Status}`,
  );

const tagsOf = async (iam: IAMClient, userName = "alice") =>
  Object.fromEntries(
    ((await iam.send(new ListUserTagsCommand({ UserName: userName }))).Tags ?? []).map((t) => [
      t.Key,
      t.Value,
    ]),
  );

const reportRows = async (iam: IAMClient) => {
  await iam.send(new GenerateCredentialReportCommand({}));
  await new Promise((r) => setTimeout(r, 20));
  const out = await iam.send(new GetCredentialReportCommand({}));
  return Buffer.from(out.Content ?? new Uint8Array())
    .toString("utf8")
    .split("\n")
    .slice(2);
};

describe("eventual consistency (faults.consistencyDelayMs)", () => {
  it("hides a new key, a status change and a deletion from ListAccessKeys until the delay has passed on the sandbox clock", async () => {
    const s = await sandbox({ seed: { users: [alice] }, reportGenerationMs: 1 });
    s.setFaults({ consistencyDelayMs: 60_000 });
    const { iam } = clients(s);

    const created = await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    const newId = created.AccessKey?.AccessKeyId as string;

    expect(await keyIds(iam)).toEqual(["AKIAALICE00000000001:Active"]);
    s.clock.advanceMs(59_999);
    expect(await keyIds(iam)).toEqual(["AKIAALICE00000000001:Active"]);
    s.clock.advanceMs(1);
    expect(await keyIds(iam)).toEqual(["AKIAALICE00000000001:Active", `${newId}:Active`]);

    await iam.send(
      new UpdateAccessKeyCommand({
        UserName: "alice",
        AccessKeyId: "AKIAALICE00000000001",
        Status: "Inactive",
      }),
    );
    await iam.send(new DeleteAccessKeyCommand({ UserName: "alice", AccessKeyId: newId }));
    // The writes themselves see the latest state: a third key fits, as only one is live.
    expect(await keyIds(iam)).toEqual(["AKIAALICE00000000001:Active", `${newId}:Active`]);
    s.clock.advanceMs(60_000);
    expect(await keyIds(iam)).toEqual(["AKIAALICE00000000001:Inactive"]);
    // The inspection API always shows the live state.
    expect(s.users()[0]?.keys.map((k) => k.accessKeyId)).toEqual(["AKIAALICE00000000001"]);
  });

  it("shows writes in order: a read sees the newest write whose delay has passed", async () => {
    const s = await sandbox({ seed: { users: [alice] } });
    s.setFaults({ consistencyDelayMs: 1_000 });
    const { iam } = clients(s);

    await iam.send(new TagUserCommand({ UserName: "alice", Tags: [{ Key: "a", Value: "1" }] }));
    s.clock.advanceMs(600);
    await iam.send(new TagUserCommand({ UserName: "alice", Tags: [{ Key: "b", Value: "2" }] }));
    s.clock.advanceMs(600);
    expect(await tagsOf(iam)).toEqual({ email: "alice@example.com", a: "1" });
    await iam.send(new UntagUserCommand({ UserName: "alice", TagKeys: ["a"] }));
    s.clock.advanceMs(600);
    expect(await tagsOf(iam)).toEqual({ email: "alice@example.com", a: "1", b: "2" });
    s.clock.advanceMs(600);
    expect(await tagsOf(iam)).toEqual({ email: "alice@example.com", b: "2" });
    const user = await iam.send(new GetUserCommand({ UserName: "alice" }));
    expect(user.User?.Tags?.map((t) => t.Key)).toEqual(["email", "b"]);
  });

  it("delays tags in GetUser, new users in ListUsers and GetUser, and keys in the credential report", async () => {
    const s = await sandbox({ seed: { users: [alice] }, reportGenerationMs: 1 });
    s.setFaults({ consistencyDelayMs: 30_000 });
    const { iam } = clients(s);

    await iam.send(new TagUserCommand({ UserName: "alice", Tags: [{ Key: "x", Value: "y" }] }));
    await iam.send(new CreateUserCommand({ UserName: "bob" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));

    const got = await iam.send(new GetUserCommand({ UserName: "alice" }));
    expect(got.User?.Tags?.map((t) => t.Key)).toEqual(["email"]);
    const listed = await iam.send(new ListUsersCommand({}));
    expect(listed.Users?.map((u) => u.UserName)).toEqual(["alice"]);
    const missing = await caught(() => iam.send(new GetUserCommand({ UserName: "bob" })));
    expect(missing.name).toBe("NoSuchEntityException");
    const rows = await reportRows(iam);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.split(",")[13]).toBe("false"); // alice's second key slot is still empty

    s.clock.advanceMs(30_000);
    const later = await iam.send(new ListUsersCommand({}));
    expect(later.Users?.map((u) => u.UserName)).toEqual(["alice", "bob"]);
    expect((await iam.send(new GetUserCommand({ UserName: "alice" }))).User?.Tags).toHaveLength(2);
  });

  it("also lets writes appear after the delay in real time, for a clock that never moves", async () => {
    const s = await sandbox({ seed: { users: [alice] } });
    s.setFaults({ consistencyDelayMs: 150 });
    const { iam } = clients(s);

    await iam.send(new TagUserCommand({ UserName: "alice", Tags: [{ Key: "k", Value: "v" }] }));
    expect((await tagsOf(iam)).k).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200));
    expect((await tagsOf(iam)).k).toBe("v");
  });

  it("shows every write at once when the delay is turned off, and leaves other services alone", async () => {
    const s = await sandbox({ seed: { users: [alice] } });
    s.setFaults({ consistencyDelayMs: 3_600_000 });
    const { iam, ses } = clients(s);
    await iam.send(new TagUserCommand({ UserName: "alice", Tags: [{ Key: "k", Value: "v" }] }));
    await ses.send(new ListIdentitiesCommand({}));
    expect((await tagsOf(iam)).k).toBeUndefined();

    s.setFaults({});

    expect((await tagsOf(iam)).k).toBe("v");
  });

  it("records every key change in the key trail, with whether the key was visible before it", async () => {
    const s = await sandbox({ seed: { users: [alice] } });
    s.setFaults({ consistencyDelayMs: 10_000 });
    const { iam } = clients(s);

    const created = await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    const newId = created.AccessKey?.AccessKeyId as string;
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: "alice", AccessKeyId: newId, Status: "Inactive" }),
    );
    await iam.send(new DeleteAccessKeyCommand({ UserName: "alice", AccessKeyId: newId }));
    await iam.send(
      new UpdateAccessKeyCommand({
        UserName: "alice",
        AccessKeyId: "AKIAALICE00000000001",
        Status: "Inactive",
      }),
    );

    expect(
      s
        .keyEvents()
        .map((e) => [e.operation, e.accessKeyId, e.statusBefore, e.statusAfter, e.visibleBefore]),
    ).toEqual([
      ["CreateAccessKey", newId, undefined, "Active", false],
      ["UpdateAccessKey", newId, "Active", "Inactive", false],
      ["DeleteAccessKey", newId, "Inactive", undefined, false],
      ["UpdateAccessKey", "AKIAALICE00000000001", "Active", "Inactive", true],
    ]);
    expect(s.keyEvents().map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("keeps every secret it issued, deleted keys' included", async () => {
    const { s, iam } = await sandboxWithClients({ seed: { users: [alice] } });
    const created = await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    const id = created.AccessKey?.AccessKeyId as string;
    await iam.send(new DeleteAccessKeyCommand({ UserName: "alice", AccessKeyId: id }));

    const issued = s.issuedSecrets();

    expect(issued.map((i) => i.accessKeyId)).toEqual(["AKIAALICE00000000001", id]);
    expect(issued[1]?.secretAccessKey).toBe(created.AccessKey?.SecretAccessKey);
    expect(issued.every((i) => i.userName === "alice" && i.secretAccessKey.length === 40)).toBe(
      true,
    );
    expect(s.secretOf(id)).toBeUndefined();
    s.reset();
    expect(s.issuedSecrets()).toEqual([]);
  });

  it("refuses an invalid delay", async () => {
    const s = await sandbox();
    expect(() => s.setFaults({ consistencyDelayMs: -1 })).toThrow(FaultSettingsError);
    expect(() => s.setFaults({ throttleRate: 2 })).toThrow(/throttleRate/);
  });
});

describe("throttleRate, fault counts and simulated key use", () => {
  it("throttles about the given share of calls and counts every injected fault by kind", async () => {
    const s = await sandbox({ randomSeed: 3 });
    s.setFaults({ throttleRate: 0.3, errorRate: 0.1, resetRate: 0.05 });
    const { iam } = clients(s, { maxAttempts: 1 });
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await iam.send(new ListUsersCommand({}));
      } catch {
        failed++;
      }
    }
    const counts = s.faultCounts();
    expect(counts.throttled).toBeGreaterThan(40);
    expect(counts.throttled).toBeLessThan(80);
    expect(counts.errors).toBeGreaterThan(3);
    expect(counts.resets).toBeGreaterThan(0);
    expect(counts.throttled + counts.errors + counts.resets).toBe(failed);
    s.setFaults({ crashAfterCalls: 0 });
    await caught(() => iam.send(new ListUsersCommand({})));
    expect(s.faultCounts().crashed).toBe(1);
  });

  it("records a use of an Active key without a request, and refuses Inactive and unknown keys", async () => {
    const s = await sandbox({
      seed: {
        users: [
          {
            name: "u",
            keys: [
              { ageDays: 5, id: "AKIAUSERU00000000001" },
              { ageDays: 1, id: "AKIAUSERU00000000002", status: "Inactive" },
            ],
          },
        ],
      },
    });
    s.clock.advanceDays(1);

    expect(s.useKey("AKIAUSERU00000000001", "s3")).toBe(true);
    expect(s.useKey("AKIAUSERU00000000002")).toBe(false);
    expect(s.useKey("AKIANOSUCHKEY0000001")).toBe(false);

    const [used, refused] = s.users()[0]?.keys ?? [];
    expect(used?.lastUsed).toEqual({ date: s.clock.now(), region: s.region, service: "s3" });
    expect(refused?.lastUsed).toBeUndefined();
  });
});
