import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GenerateCredentialReportCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { describe, expect, it } from "vitest";
import { raw, sandbox, sandboxWithClients } from "./support.js";

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  expect(res.headers.get("content-type")).toBe("application/json");
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function post(body: unknown): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

describe("the /_sandbox/ inspection and control API", () => {
  it("shows IAM users with tags and keys, and secrets only when asked", async () => {
    const { s, iam } = await sandboxWithClients({
      seed: {
        users: [{ name: "alice", tags: { team: "x" }, keys: [{ ageDays: 5, lastUsedDaysAgo: 1 }] }],
      },
    });
    await iam.send(new CreateUserCommand({ UserName: "bob" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "bob" }));
    await iam.send(new GenerateCredentialReportCommand({}));
    const { body } = await getJson(`${s.url}/_sandbox/iam`);
    const users = body.users as { name: string; tags: unknown; keys: Record<string, unknown>[] }[];
    expect(users.map((u) => u.name)).toEqual(["alice", "bob"]);
    expect(users[0]?.tags).toEqual([{ key: "team", value: "x" }]);
    expect(users[0]?.keys[0]).toMatchObject({
      status: "Active",
      createDate: "2026-11-18T10:00:00.000Z",
      lastUsed: { date: "2026-11-22T10:00:00.000Z", service: "iam" },
    });
    expect(JSON.stringify(body)).not.toContain("secretAccessKey");
    expect((body.credentialReport as { generatedTime: string }).generatedTime).toBe(
      "2026-11-23T10:00:00+00:00",
    );
    const withSecrets = await getJson(`${s.url}/_sandbox/iam?secrets=1`);
    const key = (
      withSecrets.body.users as { keys: { accessKeyId: string; secretAccessKey: string }[] }[]
    )[1]?.keys[0];
    expect(key?.secretAccessKey).toBe(s.secretOf(key?.accessKeyId ?? ""));
  });

  it("shows sent emails, stored objects (content on request) and call counts", async () => {
    const { s, s3, ses } = await sandboxWithClients({
      seed: { buckets: ["inspect-me"], verifiedEmails: ["a@example.com"] },
    });
    await s3.send(
      new PutObjectCommand({
        Bucket: "inspect-me",
        Key: "k",
        Body: "secret body",
        ServerSideEncryption: "aws:kms",
      }),
    );
    await ses.send(
      new SendEmailCommand({
        Source: "a@example.com",
        Destination: { ToAddresses: ["b@example.com"] },
        Message: { Subject: { Data: "S" }, Body: { Text: { Data: "T" } } },
      }),
    );
    const objects = (await getJson(`${s.url}/_sandbox/objects`)).body.objects as Record<
      string,
      unknown
    >[];
    expect(objects[0]).toMatchObject({
      bucket: "inspect-me",
      key: "k",
      size: 11,
      serverSideEncryption: "aws:kms",
      kmsKeyId: null,
    });
    expect(objects[0]).not.toHaveProperty("content");
    const withContent = (await getJson(`${s.url}/_sandbox/objects?bucket=inspect-me&content=1`))
      .body.objects as Record<string, unknown>[];
    expect(withContent[0]).toMatchObject({
      content: "secret body",
      contentBase64: Buffer.from("secret body").toString("base64"),
    });
    expect((await getJson(`${s.url}/_sandbox/objects?bucket=other`)).body.objects).toEqual([]);
    const emails = (await getJson(`${s.url}/_sandbox/emails`)).body.emails as Record<
      string,
      unknown
    >[];
    expect(emails[0]).toMatchObject({
      source: "a@example.com",
      subject: "S",
      text: "T",
      time: "2026-11-23T10:00:00.000Z",
    });
    expect((await getJson(`${s.url}/_sandbox/calls`)).body.calls).toEqual({
      "s3:PutObject": 1,
      "ses:SendEmail": 1,
    });
    expect((await getJson(`${s.url}/_sandbox/calls`, { method: "DELETE" })).body.calls).toEqual({});
    expect(s.calls()).toEqual({});
  });

  it("shows the key trail: every creation, status change and deletion, with its sandbox time", async () => {
    const { s, iam } = await sandboxWithClients({ seed: { users: [{ name: "kim" }] } });
    const made = await iam.send(new CreateAccessKeyCommand({ UserName: "kim" }));
    const id = made.AccessKey?.AccessKeyId as string;
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: "kim", AccessKeyId: id, Status: "Inactive" }),
    );
    await iam.send(new DeleteAccessKeyCommand({ UserName: "kim", AccessKeyId: id }));

    const events = (await getJson(`${s.url}/_sandbox/key-events`)).body.keyEvents as Record<
      string,
      unknown
    >[];

    expect(
      events.map((e) => [e.seq, e.operation, e.userName, e.accessKeyId, e.statusAfter]),
    ).toEqual([
      [1, "CreateAccessKey", "kim", id, "Active"],
      [2, "UpdateAccessKey", "kim", id, "Inactive"],
      [3, "DeleteAccessKey", "kim", id, undefined],
    ]);
    expect(events[0]?.time).toBe("2026-11-23T10:00:00.000Z");
  });

  it("reads and moves the clock", async () => {
    const s = await sandbox();
    expect((await getJson(`${s.url}/_sandbox/clock`)).body).toEqual({
      now: "2026-11-23T10:00:00.000Z",
    });
    expect((await getJson(`${s.url}/_sandbox/clock`, post({ advanceDays: 2 }))).body).toEqual({
      now: "2026-11-25T10:00:00.000Z",
    });
    expect(
      (await getJson(`${s.url}/_sandbox/clock`, post({ now: "2027-01-01T00:00:00Z" }))).body.now,
    ).toBe("2027-01-01T00:00:00.000Z");
    expect((await getJson(`${s.url}/_sandbox/clock`, post({ advanceMs: 1000 }))).body.now).toBe(
      "2027-01-01T00:00:01.000Z",
    );
    const bad = await getJson(`${s.url}/_sandbox/clock`, post({ now: "soon" }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/ISO 8601/);
    expect(
      (
        await getJson(
          `${s.url}/_sandbox/clock`,
          post({ advanceDays: 1, now: "2027-01-01T00:00:00Z" }),
        )
      ).status,
    ).toBe(400);
    expect(s.clock.now().toISOString()).toBe("2027-01-01T00:00:01.000Z");
  });

  it("reads and replaces faults, seeds, and resets", async () => {
    const s = await sandbox();
    const set = await getJson(
      `${s.url}/_sandbox/faults`,
      post({ failOperations: { "iam:ListUsers": { count: 1 } } }),
    );
    expect(set.body.faults).toEqual({ failOperations: { "iam:ListUsers": { count: 1 } } });
    expect(s.faults()).toEqual({ failOperations: { "iam:ListUsers": { count: 1 } } });
    const badFaults = await getJson(`${s.url}/_sandbox/faults`, post({ resetRate: -1 }));
    expect(badFaults.status).toBe(400);
    expect(badFaults.body.problems).toEqual(["faults.resetRate: must be a number between 0 and 1"]);
    const seeded = await getJson(
      `${s.url}/_sandbox/seed`,
      post({ users: [{ name: "seeded", keys: [{ ageDays: 1 }] }] }),
    );
    expect(seeded.body).toMatchObject({ seeded: true, users: 1 });
    const badSeed = await getJson(
      `${s.url}/_sandbox/seed`,
      post({ users: [{ name: "seeded" }, { nom: "x" }] }),
    );
    expect(badSeed.status).toBe(400);
    expect(badSeed.body.problems).toEqual([
      "$.users[0].name: user seeded already exists in the sandbox",
      "$.users[1].nom: unknown field",
      "$.users[1].name: must be a string",
    ]);
    expect((await getJson(`${s.url}/_sandbox/reset`, { method: "POST" })).body.reset).toBe(true);
    expect(s.users()).toEqual([]);
    expect((await getJson(`${s.url}/_sandbox/faults`)).body.faults).toEqual({});
  });

  it("answers bad JSON, unknown endpoints and wrong methods with JSON errors, and keeps serving", async () => {
    const s = await sandbox();
    const badJson = await getJson(`${s.url}/_sandbox/seed`, post("{not json"));
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatch(/^invalid JSON body/);
    expect((await getJson(`${s.url}/_sandbox/faults`, post("[1,"))).status).toBe(400);
    expect((await getJson(`${s.url}/_sandbox/nothing`)).status).toBe(404);
    const wrong = await getJson(`${s.url}/_sandbox/reset`);
    expect(wrong.status).toBe(405);
    expect(wrong.body.error).toBe("GET is not allowed on /_sandbox/reset; use POST");
    expect((await getJson(`${s.url}/_sandbox`)).body.endpoints).toHaveProperty([
      "POST /_sandbox/seed",
    ]);
    expect((await raw(s, "/_sandbox/clock")).status).toBe(200);
  });
});
