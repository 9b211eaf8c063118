import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { DeleteObjectCommand, NoSuchKey, PutObjectCommand } from "@aws-sdk/client-s3";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import {
  type AccessKeyId,
  type CalendarDate,
  decide,
  type EmailAddress,
  formatInstant,
  LastUse,
  type Plan,
  startOfDay,
  type UserName,
  type UserSnapshot,
} from "@keyrotate/core";
import { describe, expect, it } from "vitest";
import { executePlan } from "../src/executePlan.js";
import { executePlans } from "../src/executePlans.js";
import type { LogEntry } from "../src/log.js";
import {
  mockedClients,
  mockWritesSucceed,
  NEW_KEY_ID,
  SECRET,
  settingsFrom,
  TODAY,
} from "./fixtures.js";

const OLD = "AKIAOLDOLDOLDOLDOLD1" as AccessKeyId;
const NEW = NEW_KEY_ID as AccessKeyId;
const meta = { $metadata: {}, message: "x" };

const user = (
  name: string,
  keys: ReadonlyArray<{ id: string; ageDays: number; status?: "Active" | "Inactive" }>,
  tags: Record<string, string> = {},
): UserSnapshot => ({
  userName: name as UserName,
  tags: Object.entries({ email: `${name}@example.com`, ...tags }).map(([key, value]) => ({
    key,
    value,
  })),
  keys: keys.map((k) => {
    const d = new Date(`${TODAY}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() - k.ageDays);
    return {
      id: k.id as AccessKeyId,
      status: k.status ?? "Active",
      created: d.toISOString().slice(0, 10) as CalendarDate,
      lastUse: LastUse.unknown,
    };
  }),
});

/** Plans with the original's timing (no minimum notice, no in-use delay): apply is tested here. */
const plan = (snapshot: UserSnapshot, env = {}): Plan =>
  decide(settingsFrom({ MIN_NOTICE_DAYS: "0", IN_USE_DELAY_DAYS: "0", ...env }), TODAY)(snapshot);

const rotation = (name = "alice") => plan(user(name, [{ id: OLD, ageDays: 61 }]));

type Mocks = ReturnType<typeof mockedClients>;

const allOk = mockWritesSucceed;

/** Every call in order as `Command(key facts)`, across the three clients. */
const callLog = (m: Mocks): string[] => {
  const all = [...m.iam.calls(), ...m.s3.calls(), ...m.ses.calls()].map((call) => {
    const command = call.args[0] as unknown as {
      constructor: { name: string };
      input: Record<string, unknown>;
    };
    // sinon numbers every call across spies: the order the adapter made them in.
    return { command, order: (call as unknown as { callId: number }).callId };
  });
  return all
    .sort((a, b) => a.order - b.order)
    .map(({ command }) => {
      const i = command.input;
      const name = command.constructor.name.replace(/Command$/, "");
      const what =
        (i.AccessKeyId as string | undefined) ??
        (i.Key as string | undefined) ??
        ((i.Tags as { Key: string }[] | undefined)?.map((t) => t.Key).join("+") ||
          (i.TagKeys as string[] | undefined)?.join("+")) ??
        "";
      return what === "" ? name : `${name}(${what})`;
    });
};

const ctx = (m: Mocks, env = {}, log?: (e: LogEntry) => void) => ({
  clients: m.clients,
  settings: settingsFrom(env),
  ...(log === undefined ? {} : { log }),
});

describe("executePlan: a rotation", () => {
  it("creates, stores, commits, notifies and clears the marker, in that order", async () => {
    const m = mockedClients();
    allOk(m);

    const outcome = await executePlan(ctx(m), rotation());

    expect(callLog(m)).toEqual([
      "TagUser(key-rotation-state)",
      "CreateAccessKey",
      `PutObject(credential/alice/alice_${NEW}.csv)`,
      "TagUser(last-check-date+last-check-old-key+key-rotation-state)",
      "SendEmail",
      "UntagUser(key-rotation-state)",
    ]);
    expect(outcome).toMatchObject({ status: "ok", newKeyId: NEW, markerLeft: false });
    expect(outcome.steps.every((s) => s.status === "ok")).toBe(true);
    expect(outcome.compensation).toEqual([]);
  });

  it("stores the secret as the original's CSV with SSE-S3 by default", async () => {
    const m = mockedClients();
    allOk(m);

    await executePlan(ctx(m), rotation());

    expect(m.s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: "creds-bucket",
      Key: `credential/alice/alice_${NEW}.csv`,
      Body: `UserName,AccessKeyId,SecretAccessKey\nalice,${NEW},${SECRET}\n`,
      ContentType: "text/csv",
      ServerSideEncryption: "AES256",
    });
  });

  it("encrypts the stored secret with the KMS key when one is set", async () => {
    const m = mockedClients();
    allOk(m);
    const kms = "arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1234-4abc-9def-001122334455";

    await executePlan(ctx(m, { KMS_KEY_ID: kms }), rotation());

    expect(m.s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: kms,
    });
  });

  it("tells the user where the new key is, and never the secret", async () => {
    const m = mockedClients();
    allOk(m);

    await executePlan(ctx(m), rotation());

    const input = m.ses.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.Source).toBe("keyrotate@example.com");
    expect(input?.Destination?.ToAddresses).toEqual(["alice@example.com"]);
    expect(input?.Message?.Subject?.Data).toContain(NEW);
    expect(input?.Message?.Body?.Text?.Data).toContain(
      `aws s3 cp s3://creds-bucket/credential/alice/alice_${NEW}.csv ./`,
    );
    expect(input?.Tags).toEqual([{ Name: "X-Keyrotate-Notice", Value: "Rotated" }]);
    expect(JSON.stringify(input)).not.toContain(SECRET);
  });

  it("undoes everything when storing fails: the new key is deleted, the old one untouched", async () => {
    const m = mockedClients();
    allOk(m);
    m.s3.on(PutObjectCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));

    const outcome = await executePlan(ctx(m), rotation());

    expect(callLog(m)).toEqual([
      "TagUser(key-rotation-state)",
      "CreateAccessKey",
      `PutObject(credential/alice/alice_${NEW}.csv)`,
      `DeleteObject(credential/alice/alice_${NEW}.csv)`,
      `UpdateAccessKey(${NEW})`,
      `DeleteAccessKey(${NEW})`,
      "UntagUser(key-rotation-state)",
    ]);
    expect(outcome).toMatchObject({
      status: "failed",
      markerLeft: false,
      error: { tag: "AccessDenied", operation: "s3:PutObject" },
    });
    expect(outcome.steps.map((s) => s.status)).toEqual([
      "ok",
      "ok",
      "failed",
      "skipped",
      "skipped",
      "skipped",
    ]);
    expect(outcome.compensation.map((s) => s.status)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(m.ses.calls()).toHaveLength(0);
  });

  it("undoes everything, the tracking tags included, when the commit TagUser fails", async () => {
    const m = mockedClients();
    allOk(m);
    m.iam
      .on(TagUserCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error("too many"), { name: "LimitExceeded" }));

    const outcome = await executePlan(ctx(m), rotation());

    expect(callLog(m)).toEqual([
      "TagUser(key-rotation-state)",
      "CreateAccessKey",
      `PutObject(credential/alice/alice_${NEW}.csv)`,
      "TagUser(last-check-date+last-check-old-key+key-rotation-state)",
      `DeleteObject(credential/alice/alice_${NEW}.csv)`,
      `UpdateAccessKey(${NEW})`,
      `DeleteAccessKey(${NEW})`,
      "UntagUser(key-rotation-state+last-check-date+last-check-old-key)",
    ]);
    expect(outcome).toMatchObject({
      status: "failed",
      markerLeft: false,
      error: { tag: "LimitExceeded" },
    });
    expect(
      m.iam.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input.AccessKeyId),
    ).toEqual([NEW]);
  });

  it("leaves the marker for the next run when the compensation fails too", async () => {
    const m = mockedClients();
    allOk(m);
    m.s3.on(PutObjectCommand).rejects(new Error("socket hang up"));
    m.iam.on(DeleteAccessKeyCommand).rejects(new Error("socket hang up"));

    const outcome = await executePlan(ctx(m), rotation());

    expect(outcome).toMatchObject({ status: "failed", markerLeft: true, newKeyId: NEW });
    expect(outcome.compensation.map((s) => [s.step.action, s.status])).toEqual([
      ["DeleteStoredSecret", "ok"],
      ["DeactivateKey", "ok"],
      ["DeleteKey", "failed"],
      ["UntagUser", "skipped"],
    ]);
    expect(m.iam.commandCalls(UntagUserCommand)).toHaveLength(0);
  });

  it("leaves the marker when CreateAccessKey fails: IAM may have made the key anyway", async () => {
    const m = mockedClients();
    allOk(m);
    m.iam.on(CreateAccessKeyCommand).rejects(new Error("socket hang up"));

    const outcome = await executePlan(ctx(m), rotation());

    expect(callLog(m)).toEqual(["TagUser(key-rotation-state)", "CreateAccessKey"]);
    expect(outcome).toMatchObject({ status: "failed", markerLeft: true, compensation: [] });
    expect(outcome.newKeyId).toBeUndefined();
  });

  it("rolls the marker back at once when AWS refuses CreateAccessKey, restoring the warning record", async () => {
    const m = mockedClients();
    allOk(m);
    m.iam
      .on(CreateAccessKeyCommand)
      .rejects(Object.assign(new Error("not allowed"), { name: "AccessDenied" }));
    const warned = `warned:2026-06-08:2026-05-16:${OLD}`;

    const outcome = await executePlan(
      ctx(m),
      plan(user("alice", [{ id: OLD, ageDays: 61 }], { "key-rotation-state": warned })),
    );

    expect(callLog(m)).toEqual([
      "TagUser(key-rotation-state)",
      "CreateAccessKey",
      "TagUser(key-rotation-state)",
    ]);
    const restored = m.iam.commandCalls(TagUserCommand).at(-1)?.args[0].input.Tags;
    expect(restored).toEqual([{ Key: "key-rotation-state", Value: warned }]);
    expect(outcome).toMatchObject({ status: "failed", markerLeft: false });
  });

  it("leaves the marker when IAM's two-key quota refuses CreateAccessKey: the account holds a key the plan did not see", async () => {
    const m = mockedClients();
    allOk(m);
    m.iam
      .on(CreateAccessKeyCommand)
      .rejects(Object.assign(new Error("two keys"), { name: "LimitExceeded" }));

    const outcome = await executePlan(ctx(m), rotation());

    expect(callLog(m)).toEqual(["TagUser(key-rotation-state)", "CreateAccessKey"]);
    expect(outcome).toMatchObject({ status: "failed", markerLeft: true, compensation: [] });
  });

  it("writes the marker with the second of the call and the commit with the new key's id", async () => {
    const m = mockedClients();
    allOk(m);

    await executePlan({ ...ctx(m), now: () => new Date(`${TODAY}T10:20:30.400Z`) }, rotation());

    const values = m.iam
      .commandCalls(TagUserCommand)
      .flatMap((c) => c.args[0].input.Tags ?? [])
      .filter((t) => t.Key === "key-rotation-state")
      .map((t) => t.Value);
    expect(values).toEqual([
      `rotating:${OLD}:${TODAY.replaceAll("-", "")}T102030Z`,
      `rotated:${NEW}:stored`,
    ]);
  });

  it("keeps a committed rotation when only the notice fails; the marker makes the next run send it", async () => {
    const m = mockedClients();
    allOk(m);
    m.ses.on(SendEmailCommand).rejects(Object.assign(new Error("slow"), { name: "Throttling" }));

    const outcome = await executePlan(ctx(m), rotation());

    expect(outcome).toMatchObject({
      status: "failed",
      markerLeft: true,
      newKeyId: NEW,
      compensation: [],
      error: { tag: "Throttled", operation: "ses:SendEmail" },
    });
    expect(m.iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
    expect(outcome.steps.at(-1)).toMatchObject({
      status: "skipped",
      reason: "earlier-step-failed",
    });
  });

  it("undoes a key whose secret IAM did not return", async () => {
    const m = mockedClients();
    allOk(m);
    m.iam.on(CreateAccessKeyCommand).resolves({
      AccessKey: {
        UserName: "alice",
        AccessKeyId: NEW,
        SecretAccessKey: "",
        Status: "Active",
        CreateDate: new Date(),
      },
    });

    const outcome = await executePlan(ctx(m), rotation());

    expect(outcome.error).toMatchObject({ tag: "Unexpected", operation: "iam:CreateAccessKey" });
    expect(m.s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(m.iam.commandCalls(DeleteAccessKeyCommand)[0]?.args[0].input.AccessKeyId).toBe(NEW);
    expect(outcome.markerLeft).toBe(false);
  });

  it("never puts the secret in a log entry, an outcome or an error", async () => {
    const m = mockedClients();
    allOk(m);
    const entries: LogEntry[] = [];
    m.s3
      .on(PutObjectCommand)
      .rejects(Object.assign(new Error(`rejected body ${SECRET}`), { name: "InvalidRequest" }));

    const failed = await executePlan(
      ctx(m, {}, (e) => entries.push(e)),
      rotation(),
    );
    allOk(m);
    const succeeded = await executePlan(
      ctx(m, {}, (e) => entries.push(e)),
      rotation(),
    );

    for (const text of [
      JSON.stringify(entries),
      JSON.stringify(failed),
      JSON.stringify(succeeded),
    ]) {
      expect(text).not.toContain(SECRET);
    }
    expect(failed.error?.message).toContain("[redacted]");
    expect(entries.some((e) => e.event === "rotation-undone")).toBe(true);
  });
});

describe("executePlan: other plans", () => {
  const rotatedLongAgo = () =>
    user(
      "bob",
      [
        { id: OLD, ageDays: 80 },
        { id: NEW, ageDays: 15 },
      ],
      { "last-check-date": "2026-05-31", "last-check-old-key": OLD },
    );

  it("deactivates the old key after the grace period, with the marker around the deactivation", async () => {
    const m = mockedClients();
    allOk(m);

    const outcome = await executePlan(ctx(m), plan(rotatedLongAgo()));

    expect(callLog(m)).toEqual([
      "TagUser(last-check-date+key-rotation-state)",
      `UpdateAccessKey(${OLD})`,
      "SendEmail",
      "UntagUser(key-rotation-state)",
    ]);
    expect(m.iam.commandCalls(UpdateAccessKeyCommand)[0]?.args[0].input).toEqual({
      UserName: "bob",
      AccessKeyId: OLD,
      Status: "Inactive",
    });
    expect(outcome.status).toBe("ok");
  });

  it("sends no notice when the deactivation fails, and leaves the marker", async () => {
    const m = mockedClients();
    allOk(m);
    m.iam.on(UpdateAccessKeyCommand).rejects(new NoSuchKey(meta));

    const outcome = await executePlan(ctx(m), plan(rotatedLongAgo()));

    expect(m.ses.calls()).toHaveLength(0);
    expect(outcome).toMatchObject({ status: "failed", markerLeft: true });
  });

  it("announces, then deletes the old key and its tracking tags once the deletion period is over", async () => {
    const m = mockedClients();
    allOk(m);
    const snapshot = user(
      "carol",
      [
        { id: OLD, ageDays: 95, status: "Inactive" },
        { id: NEW, ageDays: 30 },
      ],
      { "last-check-date": "2026-06-01", "last-check-old-key": OLD },
    );

    await executePlan(ctx(m), plan(snapshot));

    // The Deleted notice goes first: a failed send deletes nothing, so it is never lost.
    expect(callLog(m)).toEqual([
      "SendEmail",
      `DeleteAccessKey(${OLD})`,
      "UntagUser(last-check-date+last-check-old-key)",
    ]);
  });

  it("treats a stored secret that is already gone as deleted", async () => {
    const m = mockedClients();
    allOk(m);
    m.s3.on(DeleteObjectCommand).rejects(new NoSuchKey(meta));
    // A rotation that crashed after creating NEW: recovery discards the undelivered key, made
    // seconds after the marker and never used.
    const started = startOfDay(TODAY) + 3600;
    const base = user("dave", [{ id: OLD, ageDays: 61 }], {
      "key-rotation-state": `rotating:${OLD}:${formatInstant(started)}`,
    });
    const snapshot: UserSnapshot = {
      ...base,
      keys: [
        ...base.keys,
        {
          id: NEW,
          status: "Active",
          created: TODAY,
          createdAt: started + 4,
          lastUse: LastUse.never,
        },
      ],
    };

    const outcome = await executePlan(ctx(m), plan(snapshot));

    expect(outcome.steps.find((s) => s.step.action === "DeleteStoredSecret")?.status).toBe("ok");
    expect(m.iam.commandCalls(DeleteAccessKeyCommand)[0]?.args[0].input.AccessKeyId).toBe(NEW);
  });

  it("refuses a notice whose recipient could add a header, without calling SES", async () => {
    const m = mockedClients();
    allOk(m);
    const evil: Plan = {
      userName: "eve" as UserName,
      handled: true,
      findings: [],
      steps: [
        {
          _tag: "SendNotice",
          notice: {
            kind: "Deleted",
            to: "eve@example.com\r\nBcc: all@example.com" as EmailAddress,
            userName: "eve" as UserName,
            keyId: OLD,
          },
        },
      ],
    };

    const outcome = await executePlan(ctx(m), evil);

    expect(outcome.error).toMatchObject({ tag: "InvalidInput", operation: "ses:SendEmail" });
    expect(m.ses.calls()).toHaveLength(0);
  });

  it("makes no call at all in a dry run", async () => {
    const m = mockedClients();
    allOk(m);

    const outcome = await executePlan({ ...ctx(m), dryRun: true }, rotation());

    expect(callLog(m)).toEqual([]);
    expect(outcome.status).toBe("planned");
    expect(outcome.steps.every((s) => s.status === "skipped" && s.reason === "dry-run")).toBe(true);
  });
});

describe("executePlans", () => {
  it("goes on with the other users when one fails", async () => {
    const m = mockedClients();
    allOk(m);
    m.iam
      .on(CreateAccessKeyCommand, { UserName: "bad" })
      .rejects(Object.assign(new Error("two keys"), { name: "LimitExceeded" }));

    const outcomes = await executePlans(ctx(m), [
      rotation("ann"),
      rotation("bad"),
      rotation("cat"),
    ]);

    expect(outcomes.map((o) => [o.userName, o.status])).toEqual([
      ["ann", "ok"],
      ["bad", "failed"],
      ["cat", "ok"],
    ]);
  });

  it("runs at most CONCURRENCY users at once", async () => {
    const m = mockedClients();
    allOk(m);
    let inFlight = 0;
    let most = 0;
    m.iam.on(TagUserCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return {};
    });
    const plans = Array.from({ length: 12 }, (_, i) => rotation(`u${i}`));

    await executePlans(ctx(m, { CONCURRENCY: "3" }), plans);

    expect(most).toBe(3);
  });

  it("defers the remaining users once shouldStartUser says no", async () => {
    const m = mockedClients();
    allOk(m);
    let budget = 2;
    const progress: string[] = [];

    const outcomes = await executePlans(
      {
        ...ctx(m, { CONCURRENCY: "1" }),
        shouldStartUser: () => budget-- > 0,
        onProgress: (e) => progress.push(`${e.done}/${e.total} ${e.userName} ${e.status}`),
      },
      [rotation("a"), rotation("b"), rotation("c"), rotation("d")],
    );

    expect(outcomes.map((o) => o.status)).toEqual(["ok", "ok", "deferred", "deferred"]);
    expect(outcomes[2]?.steps.every((s) => s.status === "deferred")).toBe(true);
    expect(m.iam.commandCalls(CreateAccessKeyCommand)).toHaveLength(2);
    expect(progress).toEqual(["1/4 a ok", "2/4 b ok", "3/4 c deferred", "4/4 d deferred"]);
  });
});
