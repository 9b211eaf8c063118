import type { KeyEvent, SandboxUser, SentEmail, StoredObject } from "@keyrotate/sandbox";
import { describe, expect, it } from "vitest";
import {
  type CheckSettings,
  checkConverged,
  checkDay,
  checkDeletions,
  checkKeyAges,
  checkLockout,
  checkNoticesOnce,
  checkSecrets,
  checkUnseenKeys,
  type DayRecord,
} from "../src/invariants.js";

const S: CheckSettings = {
  bucket: "creds",
  lastCheckDateTagKey: "last-check-date",
  lastCheckOldKeyTagKey: "last-check-old-key",
  stateTagKey: "key-rotation-state",
  overdueDays: 60,
  deactivateDays: 10,
  deletionDays: 10,
  adminEmail: "admin@example.com",
};
const TODAY = new Date("2026-03-01T09:00:00Z");
const OLD = "AKIAOLD0000000000001";
const NEW = "AKIANEW0000000000001";
const SECRET = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";

const key = (id: string, status: "Active" | "Inactive", daysAgo: number) => ({
  accessKeyId: id,
  status,
  createDate: new Date(TODAY.getTime() - daysAgo * 86_400_000),
});
const user = (keys: SandboxUser["keys"], tags: Record<string, string> = {}): SandboxUser => ({
  name: "alice",
  path: "/",
  arn: "arn:aws:iam::123456789012:user/alice",
  userId: "AIDAALICE",
  createDate: new Date("2025-01-01"),
  tags: Object.entries({ email: "alice@example.com", ...tags }).map(([k, value]) => ({
    key: k,
    value,
  })),
  keys,
});
const object = (body: string): StoredObject => ({
  bucket: "creds",
  key: `credential/alice/alice_${NEW}.csv`,
  body: Buffer.from(body),
  contentType: "text/csv",
  serverSideEncryption: "AES256",
  kmsKeyId: null,
  metadata: {},
  lastModified: TODAY,
});
const GOOD_OBJECT = object(`UserName,AccessKeyId,SecretAccessKey\nalice,${NEW},${SECRET}\n`);
const email = (subject: string, to = "alice@example.com"): SentEmail => ({
  id: subject,
  time: TODAY,
  source: "keyrotate@example.com",
  destinations: { to: [to], cc: [], bcc: [] },
  replyTo: [],
  subject,
  text: "",
  html: "",
  raw: null,
});
const ROTATED = email(`Your AWS access key ${OLD} was rotated: new key ${NEW}`);
const event = (e: Partial<KeyEvent>): KeyEvent => ({
  seq: 1,
  time: TODAY.getTime(),
  operation: "DeleteAccessKey",
  userName: "alice",
  accessKeyId: OLD,
  statusBefore: "Inactive",
  statusAfter: undefined,
  visibleBefore: true,
  ...e,
});

/** A healthy day after a rotation: every check passes on it. */
const healthy = (over: Partial<DayRecord> = {}, users?: SandboxUser[]): DayRecord => {
  const after = users ?? [
    user([key(OLD, "Active", 61), key(NEW, "Active", 0)], {
      "last-check-date": "2026-03-01",
      "last-check-old-key": OLD,
    }),
  ];
  return {
    day: 3,
    before: [user([key(OLD, "Active", 61)])],
    after: {
      users: after,
      objects: [GOOD_OBJECT],
      emails: [ROTATED],
      secretOf: (id) => (id === NEW ? SECRET : undefined),
    },
    emailsToday: [ROTATED],
    keyEventsToday: [
      event({
        operation: "CreateAccessKey",
        accessKeyId: NEW,
        statusBefore: undefined,
        visibleBefore: false,
      }),
    ],
    seededKeyIds: new Set([OLD]),
    unsettled: new Set(),
    crashAfterNotice: new Set(),
    ...over,
  };
};

describe("the day checks", () => {
  it("find nothing wrong on a day with a complete rotation", () => {
    expect(checkDay(S, healthy())).toEqual([]);
  });

  it("see a lost secret: no object, a wrong secret, no notice, or no tracking tags", () => {
    const noObject = healthy();
    const cases: DayRecord[] = [
      { ...noObject, after: { ...noObject.after, objects: [] } },
      {
        ...noObject,
        after: {
          ...noObject.after,
          objects: [object("UserName,AccessKeyId,SecretAccessKey\nalice,x,y\n")],
        },
      },
      { ...noObject, after: { ...noObject.after, emails: [] } },
      healthy({}, [user([key(OLD, "Active", 61), key(NEW, "Active", 0)])]),
    ];
    for (const day of cases) {
      const found = checkSecrets(S, day);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ check: "secret-lost", userName: "alice" });
    }
    expect(checkSecrets(S, cases[0] as DayRecord)[0]?.message).toContain("no stored secret");
  });

  it("read the Rotated notices from a kept index as from the mail itself", () => {
    const day = healthy();
    const indexed = { ...day, after: { ...day.after, emails: [], announced: new Set([NEW]) } };
    expect(checkSecrets(S, indexed)).toEqual([]);
    const missing = { ...day, after: { ...day.after, emails: [], announced: new Set<string>() } };
    expect(checkSecrets(S, missing)[0]?.message).toContain("no Rotated notice");
  });

  it("allow an undelivered key only to a user whose run did not complete and whose rotating marker is set", () => {
    const inFlight = healthy({}, [
      user([key(OLD, "Active", 61), key(NEW, "Active", 0)], {
        "key-rotation-state": `rotating:${OLD}:2026-03-01`,
      }),
    ]);
    const day = { ...inFlight, after: { ...inFlight.after, objects: [] } };
    expect(checkSecrets(S, day)).toHaveLength(1);
    expect(checkSecrets(S, { ...day, unsettled: new Set(["alice"]) })).toEqual([]);
  });

  it("see an Active key deleted", () => {
    const day = healthy({ keyEventsToday: [event({ statusBefore: "Active" })] });
    expect(checkDeletions(day)).toMatchObject([{ check: "active-key-deleted" }]);
    expect(checkDeletions(healthy({ keyEventsToday: [event({})] }))).toEqual([]);
  });

  it("see a change to a key no read could list, unless the same day's CreateAccessKey made it", () => {
    const unseen = event({
      operation: "UpdateAccessKey",
      statusBefore: "Active",
      statusAfter: "Inactive",
      visibleBefore: false,
    });
    expect(checkUnseenKeys(healthy({ keyEventsToday: [unseen] }))).toMatchObject([
      { check: "unseen-key-changed" },
    ]);
    const compensation = [
      event({
        operation: "CreateAccessKey",
        accessKeyId: NEW,
        statusBefore: undefined,
        visibleBefore: false,
      }),
      { ...unseen, accessKeyId: NEW },
    ];
    expect(checkUnseenKeys(healthy({ keyEventsToday: compensation }))).toEqual([]);
  });

  it("see a user locked out, except by an unused-key deactivation", () => {
    const locked = healthy({}, [user([key(OLD, "Inactive", 61)])]);
    expect(checkLockout(locked)).toMatchObject([{ check: "locked-out", userName: "alice" }]);
    const unused = {
      ...locked,
      emailsToday: [email(`Your unused AWS access key ${OLD} was deactivated`)],
    };
    expect(checkLockout(unused)).toEqual([]);
  });

  it("see a notice sent twice on a day, but not the admin summary nor a re-send after a crash", () => {
    const twice = healthy({ emailsToday: [ROTATED, ROTATED] });
    expect(checkNoticesOnce(S, twice)).toMatchObject([
      { check: "notice-twice", userName: "alice" },
    ]);
    const summaries = [
      email("keyrotate 2026-03-01", "admin@example.com"),
      email("keyrotate 2026-03-01", "admin@example.com"),
    ];
    expect(checkNoticesOnce(S, healthy({ emailsToday: summaries }))).toEqual([]);
    expect(checkNoticesOnce(S, { ...twice, crashAfterNotice: new Set(["alice"]) })).toEqual([]);
  });

  it("see a key past invariant 7's bounds, with the lateness it had when first seen and the slack", () => {
    const old = healthy({}, [user([key(OLD, "Active", 73), key(NEW, "Active", 12)])]);
    const options = {
      today: TODAY,
      bounded: new Set(["alice"]),
      firstSeenAge: new Map([
        [OLD, 40],
        [NEW, 0],
      ]),
      slackDays: 1,
    };
    expect(checkKeyAges(S, old, options)).toEqual([]);
    const late = healthy({}, [user([key(OLD, "Active", 74)])]);
    expect(checkKeyAges(S, late, options)).toMatchObject([{ check: "key-age" }]);
    const undeleted = healthy({}, [user([key(OLD, "Inactive", 85)])]);
    expect(checkKeyAges(S, undeleted, options)).toMatchObject([{ check: "key-age" }]);
    // Seen at 100 days: 39 days late already, so the bounds move by as much.
    expect(checkKeyAges(S, late, { ...options, firstSeenAge: new Map([[OLD, 100]]) })).toEqual([]);
    // Unbounded users and keys first seen Inactive are not judged.
    expect(checkKeyAges(S, late, { ...options, bounded: new Set() })).toEqual([]);
    expect(checkKeyAges(S, late, { ...options, firstSeenAge: new Map() })).toEqual([]);
  });

  it("see no convergence: a marker left, an undelivered key, or a rerun that still acts", () => {
    const quiet = { mutatingCalls: 0, userNotices: 0 };
    expect(checkConverged(S, healthy(), quiet)).toEqual([]);
    const marker = healthy({}, [
      user([key(OLD, "Active", 61)], { "key-rotation-state": `deactivating:${OLD}:2026-03-01` }),
    ]);
    expect(checkConverged(S, marker, quiet)).toMatchObject([{ check: "not-converged" }]);
    expect(checkConverged(S, healthy(), { mutatingCalls: 2, userNotices: 1 })).toMatchObject([
      { check: "not-converged", userName: "*" },
    ]);
    const inFlight = healthy({ unsettled: new Set(["alice"]) }, [
      user([key(OLD, "Active", 61), key(NEW, "Active", 0)], {
        "key-rotation-state": `rotating:${OLD}:2026-03-01`,
      }),
    ]);
    const noObject = { ...inFlight, after: { ...inFlight.after, objects: [] } };
    expect(checkConverged(S, noObject, quiet).map((v) => v.check)).toEqual([
      "not-converged",
      "not-converged",
    ]);
  });
});
