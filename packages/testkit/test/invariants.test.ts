import { secretFiles, secretsManagerFormat } from "@keyrotate/aws-adapter";
import type {
  KeyEvent,
  SandboxSecret,
  SandboxUser,
  SentEmail,
  StoredObject,
} from "@keyrotate/sandbox";
import { describe, expect, it } from "vitest";
import {
  type CheckSettings,
  checkConverged,
  checkDay,
  checkDeletions,
  checkInUseDeactivation,
  checkKeyAges,
  checkLockout,
  checkNoticeBeforeRotation,
  checkNoticesOnce,
  checkNoticesSent,
  checkOwnWorkOnly,
  checkRotatedNotices,
  checkSecrets,
  checkUnseenKeys,
  type DayRecord,
  indexNotices,
  NOTICE_KIND_TAG,
  type NoticeKind,
  noticesNeeded,
  readNotice,
  rotatedNoticesNeeded,
} from "../src/index.js";

const S: CheckSettings = {
  bucket: "creds",
  secretFiles,
  lastCheckDateTagKey: "last-check-date",
  lastCheckOldKeyTagKey: "last-check-old-key",
  stateTagKey: "key-rotation-state",
  overdueDays: 60,
  deactivateDays: 10,
  deletionDays: 10,
  minNoticeDays: 7,
  inUseDelayDays: 7,
  adminEmail: "admin@example.com",
};
/** The original's timing: invariant 7's bounds unmoved. */
const S0: CheckSettings = { ...S, minNoticeDays: 0, inUseDelayDays: 0 };
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
const email = (
  kind: NoticeKind | "AdminSummary",
  subject: string,
  to = "alice@example.com",
  text = "",
  time: Date = TODAY,
): SentEmail => ({
  id: `${subject} ${time.toISOString()}`,
  time,
  source: "keyrotate@example.com",
  destinations: { to: [to], cc: [], bcc: [] },
  replyTo: [],
  subject,
  text,
  html: "",
  raw: null,
  tags: { [NOTICE_KIND_TAG]: kind },
});
const daysAgo = (n: number) => new Date(TODAY.getTime() - n * 86_400_000);
const FILE = `s3://creds/credential/alice/alice_${NEW}.csv`;
const ROTATED = email(
  "Rotated",
  `Your AWS access key ${OLD} was rotated: new key ${NEW}`,
  "alice@example.com",
  `Your new key is ${NEW}.\n\n    aws s3 cp ${FILE} .\n`,
);
const WARNED = email(
  "Warning",
  `Your AWS access key ${OLD} will be rotated on 2026-03-01`,
  "alice@example.com",
  "",
  daysAgo(7),
);
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
      emails: [WARNED, ROTATED],
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
    today: TODAY,
    handMadeKeyIds: new Set(),
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
      { ...noObject, after: { ...noObject.after, emails: [WARNED] }, emailsToday: [] },
      healthy({}, [user([key(OLD, "Active", 61), key(NEW, "Active", 0)])]),
    ];
    for (const day of cases) {
      const found = checkSecrets(S, day);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ check: "secret-lost", userName: "alice" });
    }
    expect(checkSecrets(S, cases[0] as DayRecord)[0]?.message).toContain("no stored secret");
  });

  it("look in the user's secret with SECRET_STORE=secretsmanager: a labelled version holding the secret, AWSCURRENT for the newest key", () => {
    // Prepare: the same healthy day, delivered through Secrets Manager.
    const SM: CheckSettings = { ...S, secretsManager: secretsManagerFormat };
    const secret = (stages: string[], value: string): SandboxSecret => ({
      name: "keyrotate/alice",
      arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:keyrotate/alice-AbCdEf",
      tags: {},
      createdDate: TODAY,
      versions: [
        {
          versionId: secretsManagerFormat.versionId(NEW),
          stages,
          createdDate: TODAY,
          secretString: value,
        },
      ],
    });
    const value = JSON.stringify({ UserName: "alice", AccessKeyId: NEW, SecretAccessKey: SECRET });
    const notice = email(
      "Rotated",
      `Your AWS access key ${OLD} was rotated: new key ${NEW}`,
      "alice@example.com",
      "aws secretsmanager get-secret-value --secret-id keyrotate/alice --region us-east-1 --query SecretString --output text",
    );
    const day = (secrets: SandboxSecret[], emails = [WARNED, notice]): DayRecord => {
      const d = healthy();
      return {
        ...d,
        after: { ...d.after, objects: [], secrets, emails },
        emailsToday: emails.slice(1),
      };
    };

    // Act
    const good = day([secret(["AWSCURRENT"], value)]);
    const lost = [
      day([]),
      day([secret([], value)]),
      day([secret(["AWSPREVIOUS"], value)]),
      day([secret(["AWSCURRENT"], value.replace(SECRET, "x".repeat(40)))]),
    ].map((d) => checkSecrets(SM, d));
    const namesTheFile = checkRotatedNotices(
      SM,
      day([secret(["AWSCURRENT"], value)], [WARNED, ROTATED]),
    );

    // Assess
    expect(checkSecrets(SM, good)).toEqual([]);
    expect(checkRotatedNotices(SM, good)).toEqual([]);
    expect(lost.map((v) => v.map((x) => x.check))).toEqual([
      ["secret-lost"],
      ["secret-lost"],
      ["secret-lost"],
      ["secret-lost"],
    ]);
    expect(lost[2]?.[0]?.message).toContain("not AWSCURRENT");
    // An S3 file named where the secret should be is a notice without its secret.
    expect(namesTheFile.map((v) => v.check)).toEqual(["rotated-without-file"]);
  });

  it("read the Rotated notices from a kept index as from the mail itself", () => {
    const day = healthy();
    const indexed = {
      ...day,
      after: { ...day.after, emails: [], announced: new Set([NEW]) },
    };
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
    expect(checkLockout(S, locked)).toMatchObject([{ check: "locked-out", userName: "alice" }]);
    // The UNUSED_DAYS rule tracks the key it deactivated, which was Active this morning.
    const unused = healthy({ before: [user([key(OLD, "Active", 61)])] }, [
      user([key(OLD, "Inactive", 61)], {
        "last-check-date": "2026-03-01",
        "last-check-old-key": OLD,
      }),
    ]);
    expect(checkLockout(S, unused)).toEqual([]);
  });

  it("see a notice sent twice on a day, but not the admin summary nor a re-send after a crash", () => {
    const twice = healthy({ emailsToday: [ROTATED, ROTATED] });
    expect(checkNoticesOnce(S, twice)).toMatchObject([
      { check: "notice-twice", userName: "alice" },
    ]);
    const summaries = [
      email("AdminSummary", "keyrotate 2026-03-01", "admin@example.com"),
      email("AdminSummary", "keyrotate 2026-03-01", "admin@example.com"),
    ];
    expect(checkNoticesOnce(S, healthy({ emailsToday: summaries }))).toEqual([]);
    expect(checkNoticesOnce(S, { ...twice, crashAfterNotice: new Set(["alice"]) })).toEqual([]);
  });

  it("see a key past invariant 7's bounds, moved by the minimum notice, the in-use delay, the lateness it had when first seen and the slack", () => {
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
    expect(checkKeyAges(S0, old, options)).toEqual([]);
    const late = healthy({}, [user([key(OLD, "Active", 74)])]);
    expect(checkKeyAges(S0, late, options)).toMatchObject([{ check: "key-age" }]);
    const undeleted = healthy({}, [user([key(OLD, "Inactive", 85)])]);
    expect(checkKeyAges(S0, undeleted, options)).toMatchObject([{ check: "key-age" }]);
    // Seen at 100 days: 39 days late already, so the bounds move by as much.
    expect(checkKeyAges(S0, late, { ...options, firstSeenAge: new Map([[OLD, 100]]) })).toEqual([]);
    // Unbounded users and keys first seen Inactive are not judged.
    expect(checkKeyAges(S0, late, { ...options, bounded: new Set() })).toEqual([]);
    expect(checkKeyAges(S0, late, { ...options, firstSeenAge: new Map() })).toEqual([]);
    // Invariant 13: the minimum notice and the in-use delay (7 + 7) move both bounds.
    expect(checkKeyAges(S, late, options)).toEqual([]);
    const later = healthy({}, [user([key(OLD, "Active", 88)])]);
    expect(checkKeyAges(S, later, options)).toMatchObject([{ check: "key-age" }]);
    // A user SES refused twice gets two days more.
    expect(checkKeyAges(S, later, { ...options, userSlackDays: () => 2 })).toEqual([]);
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

/** The morning of a deactivation: K tracked since `rotatedDaysAgo`, K last used `usedDaysAgo`. */
const deactivationDay = (rotatedDaysAgo: number, usedDaysAgo: number, mail: SentEmail[]) => {
  const tracked = { "last-check-date": "2026-02-01", "last-check-old-key": OLD };
  const morning = user(
    [
      {
        ...key(OLD, "Active", 61 + rotatedDaysAgo),
        lastUsed: { date: daysAgo(usedDaysAgo), region: "us-east-1", service: "s3" },
      },
      key(NEW, "Active", rotatedDaysAgo),
    ],
    tracked,
  );
  const night = user([key(OLD, "Inactive", 61 + rotatedDaysAgo), key(NEW, "Active", 0)], {
    ...tracked,
    "last-check-date": "2026-03-01",
  });
  const day = healthy(
    {
      before: [morning],
      emailsToday: [],
      keyEventsToday: [
        event({ operation: "UpdateAccessKey", statusBefore: "Active", statusAfter: "Inactive" }),
      ],
    },
    [night],
  );
  return { ...day, after: { ...day.after, emails: mail } };
};
const rotatedAgo = (n: number) =>
  email(
    "Rotated",
    `Your AWS access key ${OLD} was rotated: new key ${NEW}`,
    "alice@example.com",
    `aws s3 cp ${FILE} .`,
    daysAgo(n),
  );

describe("the checks of issues 12 and 13", () => {
  it("read a notice's kind, keys and secret file from the mail", () => {
    expect(readNotice(ROTATED)).toMatchObject({
      kind: "Rotated",
      keyId: OLD,
      newKeyId: NEW,
      secretFile: FILE,
      date: "2026-03-01",
    });
    const two = email(
      "TwoActiveKeys",
      "Action required: IAM user alice has two active access keys",
      "alice@example.com",
      `  - ${OLD}: 80 days old\n  - ${NEW}: 3 days old`,
    );
    expect(readNotice(two)).toMatchObject({ kind: "TwoActiveKeys", keyIds: [OLD, NEW] });
    expect(
      readNotice(email("AdminSummary", "keyrotate 2026-03-01: 3 users", "admin@example.com")),
    ).toBe(undefined);
  });

  it("tells a notice's kind by its X-Keyrotate-Notice tag, not by its wording", () => {
    const reworded = email("Rotated", `Key ${OLD} replaced by ${NEW}`, "alice@example.com");
    expect(readNotice(reworded)).toMatchObject({ kind: "Rotated", keyId: OLD, newKeyId: NEW });
    const { tags: _, ...untagged } = ROTATED;
    expect(readNotice(untagged)).toBe(undefined);
  });

  it("invariant 11: see a rotation without a notice naming the key, or with one sent too late", () => {
    expect(checkNoticeBeforeRotation(S, healthy())).toEqual([]);
    const unwarned = healthy({ emailsToday: [ROTATED] });
    const noWarning = { ...unwarned, after: { ...unwarned.after, emails: [ROTATED] } };
    expect(checkNoticeBeforeRotation(S, noWarning)).toMatchObject([
      { check: "no-notice-before-rotation", userName: "alice" },
    ]);
    const late = email(
      "Warning",
      `Your AWS access key ${OLD} will be rotated on 2026-03-04`,
      "alice@example.com",
      "",
      daysAgo(3),
    );
    const tooLate = { ...unwarned, after: { ...unwarned.after, emails: [late, ROTATED] } };
    expect(checkNoticeBeforeRotation(S, tooLate)).toHaveLength(1);
    expect(checkNoticeBeforeRotation({ ...S, minNoticeDays: 3 }, tooLate)).toEqual([]);
  });

  it("invariant 11: see a key retired by TWO_ACTIVE_KEYS=enforce with no notice naming it", () => {
    const retired = email(
      "Rotated",
      `Your AWS access key ${OLD} was rotated: new key ${NEW}`,
      "alice@example.com",
      `Your other active key ${NEW} replaces it.`,
    );
    const day = healthy({
      keyEventsToday: [],
      emailsToday: [retired],
      handMadeKeyIds: new Set([NEW]),
    });
    const unwarned = { ...day, after: { ...day.after, emails: [retired] } };
    expect(checkNoticeBeforeRotation(S, unwarned)).toMatchObject([
      { check: "no-notice-before-rotation" },
    ]);
    expect(checkRotatedNotices(S, unwarned)).toEqual([]);
  });

  it("invariant 12: see an old key deactivated before its Rotated notice, and a Rotated notice without its file", () => {
    expect(checkRotatedNotices(S, deactivationDay(11, 5, [rotatedAgo(11)]))).toEqual([]);
    expect(checkRotatedNotices(S, deactivationDay(11, 5, []))).toMatchObject([
      { check: "deactivated-before-notice", userName: "alice" },
    ]);
    const noFile = email("Rotated", `Your AWS access key ${OLD} was rotated: new key ${NEW}`);
    expect(checkRotatedNotices(S, healthy({ emailsToday: [noFile] }))).toMatchObject([
      { check: "rotated-without-file" },
    ]);
    const wrongFile = email(
      "Rotated",
      `Your AWS access key ${OLD} was rotated: new key ${NEW}`,
      "alice@example.com",
      `aws s3 cp s3://creds/credential/alice/alice_${OLD}.csv .`,
    );
    expect(checkRotatedNotices(S, healthy({ emailsToday: [wrongFile] }))[0]?.message).toContain(
      `alice_${OLD}.csv`,
    );
  });

  it("invariant 13: see an old key used yesterday deactivated before its hard deadline", () => {
    // DEACTIVATE_DAYS 10 + IN_USE_DELAY_DAYS 7: the hard deadline is more than 17 days after.
    expect(checkInUseDeactivation(S, deactivationDay(11, 1, [rotatedAgo(11)]))).toMatchObject([
      { check: "in-use-deactivated", userName: "alice" },
    ]);
    expect(checkInUseDeactivation(S, deactivationDay(18, 0, [rotatedAgo(18)]))).toEqual([]);
    // Quiet since two days: deactivated on its date.
    expect(checkInUseDeactivation(S, deactivationDay(11, 2, [rotatedAgo(11)]))).toEqual([]);
  });

  it("invariant 14: see a Deactivated, Deleted or Rotated notice that a transition needed and was never sent", () => {
    const day = deactivationDay(11, 5, [rotatedAgo(11)]);
    const needed = noticesNeeded(S, day);
    expect(needed).toMatchObject([{ keyId: OLD, kinds: ["Deactivated", "DeactivatedUnused"] }]);
    expect(checkNoticesSent(needed, indexNotices([rotatedAgo(11)]), 20)).toMatchObject([
      { check: "notice-missing", userName: "alice", day: 20 },
    ]);
    const told = email("Deactivated", `Your old AWS access key ${OLD} was deactivated`);
    expect(checkNoticesSent(needed, indexNotices([told]), 20)).toEqual([]);
    const deletion = healthy({
      before: [user([key(OLD, "Inactive", 80)], { "last-check-old-key": OLD })],
      keyEventsToday: [event({})],
    });
    const deleted = noticesNeeded(S, deletion);
    expect(checkNoticesSent(deleted, indexNotices([told]), 20)).toHaveLength(1);
    const gone = email("Deleted", `Your old AWS access key ${OLD} was deleted`);
    expect(checkNoticesSent(deleted, indexNotices([gone]), 20)).toEqual([]);
    // At the end, a K still Active was announced by a Rotated notice.
    const rotated = rotatedNoticesNeeded(S, healthy());
    expect(checkNoticesSent(rotated, indexNotices([]), 20)).toMatchObject([
      { check: "notice-missing" },
    ]);
    expect(checkNoticesSent(rotated, indexNotices([ROTATED]), 20)).toEqual([]);
  });

  it("issue 12: see a key made by hand, or an announced key, removed while no tracking tag named it", () => {
    const HAND = "AKIAHAND000000000001";
    const removeHand = healthy(
      {
        before: [user([key(OLD, "Active", 75), key(HAND, "Active", 0)])],
        keyEventsToday: [
          event({
            operation: "UpdateAccessKey",
            accessKeyId: HAND,
            statusBefore: "Active",
            statusAfter: "Inactive",
          }),
          event({ accessKeyId: HAND }),
        ],
        handMadeKeyIds: new Set([HAND]),
      },
      [user([key(OLD, "Active", 75)])],
    );
    expect(checkOwnWorkOnly(S, removeHand)).toMatchObject([
      { check: "removed-not-own", userName: "alice" },
      { check: "removed-not-own", userName: "alice" },
    ]);
    // Its own undelivered key: recovery may discard it.
    expect(checkOwnWorkOnly(S, { ...removeHand, handMadeKeyIds: new Set() })).toEqual([]);
    // An announced key, discarded by another run's recovery.
    const announced = healthy({
      keyEventsToday: [event({ accessKeyId: NEW })],
    });
    expect(checkOwnWorkOnly(S, announced)).toMatchObject([{ check: "removed-not-own" }]);
    // K of a transition is no recovery.
    expect(checkOwnWorkOnly(S, deactivationDay(11, 5, [rotatedAgo(11)]))).toEqual([]);
  });

  it("see a planted, leftover or pending marker after convergence, but not a warning record", () => {
    const quiet = { mutatingCalls: 0, userNotices: 0 };
    const withState = (value: string) =>
      healthy({}, [
        user([key(OLD, "Active", 61), key(NEW, "Active", 0)], {
          "last-check-date": "2026-03-01",
          "last-check-old-key": OLD,
          "key-rotation-state": value,
        }),
      ]);
    for (const value of ["garbage", `warned:2026-02-01 rotated:${NEW}:stored`, "rotating:"]) {
      expect(checkConverged(S, withState(value), quiet)).toMatchObject([
        { check: "not-converged" },
      ]);
    }
    expect(checkConverged(S, withState(`warned:2026-02-20:2026-02-10:${OLD}`), quiet)).toEqual([]);
    // A planted value keyrotate never read (nothing was due for the user) is not judged.
    const planted = new Map([["alice", "garbage"]]);
    expect(checkConverged(S, withState("garbage"), quiet, planted)).toEqual([]);
    expect(checkConverged(S, withState("rotating:"), quiet, planted)).toHaveLength(1);
  });
});
