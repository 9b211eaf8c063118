import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { LastUse } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { type AccountScan, scanAccount } from "../src/scan.js";
import {
  daysAgo,
  mockedClients,
  recordingSleep,
  reportCsv,
  reportResponse,
  row,
  settingsFrom,
  TODAY,
} from "./fixtures.js";

const meta = { $metadata: {}, message: "x" };
const OLD = "AKIAOLDOLDOLDOLDOLD1";
const NEW = "AKIANEWNEWNEWNEWNEW1";

const keyMeta = (id: string, ageDays: number, status = "Active") => ({
  AccessKeyId: id,
  Status: status as "Active",
  CreateDate: new Date(daysAgo(ageDays)),
});

type Mocks = ReturnType<typeof mockedClients>;

const withReport = (m: Mocks, ...rows: string[]) => {
  m.iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
  m.iam.on(GetCredentialReportCommand).resolves(reportResponse(reportCsv(...rows)));
};

const scan = async (m: Mocks, env = {}, mode?: "list-users"): Promise<AccountScan> => {
  const result = await scanAccount({
    iam: m.clients.iam,
    settings: settingsFrom(env),
    today: TODAY,
    polling: { sleep: recordingSleep().sleep },
    ...(mode === undefined ? {} : { mode }),
  });
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const calledFor = (m: Mocks, command: "tags" | "keys") =>
  (command === "tags"
    ? m.iam.commandCalls(ListUserTagsCommand)
    : m.iam.commandCalls(ListAccessKeysCommand)
  ).map((c) => c.args[0].input.UserName);

describe("scanAccount in credential-report mode", () => {
  it("reads tags and keys only of the users triage selects", async () => {
    const m = mockedClients();
    withReport(
      m,
      row("fresh", { active: true, created: daysAgo(10), lastUsed: daysAgo(1) }),
      row("overdue", { active: true, created: daysAgo(61), lastUsed: daysAgo(1) }),
      row("nokeys"),
    );
    m.iam.on(ListUserTagsCommand).resolves({ Tags: [{ Key: "email", Value: "o@example.com" }] });
    m.iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [keyMeta(OLD, 61)] });

    const result = await scan(m);

    expect(result).toMatchObject({ mode: "credential-report", usersSeen: 3, usersSelected: 1 });
    expect(calledFor(m, "tags")).toEqual(["overdue"]);
    expect(calledFor(m, "keys")).toEqual(["overdue"]);
    expect(result.users[0]).toMatchObject({
      triage: ["overdue"],
      snapshot: {
        userName: "overdue",
        tags: [{ key: "email", value: "o@example.com" }],
        keys: [
          {
            id: OLD,
            status: "Active",
            created: "2026-04-15",
            lastUse: LastUse.usedOn("2026-06-14" as never),
          },
        ],
      },
    });
    expect(m.iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(0);
    expect(result.reportGeneratedAt).toBe(`${TODAY}T06:00:00.000Z`);
  });

  it("follows every page of tags and keys", async () => {
    const m = mockedClients();
    withReport(m, row("many", { active: true, created: daysAgo(61) }));
    m.iam
      .on(ListUserTagsCommand)
      .resolvesOnce({ Tags: [{ Key: "a", Value: "1" }], IsTruncated: true, Marker: "m1" })
      .resolvesOnce({ Tags: [{ Key: "b", Value: "2" }], IsTruncated: false });
    m.iam
      .on(ListAccessKeysCommand)
      .resolvesOnce({ AccessKeyMetadata: [keyMeta(OLD, 61)], IsTruncated: true, Marker: "k1" })
      .resolvesOnce({ AccessKeyMetadata: [keyMeta(NEW, 1, "Expired")], IsTruncated: false });

    const result = await scan(m);

    const snapshot = result.users[0]?.snapshot;
    expect(snapshot?.tags.map((t) => t.key)).toEqual(["a", "b"]);
    expect(snapshot?.keys.map((k) => [k.id, k.status])).toEqual([
      [OLD, "Active"],
      [NEW, "Inactive"],
    ]);
    expect(m.iam.commandCalls(ListUserTagsCommand)[1]?.args[0].input).toMatchObject({
      Marker: "m1",
    });
  });

  it("skips and reports a user deleted between the report and the details", async () => {
    const m = mockedClients();
    withReport(
      m,
      row("gone", { active: true, created: daysAgo(61) }),
      row("here", { active: true, created: daysAgo(61) }),
    );
    m.iam
      .on(ListUserTagsCommand, { UserName: "gone" })
      .rejects(new NoSuchEntityException(meta))
      .on(ListUserTagsCommand, { UserName: "here" })
      .resolves({ Tags: [] });
    m.iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [keyMeta(OLD, 61)] });

    const result = await scan(m);

    expect(result.users.map((u) => u.snapshot.userName)).toEqual(["here"]);
    expect(result.skipped).toEqual([
      {
        userName: "gone",
        reason: "deleted",
        error: expect.objectContaining({ tag: "NotFound", operation: "iam:ListUserTags" }),
      },
    ]);
  });

  it("skips a user whose keys cannot be read, and says why", async () => {
    const m = mockedClients();
    withReport(m, row("locked", { active: true, created: daysAgo(61) }));
    m.iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    m.iam
      .on(ListAccessKeysCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));

    const result = await scan(m);

    expect(result.users).toEqual([]);
    expect(result.skipped[0]).toMatchObject({
      reason: "unreadable",
      error: { tag: "AccessDenied", operation: "iam:ListAccessKeys" },
    });
  });

  it("fails without reading any user when the report is malformed", async () => {
    const m = mockedClients();
    m.iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    m.iam
      .on(GetCredentialReportCommand)
      .resolves(reportResponse(reportCsv(row("alice")).slice(0, -7)));

    const result = await scanAccount({
      iam: m.clients.iam,
      settings: settingsFrom(),
      today: TODAY,
    });

    expect(E.isLeft(result) && result.left.tag).toBe("MalformedReport");
    expect(m.iam.commandCalls(ListUserTagsCommand)).toHaveLength(0);
  });
});

describe("scanAccount with UNUSED_DAYS", () => {
  const env = { UNUSED_DAYS: "45" };

  it("confirms the last use of an Active key the report shows as possibly unused", async () => {
    const m = mockedClients();
    withReport(m, row("idle", { active: true, created: daysAgo(50), lastUsed: daysAgo(47) }));
    m.iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    m.iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [keyMeta(OLD, 50)] });
    m.iam.on(GetAccessKeyLastUsedCommand).resolves({
      AccessKeyLastUsed: {
        LastUsedDate: new Date(daysAgo(3)),
        Region: "eu-west-1",
        ServiceName: "s3",
      },
    });

    const result = await scan(m, env);

    expect(result.users[0]?.snapshot.keys[0]?.lastUse).toEqual(
      LastUse.usedOn("2026-06-12" as never),
    );
    expect(result.users[0]?.lastUseConfirmed).toEqual([OLD]);
  });

  it("reads a key the API reports without a last-use date as never used", async () => {
    const m = mockedClients();
    withReport(m, row("never", { active: true, created: daysAgo(50) }));
    m.iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    m.iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [keyMeta(OLD, 50)] });
    m.iam
      .on(GetAccessKeyLastUsedCommand)
      .resolves({ AccessKeyLastUsed: { Region: "N/A", ServiceName: "N/A" } });

    const result = await scan(m, env);

    expect(result.users[0]?.snapshot.keys[0]?.lastUse).toEqual(LastUse.never);
  });

  it("does not ask about keys the report shows in recent use, nor about Inactive keys", async () => {
    const m = mockedClients();
    withReport(
      m,
      row(
        "busy",
        { active: true, created: daysAgo(61), lastUsed: daysAgo(1) },
        { active: false, created: daysAgo(80) },
      ),
    );
    m.iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    m.iam
      .on(ListAccessKeysCommand)
      .resolves({ AccessKeyMetadata: [keyMeta(OLD, 61), keyMeta(NEW, 80, "Inactive")] });

    await scan(m, env);

    expect(m.iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(0);
  });

  it("keeps the last use unknown, never 'never used', when the lookup fails", async () => {
    const m = mockedClients();
    withReport(m, row("idle", { active: true, created: daysAgo(50) }));
    m.iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    m.iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [keyMeta(OLD, 50)] });
    m.iam.on(GetAccessKeyLastUsedCommand).rejects(new Error("socket hang up"));

    const result = await scan(m, env);

    expect(result.users[0]?.snapshot.keys[0]?.lastUse).toEqual(LastUse.unknown);
    expect(result.users[0]?.lastUseErrors[0]?.operation).toBe("iam:GetAccessKeyLastUsed");
  });

  it("stops at the first key confirmed unused: at most three reads for the user", async () => {
    const m = mockedClients();
    withReport(
      m,
      row(
        "twoidle",
        { active: true, created: daysAgo(60) },
        { active: true, created: daysAgo(50) },
      ),
    );
    m.iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    m.iam
      .on(ListAccessKeysCommand)
      .resolves({ AccessKeyMetadata: [keyMeta(NEW, 50), keyMeta(OLD, 60)] });
    m.iam
      .on(GetAccessKeyLastUsedCommand)
      .resolves({ AccessKeyLastUsed: { Region: "N/A", ServiceName: "N/A" } });

    const result = await scan(m, env);

    expect(
      m.iam.commandCalls(GetAccessKeyLastUsedCommand).map((c) => c.args[0].input.AccessKeyId),
    ).toEqual([OLD]);
    const keys = result.users[0]?.snapshot.keys ?? [];
    expect(keys.find((k) => k.id === OLD)?.lastUse).toEqual(LastUse.never);
    expect(keys.find((k) => k.id === NEW)?.lastUse).toEqual(LastUse.unknown);
  });
});

describe("scanAccount: the usage a rotation needs (issues 12 and 13)", () => {
  const NEVER = { AccessKeyLastUsed: { Region: "N/A", ServiceName: "N/A" } };

  it("confirms every key of a user with a rotation in flight: recovery discards only a key never used", async () => {
    const m = mockedClients();
    withReport(m, row("bob", { active: true, created: daysAgo(75), lastUsed: daysAgo(1) }));
    m.iam.on(ListUserTagsCommand).resolves({
      Tags: [{ Key: "key-rotation-state", Value: `rotating:${OLD}:20260614T100000Z` }],
    });
    m.iam
      .on(ListAccessKeysCommand)
      .resolves({ AccessKeyMetadata: [keyMeta(OLD, 75), keyMeta(NEW, 1)] });
    m.iam.on(GetAccessKeyLastUsedCommand).resolves(NEVER);

    const result = await scan(m);

    // The old key shows a use since yesterday: no call; the new one is confirmed never used.
    expect(
      m.iam.commandCalls(GetAccessKeyLastUsedCommand).map((c) => c.args[0].input.AccessKeyId),
    ).toEqual([NEW]);
    expect(result.users[0]?.snapshot.keys.find((k) => k.id === NEW)).toMatchObject({
      lastUse: LastUse.never,
      createdAt: Math.floor(Date.parse(daysAgo(1)) / 1000),
    });
  });

  it("confirms the keys of a tracked user with two keys when IN_USE_DELAY_DAYS is on, and not when it is 0", async () => {
    const tracked = (m: Mocks) => {
      withReport(
        m,
        row(
          "carol",
          { active: true, created: daysAgo(80), lastUsed: daysAgo(5) },
          { active: true, created: daysAgo(12), lastUsed: daysAgo(1) },
        ),
      );
      m.iam.on(ListUserTagsCommand).resolves({
        Tags: [
          { Key: "last-check-date", Value: "2026-06-04" },
          { Key: "last-check-old-key", Value: OLD },
        ],
      });
      m.iam
        .on(ListAccessKeysCommand)
        .resolves({ AccessKeyMetadata: [keyMeta(OLD, 80), keyMeta(NEW, 12)] });
      m.iam.on(GetAccessKeyLastUsedCommand).resolves(NEVER);
    };
    const delayed = mockedClients();
    tracked(delayed);
    const original = mockedClients();
    tracked(original);

    await scan(delayed);
    await scan(original, { IN_USE_DELAY_DAYS: "0" });

    expect(
      delayed.iam.commandCalls(GetAccessKeyLastUsedCommand).map((c) => c.args[0].input.AccessKeyId),
    ).toEqual([OLD]);
    expect(original.iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(0);
  });
});

describe("scanAccount in list-users mode", () => {
  it("lists every user over all pages and reads each one, without the report", async () => {
    const m = mockedClients();
    m.iam
      .on(ListUsersCommand)
      .resolvesOnce({
        Users: [{ UserName: "a", Path: "/", UserId: "1", Arn: "arn:a", CreateDate: new Date() }],
        IsTruncated: true,
        Marker: "p2",
      })
      .resolvesOnce({
        Users: [{ UserName: "b", Path: "/", UserId: "2", Arn: "arn:b", CreateDate: new Date() }],
        IsTruncated: false,
      });
    m.iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    m.iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [keyMeta(OLD, 5)] });

    const result = await scan(m, {}, "list-users");

    expect(result).toMatchObject({ mode: "list-users", usersSeen: 2, usersSelected: 2 });
    expect(calledFor(m, "tags").sort()).toEqual(["a", "b"]);
    expect(m.iam.commandCalls(GenerateCredentialReportCommand)).toHaveLength(0);
    expect(result.users[0]?.snapshot.keys[0]?.lastUse).toEqual(LastUse.unknown);
  });

  it("fails as a whole when the users cannot be listed", async () => {
    const m = mockedClients();
    m.iam.on(ListUsersCommand).rejects(Object.assign(new Error("no"), { name: "AccessDenied" }));

    const result = await scanAccount({
      iam: m.clients.iam,
      settings: settingsFrom(),
      today: TODAY,
      mode: "list-users",
    });

    expect(E.isLeft(result) && result.left.toJSON()).toMatchObject({
      tag: "AccessDenied",
      operation: "iam:ListUsers",
    });
  });
});
