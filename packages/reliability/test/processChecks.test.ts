import { describe, expect, it } from "vitest";
import {
  type AccountState,
  changedNothing,
  checkAccount,
  checkNoticeBeforeDeactivation,
  seededInts,
} from "../src/processes.js";

const OLD = "AKIAALICEXXXXXXX0001";
const NEW = "AKIANEWKEYXXXXXX0002";
const SECRET = "s".repeat(40);
const rotatedNotice = (id: string, withFile = true) => ({
  destinations: { to: ["alice@example.com"] },
  tags: { "X-Keyrotate-Notice": "Rotated" },
  subject: `Your AWS access key ${OLD} was rotated: new key ${id}`,
  text: `The access key ${OLD} of IAM user alice is 95 days old and has been rotated.${withFile ? ` aws s3 cp s3://b/credential/alice/alice_${id}.csv ./` : ""}`,
});
/** Alice rotated cleanly: old and new key, the new key's file and its notice. */
const clean = (): AccountState => ({
  users: [
    {
      name: "alice",
      tags: [{ key: "email", value: "alice@example.com" }],
      keys: [
        { accessKeyId: OLD, status: "Active" },
        { accessKeyId: NEW, status: "Active", secretAccessKey: SECRET },
      ],
    },
  ],
  emails: [rotatedNotice(NEW)],
  objects: [
    {
      key: `credential/alice/alice_${NEW}.csv`,
      content: `UserName,AccessKeyId,SecretAccessKey\nalice,${NEW},${SECRET}\n`,
    },
  ],
  secrets: [],
  keyEvents: [
    {
      operation: "CreateAccessKey",
      userName: "alice",
      accessKeyId: NEW,
      time: "2026-11-23T09:00:01Z",
    },
  ],
});
const checks = (state: AccountState) => checkAccount(state, { alice: [OLD] }).map((v) => v.check);

describe("checkNoticeBeforeDeactivation", () => {
  const deactivatedAt = (time: string) => ({
    operation: "UpdateAccessKey",
    userName: "alice",
    accessKeyId: OLD,
    statusAfter: "Inactive",
    time,
  });
  const told = (time: string) => ({ ...rotatedNotice(NEW), time });

  it("accepts an old key deactivated after the Rotated notice that names the new key's file", () => {
    const s = clean();
    const state = {
      ...s,
      emails: [told("2026-11-23T09:00:02Z")],
      keyEvents: [...s.keyEvents, deactivatedAt("2026-12-04T09:00:00Z")],
    };
    expect(checkNoticeBeforeDeactivation(state, { alice: [OLD] })).toEqual([]);
  });

  it("sees an old key deactivated before any such notice, or with a notice that names no file", () => {
    const s = clean();
    const early = {
      ...s,
      emails: [told("2026-12-05T09:00:00Z")],
      keyEvents: [...s.keyEvents, deactivatedAt("2026-12-04T09:00:00Z")],
    };
    const nameless = {
      ...s,
      emails: [{ ...rotatedNotice(NEW, false), time: "2026-11-23T09:00:02Z" }],
      keyEvents: [...s.keyEvents, deactivatedAt("2026-12-04T09:00:00Z")],
    };
    for (const state of [early, nameless]) {
      expect(checkNoticeBeforeDeactivation(state, { alice: [OLD] }).map((v) => v.check)).toEqual([
        "deactivated-before-notice",
      ]);
    }
  });
});

describe("checkAccount", () => {
  it("finds nothing wrong with a clean rotation", () => {
    expect(checks(clean())).toEqual([]);
  });

  it("sees each broken promise", () => {
    const s = clean();
    const user = s.users[0];
    if (user === undefined) throw new Error("no user");
    expect(checks({ ...s, users: [{ ...user, keys: user.keys.slice(1) }] })).toEqual([
      "foreign-key-deleted",
    ]);
    expect(
      checks({
        ...s,
        users: [
          { ...user, keys: [user.keys[0] as never, { accessKeyId: NEW, status: "Inactive" }] },
        ],
      }),
    ).toContain("announced-key-destroyed");
    expect(checks({ ...s, objects: [] })).toEqual(["secret-lost"]);
    expect(checks({ ...s, emails: [] })).toEqual(["secret-lost"]);
    expect(checks({ ...s, emails: [rotatedNotice(NEW, false)] })).toEqual(["file-not-named"]);
    expect(
      checks({
        ...s,
        users: [{ ...user, tags: [{ key: "key-rotation-state", value: `rotating:${OLD}:x` }] }],
      }),
    ).toEqual(["marker-left"]);
    expect(
      checks({ ...s, emails: [rotatedNotice(NEW), rotatedNotice("AKIAOTHERXXXXXXX0003")] }),
    ).toEqual(["announced-key-destroyed", "rotated-twice"]);
  });

  it("with the Secrets Manager store, finds the secret in a labelled version of the user's secret, named by the notice", () => {
    const value = JSON.stringify({ UserName: "alice", AccessKeyId: NEW, SecretAccessKey: SECRET });
    const notice = {
      ...rotatedNotice(NEW, false),
      text: `${rotatedNotice(NEW, false).text} aws secretsmanager get-secret-value --secret-id keyrotate/alice --region us-east-1`,
    };
    const stored = (stages: string[]) => ({
      ...clean(),
      objects: [],
      emails: [notice],
      secrets: [{ name: "keyrotate/alice", versions: [{ stages, secretString: value }] }],
    });
    const smChecks = (state: AccountState) =>
      checkAccount(state, { alice: [OLD] }, "secretsmanager").map((v) => v.check);

    expect(smChecks(stored(["AWSCURRENT"]))).toEqual([]);
    expect(smChecks(stored([]))).toEqual(["secret-lost"]);
    expect(smChecks({ ...stored(["AWSCURRENT"]), emails: [rotatedNotice(NEW)] })).toEqual([
      "file-not-named",
    ]);
    expect(checks(stored(["AWSCURRENT"]))).toEqual(["secret-lost"]);
  });

  it("tells a run that changed nothing from one that did", () => {
    const counts = { rotated: 0, deactivated: 0, deleted: 0, noticesSent: 0, failed: 0 };
    expect(changedNothing({ status: "completed", counts })).toBe(true);
    expect(changedNothing({ status: "completed", counts: { ...counts, noticesSent: 1 } })).toBe(
      false,
    );
    expect(changedNothing({ status: "failed", counts })).toBe(false);
    expect(changedNothing(undefined)).toBe(false);
  });

  it("draws the same kill points from the same seed", () => {
    const a = seededInts(5);
    const b = seededInts(5);
    const draws = Array.from({ length: 20 }, () => a(1, 36));
    expect(Array.from({ length: 20 }, () => b(1, 36))).toEqual(draws);
    expect(draws.every((d) => d >= 1 && d <= 36)).toBe(true);
  });
});
