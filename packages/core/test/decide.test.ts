import { describe, expect, it } from "vitest";
import {
  type AccessKey,
  addDays,
  type CalendarDate,
  dateOfInstant,
  decide,
  defaultPolicySettings as defaults,
  formatInstant,
  LastUse,
  noticesOf,
  type Plan,
  type PolicySettings,
  startOfDay,
  triage,
  type UserName,
  type UserSnapshot,
} from "../src/index.js";
import { NEW_KEY_PLACEHOLDER, NOW_PLACEHOLDER } from "../src/tracking.js";
import { keyId } from "./arbitraries.js";

const today = "2026-06-01" as CalendarDate;
const ago = (days: number) => addDays(today, -days);
const key = (
  n: number,
  age: number,
  status: AccessKey["status"] = "Active",
  lastUse = LastUse.unknown,
): AccessKey => ({
  id: keyId(n),
  status,
  created: ago(age),
  lastUse,
});
const user = (
  keys: AccessKey[],
  tags: Record<string, string> = {},
  email = "alice@example.com",
): UserSnapshot => ({
  userName: "alice" as UserName,
  tags: [
    ...(email === "" ? [] : [{ key: "email", value: email }]),
    ...Object.entries(tags).map(([k, value]) => ({ key: k, value })),
  ],
  keys,
});
const K1 = keyId(1);
const K2 = keyId(2);

/** A plan as short strings: `tag:a,b`, `untag:a`, `CreateKey`, `DeleteKey:<id>`, `notice:Kind`. */
const shape = (p: Plan): string[] =>
  p.steps.map((s) => {
    switch (s._tag) {
      case "TagUser":
        return `tag:${s.tags.map((t) => t.key).join(",")}`;
      case "UntagUser":
        return `untag:${s.tagKeys.join(",")}`;
      case "SendNotice":
        return `notice:${s.notice.kind}`;
      case "CreateKey":
      case "StoreNewKeySecret":
        return s._tag;
      default:
        return `${s._tag}:${s.keyId === K1 ? "K1" : s.keyId === K2 ? "K2" : s.keyId}`;
    }
  });
/**
 * The rows of the two transition tables are stated with the original's timing (POLICY.md:
 * `MIN_NOTICE_DAYS=0`, `IN_USE_DELAY_DAYS=0`); the rules of "Notice before action" have rows of
 * their own below, with the defaults.
 */
const original: PolicySettings = { ...defaults, minNoticeDays: 0, inUseDelayDays: 0 };
const run = (u: UserSnapshot, s: Partial<PolicySettings> = {}) =>
  decide({ ...original, ...s }, today)(u);
const codes = (p: Plan) => p.findings.map((f) => f.code);

const ROTATE = [
  "tag:key-rotation-state",
  "CreateKey",
  "StoreNewKeySecret",
  "tag:last-check-date,last-check-old-key,key-rotation-state",
  "notice:Rotated",
  "untag:key-rotation-state",
];
/** A warning is recorded only once it is sent (invariant 11: a failed send is no notice). */
const WARN = ["notice:Warning", "tag:key-rotation-state"];
const UNUSED = [
  "tag:last-check-date,last-check-old-key,key-rotation-state",
  "DeactivateKey:K1",
  "notice:DeactivatedUnused",
  "untag:key-rotation-state",
];
const DELETE = ["notice:Deleted", "DeleteKey:K1", "untag:last-check-date,last-check-old-key"];

describe("untracked users (POLICY.md, first transition table)", () => {
  it.each<[string, AccessKey[], Partial<PolicySettings>, string[]]>([
    ["no keys: nothing", [], {}, []],
    ["one Active key older than OVERDUE_DAYS is rotated", [key(1, 61)], {}, ROTATE],
    [
      "one Active key exactly OVERDUE_DAYS old is not rotated (thresholds are strict)",
      [key(1, 60)],
      {},
      [],
    ],
    [
      "one Active key past WARNING_DAYS on its first reminder day gets a warning",
      [key(1, 31)],
      {},
      WARN,
    ],
    ["no warning between reminder days", [key(1, 32)], {}, []],
    ["the next reminder comes REMINDER_INTERVAL_DAYS later", [key(1, 38)], {}, WARN],
    [
      "with REMINDER_INTERVAL_DAYS=1 the warning is daily",
      [key(1, 33)],
      { reminderIntervalDays: 1 },
      WARN,
    ],
    ["a key exactly WARNING_DAYS old gets no warning", [key(1, 30)], {}, []],
    [
      "two Active keys, one past WARNING_DAYS: one 'action required' notice",
      [key(1, 31), key(2, 3)],
      {},
      ["notice:TwoActiveKeys", "tag:key-rotation-state"],
    ],
    [
      "two Active keys are never rotated in warn mode",
      [key(1, 61), key(2, 3)],
      { reminderIntervalDays: 1 },
      ["notice:TwoActiveKeys", "tag:key-rotation-state"],
    ],
    [
      "TWO_ACTIVE_KEYS=enforce: the overdue older key is tracked as rotated today",
      [key(1, 61), key(2, 3)],
      { twoActiveKeys: "enforce" },
      [
        "tag:last-check-date,last-check-old-key,key-rotation-state",
        "notice:Rotated",
        "untag:key-rotation-state",
      ],
    ],
    [
      "TWO_ACTIVE_KEYS=enforce: not when both keys are overdue",
      [key(1, 70), key(2, 61)],
      { twoActiveKeys: "enforce", reminderIntervalDays: 1 },
      ["notice:TwoActiveKeys", "tag:key-rotation-state"],
    ],
    [
      "Active + Inactive: a warning that asks to delete the Inactive key",
      [key(1, 31), key(2, 100, "Inactive")],
      {},
      WARN,
    ],
    [
      "Active + Inactive, overdue, INACTIVE_BLOCKER=warn: no rotation",
      [key(1, 61), key(2, 100, "Inactive")],
      {},
      [],
    ],
    [
      "INACTIVE_BLOCKER=delete: delete the Inactive key, then rotate",
      [key(1, 61), key(2, 100, "Inactive")],
      { inactiveBlocker: "delete" },
      ["DeleteKey:K2", ...ROTATE],
    ],
    [
      "UNUSED_DAYS: an Active key last used more than N days ago is deactivated and tracked",
      [key(1, 100, "Active", LastUse.usedOn(ago(46)))],
      { unusedDays: 45 },
      UNUSED,
    ],
    [
      "UNUSED_DAYS: a never used key counts from its creation",
      [key(1, 46, "Active", LastUse.never)],
      { unusedDays: 45 },
      UNUSED,
    ],
    [
      "UNUSED_DAYS wins over rotation (an unused key needs no replacement)",
      [key(1, 61, "Active", LastUse.never)],
      { unusedDays: 45 },
      UNUSED,
    ],
    [
      "UNUSED_DAYS: an unknown last use is never taken as unused",
      [key(1, 61, "Active", LastUse.unknown)],
      { unusedDays: 45 },
      ROTATE,
    ],
    [
      "UNUSED_DAYS: a key used N days ago is not unused",
      [key(1, 50, "Active", LastUse.usedOn(ago(45)))],
      { unusedDays: 45 },
      [],
    ],
    ["only Inactive keys: nothing", [key(1, 100, "Inactive")], {}, []],
  ])("%s", (_name, keys, settings, expected) => {
    expect(shape(run(user(keys), settings))).toEqual(expected);
  });

  it("a Rotated notice announces the deactivation and deletion days", () => {
    const [notice] = noticesOf(run(user([key(1, 61)])));
    expect(notice).toMatchObject({
      kind: "Rotated",
      oldKeyId: K1,
      oldKeyAge: 61,
      newKey: { _tag: "Created" },
      deactivationDate: addDays(today, 11),
      deletionDate: addDays(today, 22),
    });
  });

  it("a warning names the key, its age and the day it will be rotated", () => {
    const [notice] = noticesOf(run(user([key(1, 31), key(2, 100, "Inactive")])));
    expect(notice).toMatchObject({
      kind: "Warning",
      keyId: K1,
      keyAge: 31,
      rotationDate: addDays(ago(31), 61),
      inactiveKeyId: K2,
    });
  });

  it("only Inactive keys are reported as a finding", () => {
    expect(codes(run(user([key(1, 100, "Inactive")])))).toEqual(["only-inactive-keys"]);
  });
});

describe("tracked users (POLICY.md, second transition table)", () => {
  const rotated = (dAge: number) =>
    user([key(1, 80), key(2, dAge)], { "last-check-date": ago(dAge), "last-check-old-key": K1 });
  const deactivated = (dAge: number, keys = [key(1, 90, "Inactive"), key(2, 20)]) =>
    user(keys, { "last-check-date": ago(dAge), "last-check-old-key": K1 });

  it("Rotated, DEACTIVATE_DAYS not yet over: nothing", () => {
    expect(shape(run(rotated(10)))).toEqual([]);
  });
  it("Rotated, DEACTIVATE_DAYS over: deactivate K with a crash marker and D := today", () => {
    const p = run(rotated(11));
    expect(shape(p)).toEqual([
      "tag:last-check-date,key-rotation-state",
      "DeactivateKey:K1",
      "notice:Deactivated",
      "untag:key-rotation-state",
    ]);
    expect(noticesOf(p)[0]).toMatchObject({ deletionDate: addDays(today, 11) });
  });
  it("Deactivated, DELETION_DAYS not yet over: nothing", () => {
    expect(shape(run(deactivated(10)))).toEqual([]);
  });
  it("Deactivated, DELETION_DAYS over: delete K and remove both tags", () => {
    expect(shape(run(deactivated(11)))).toEqual(DELETE);
  });
  it("difference 6: an announced deletion happens even if the user removed the other key", () => {
    expect(shape(run(deactivated(11, [key(1, 90, "Inactive")])))).toEqual(DELETE);
  });
  it("a deletion is followed by the untracked rules for the remaining key in the same run", () => {
    const p = run(deactivated(11, [key(1, 90, "Inactive"), key(2, 61)]));
    expect(shape(p)).toEqual([...DELETE, ...ROTATE]);
  });
  it("no warnings while a rotation is under way", () => {
    expect(shape(run(rotated(3), { reminderIntervalDays: 1 }))).toEqual([]);
  });
});

describe("broken tracking: both tags removed, no key touched, decided as untracked", () => {
  it.each<[string, Record<string, string>, AccessKey[]]>([
    ["only the date tag", { "last-check-date": ago(3) }, [key(1, 61)]],
    ["only the key tag", { "last-check-old-key": K1 }, [key(1, 61)]],
    [
      "an unparsable date",
      { "last-check-date": "2026-02-30", "last-check-old-key": K1 },
      [key(1, 61)],
    ],
    [
      "a date in the future",
      { "last-check-date": addDays(today, 1), "last-check-old-key": K1 },
      [key(1, 61)],
    ],
    [
      "K is not one of the user's keys",
      { "last-check-date": ago(20), "last-check-old-key": K2 },
      [key(1, 61)],
    ],
    [
      "Rotated while the other key is missing",
      { "last-check-date": ago(20), "last-check-old-key": K1 },
      [key(1, 61)],
    ],
  ])("%s", (_name, tags, keys) => {
    const p = run(user(keys, tags));
    expect(codes(p)).toContain("broken-tracking");
    expect(shape(p)[0]).toMatch(/^untag:/);
    expect(shape(p).slice(1)).toEqual(ROTATE);
  });

  it("Rotated while the other key is Inactive: tags removed, and (difference 2) no Active key deleted", () => {
    const p = run(
      user([key(1, 80), key(2, 5, "Inactive")], {
        "last-check-date": ago(30),
        "last-check-old-key": K1,
      }),
    );
    expect(codes(p)).toContain("broken-tracking");
    expect(shape(p)[0]).toEqual("untag:last-check-date,last-check-old-key");
    expect(p.steps.some((s) => s._tag === "DeleteKey" || s._tag === "DeactivateKey")).toBe(false);
  });

  it("Rotated while the other key is older than K", () => {
    const p = run(
      user([key(1, 5), key(2, 80)], { "last-check-date": ago(3), "last-check-old-key": K1 }),
    );
    expect(codes(p)).toContain("broken-tracking");
  });
});

describe("who is handled", () => {
  it.each([
    ["", "no-email"],
    ["Alice <alice@example.com>", "bad-email"],
    ["alice@example.com,bob@example.com", "bad-email"],
    ["alice@example.com\r\nBcc: eve@example.com", "bad-email"],
    ["alice@example", "bad-email"],
    [" alice@example.com", "bad-email"],
  ])("email tag %j: %s, no action", (email, code) => {
    const p = run(user([key(1, 200)], {}, email));
    expect(p.handled).toBe(false);
    expect(p.steps).toEqual([]);
    expect(codes(p)).toEqual([code]);
  });

  it.each([
    ["true", false, "exempt"],
    ["TRUE", false, "exempt"],
    [addDays(today, 1), false, "exempt"],
    [today, false, "exempt"],
    [ago(1), true, undefined],
    ["false", true, undefined],
    ["soon", false, "bad-exempt-value"],
    ["2026-02-30", false, "bad-exempt-value"],
  ])("exempt tag %j: handled %s", (value, handled, code) => {
    const p = run(user([key(1, 200)], { "key-rotation-exempt": value }));
    expect(p.handled).toBe(handled);
    if (code === undefined) expect(shape(p)).toEqual(ROTATE);
    else expect(codes(p)).toEqual([code]);
  });
});

describe("same-day idempotency and the tag budget", () => {
  it("a warning already sent today is not sent again", () => {
    expect(shape(run(user([key(1, 31)], { "key-rotation-state": `warned:${today}` })))).toEqual([]);
  });
  it("a warning sent on an earlier day does not block today's reminder", () => {
    expect(shape(run(user([key(1, 38)], { "key-rotation-state": `warned:${ago(7)}` })))).toEqual(
      WARN,
    );
  });
  const many = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`team-${i}`, "x"]));
  it("no rotation when the tracking tags would take the user past 50 tags", () => {
    const p = run(user([key(1, 66)], many(48)));
    expect(codes(p)).toContain("tag-budget");
    expect(p.steps.some((s) => s._tag === "CreateKey")).toBe(false);
    expect(shape(p)).toEqual(WARN);
  });
  it("a rotation that fits exactly in 50 tags goes ahead", () => {
    expect(shape(run(user([key(1, 61)], many(46))))).toEqual(ROTATE);
  });
  it("no warning when not even the state tag fits (it could not be kept from repeating)", () => {
    const p = run(user([key(1, 31)], many(49)));
    expect(p.steps).toEqual([]);
    expect(codes(p)).toContain("tag-budget");
  });
});

// ---- issue 12: recovery undoes only its own work ---------------------------------------------

/** Noon of `today`: the moment the runs below write their markers. */
const T = startOfDay(today) + 12 * 3600;
const atTime = (k: AccessKey, createdAt: number): AccessKey => ({
  ...k,
  created: dateOfInstant(createdAt),
  createdAt,
});
const rotating = (startedAt: number) => `rotating:${K1}:${formatInstant(startedAt)}`;

describe("recovery of a crashed run", () => {
  it("a rotation that stopped before its commit: the key made in its window, never used, is discarded, then the rotation runs again", () => {
    const made = atTime(key(2, 0, "Active", LastUse.never), T - 3600 + 5);
    const p = run(user([key(1, 61), made], { "key-rotation-state": rotating(T - 3600) }));
    expect(shape(p)).toEqual([
      "DeactivateKey:K2",
      "DeleteStoredSecret:K2",
      "DeleteKey:K2",
      "untag:key-rotation-state",
      ...ROTATE,
    ]);
    expect(codes(p)).toEqual(["recovered-rotation"]);
  });

  it("recovers a crashed rotation whatever its age (O 72 d, N 2 d, marker 2 days old)", () => {
    const started = T - 2 * 86_400;
    const made = atTime(key(2, 2, "Active", LastUse.never), started + 2);
    const p = run(user([key(1, 72), made], { "key-rotation-state": rotating(started) }));
    expect(shape(p).slice(0, 3)).toEqual([
      "DeactivateKey:K2",
      "DeleteStoredSecret:K2",
      "DeleteKey:K2",
    ]);
  });

  it("triage selects a crashed rotation whatever its age: two keys are always read", () => {
    const reasons = triage(
      original,
      today,
    )({
      userName: "alice" as UserName,
      keys: [
        { active: true, created: ago(72), lastUse: LastUse.unknown },
        { active: true, created: ago(2), lastUse: LastUse.never },
      ],
    });
    expect(reasons).toContain("two-keys");
  });

  it("a key the user made by hand hours after a failed CreateKey is never touched (issue 12, bob)", () => {
    const started = T - 86_400;
    const own = atTime(key(2, 1, "Active", LastUse.never), started + 5 * 3600);
    const p = run(user([key(1, 75), own], { "key-rotation-state": rotating(started) }));
    expect(p.steps.some((s) => s._tag === "DeactivateKey" || s._tag === "DeleteKey")).toBe(false);
    expect(shape(p)[0]).toBe("untag:key-rotation-state");
    expect(codes(p)).toContain("recovered-rotation");
  });

  it("a key made in the window but already used was delivered to someone: it is kept", () => {
    const used = atTime(key(2, 0, "Active", LastUse.usedOn(today)), T - 3600 + 60);
    const p = run(user([key(1, 61), used], { "key-rotation-state": rotating(T - 3600) }));
    expect(p.steps.some((s) => s._tag === "DeleteKey")).toBe(false);
  });

  it("while a candidate's last use is unknown, the marker stays and nothing else is decided", () => {
    const unknown = atTime(key(2, 0, "Active", LastUse.unknown), T - 3600 + 5);
    const p = run(user([key(1, 61), unknown], { "key-rotation-state": rotating(T - 3600) }));
    expect(p.steps).toEqual([]);
    expect(codes(p)).toEqual(["recovered-rotation"]);
  });

  it("a planted marker of the older form causes nothing but a finding and the tag's removal", () => {
    const p = run(
      user([key(1, 61), key(2, 5, "Active", LastUse.never)], {
        "key-rotation-state": `rotating:${K1}:2000-01-01`,
      }),
      { reminderIntervalDays: 1 },
    );
    expect(p.steps.filter((s) => s._tag !== "SendNotice" && s._tag !== "TagUser")).toEqual([
      { _tag: "UntagUser", tagKeys: ["key-rotation-state"] },
    ]);
    expect(codes(p)).toContain("stale-state");
  });

  it("a warning record beside a planted marker is not trusted: no key is deleted or rotated on its word", () => {
    // Found by invariant 9: a planted `warned:` record next to an older-form marker led, with
    // INACTIVE_BLOCKER=delete, to deleting the Inactive key and rotating the overdue one.
    const planted = user([key(1, 95), key(2, 40, "Inactive")], {
      "key-rotation-state": `warned:${ago(95)}:${ago(95)}:${K1} rotating:${K1}:2000-01-01`,
    });
    const p = decide({ ...defaults, minNoticeDays: 1, inactiveBlocker: "delete" }, today)(planted);
    expect(p.steps.filter((s) => s._tag === "DeleteKey" || s._tag === "CreateKey")).toEqual([]);
    expect(noticesOf(p).map((n) => n.kind)).not.toContain("Rotated");
    expect(codes(p)).toContain("stale-state");
  });

  it("a marker naming a key the user does not hold is stale and removed, no key touched", () => {
    const p = run(user([key(2, 61)], { "key-rotation-state": rotating(T - 3600) }));
    expect(codes(p)).toContain("stale-state");
    expect(shape(p)[0]).toBe("untag:key-rotation-state");
    expect(p.steps.some((s) => s._tag === "DeleteKey" || s._tag === "DeactivateKey")).toBe(false);
  });

  it("the older marker beside tracking tags: the rotation was committed, its notice is sent naming the file", () => {
    const p = run(
      user([key(1, 61), key(2, 0)], {
        "key-rotation-state": `rotating:${K1}:${today}`,
        "last-check-date": today,
        "last-check-old-key": K1,
      }),
    );
    expect(shape(p)).toEqual(["notice:Rotated", "untag:key-rotation-state"]);
    expect(noticesOf(p)[0]).toMatchObject({ newKey: { _tag: "Stored", keyId: K2 } });
  });

  it("a deactivation that crashed before the key was disabled is completed", () => {
    const p = run(
      user([key(1, 80), key(2, 11)], {
        "key-rotation-state": `deactivating:${K1}:${today}`,
        "last-check-date": today,
        "last-check-old-key": K1,
      }),
    );
    expect(shape(p)).toEqual([
      "DeactivateKey:K1",
      "notice:Deactivated",
      "untag:key-rotation-state",
    ]);
  });

  it("a crashed deactivation never disables the user's only Active key", () => {
    const p = run(
      user([key(1, 80)], {
        "key-rotation-state": `deactivating:${K1}:${today}`,
        "last-check-date": today,
        "last-check-old-key": K1,
      }),
    );
    expect(p.steps.some((s) => s._tag === "DeactivateKey")).toBe(false);
  });

  it("an unknown state tag value is removed and nothing else happens to the keys", () => {
    const p = run(user([key(1, 10)], { "key-rotation-state": "rotating:nonsense" }));
    expect(shape(p)).toEqual(["untag:key-rotation-state"]);
    expect(codes(p)).toEqual(["stale-state"]);
  });

  it("a rotation's rollback restores the state tag it found (the warning record survives a refused CreateKey)", () => {
    const warned = `warned:${ago(7)}:${ago(30)}:${K1}`;
    const p = decide(defaults, today)(user([key(1, 61)], { "key-rotation-state": warned }));
    expect(shape(p)).toEqual(ROTATE);
    expect(p.rollback).toEqual([
      {
        _tag: "TagUser",
        tags: [{ key: "key-rotation-state", value: warned }],
        commitsRotation: false,
      },
    ]);
  });

  it("the marker is written with the moment of the call, the commit with the new key's id", () => {
    const p = run(user([key(1, 61)]));
    const tags = p.steps.flatMap((s) => (s._tag === "TagUser" ? s.tags : []));
    expect(tags[0]?.value).toBe(`rotating:${K1}:${NOW_PLACEHOLDER}`);
    expect(tags.find((t) => t.key === "key-rotation-state" && t !== tags[0])?.value).toBe(
      `rotated:${NEW_KEY_PLACEHOLDER}:stored`,
    );
  });
});

// ---- issue 13: notice before action, never break a key in use --------------------------------

const run13 = (u: UserSnapshot, s: Partial<PolicySettings> = {}) =>
  decide({ ...defaults, ...s }, today)(u);
const rotatedUser = (
  dAge: number,
  oldUse: LastUse,
  newUse: LastUse = LastUse.never,
  state?: string,
) =>
  user([key(1, 90, "Active", oldUse), key(2, dAge + 1, "Active", newUse)], {
    "last-check-date": ago(dAge),
    "last-check-old-key": K1,
    ...(state === undefined ? {} : { "key-rotation-state": state }),
  });

describe("minimum notice (MIN_NOTICE_DAYS)", () => {
  it("an overdue key whose owner was never warned gets a Warning naming today + MIN_NOTICE_DAYS, not a rotation", () => {
    const p = run13(user([key(1, 75)]));
    expect(shape(p)).toEqual(WARN);
    expect(noticesOf(p)[0]).toMatchObject({ kind: "Warning", rotationDate: addDays(today, 7) });
    const tag = p.steps.find((s) => s._tag === "TagUser");
    expect(tag).toMatchObject({ tags: [{ value: `warned:${today}:${today}:${K1}` }] });
  });

  it("it is rotated once the first warning is MIN_NOTICE_DAYS old", () => {
    const p = run13(
      user([key(1, 75)], { "key-rotation-state": `warned:${ago(3)}:${ago(7)}:${K1}` }),
    );
    expect(shape(p)).toEqual(ROTATE);
  });

  it("not a day earlier, and no mail between reminder days", () => {
    const p = run13(
      user([key(1, 75)], { "key-rotation-state": `warned:${ago(6)}:${ago(6)}:${K1}` }),
    );
    expect(shape(p)).toEqual([]);
  });

  it("a warning about another key does not count", () => {
    const p = run13(
      user([key(1, 75)], { "key-rotation-state": `warned:${ago(9)}:${ago(9)}:${K2}` }),
    );
    expect(shape(p)).toEqual(WARN);
  });

  it("a warning before the key is overdue names the later of its overdue day and the notice day", () => {
    const p = run13(user([key(1, 59)]), { reminderIntervalDays: 1 });
    expect(noticesOf(p)[0]).toMatchObject({ rotationDate: addDays(today, 7) });
    const early = run13(user([key(1, 31)]));
    expect(noticesOf(early)[0]).toMatchObject({ rotationDate: addDays(ago(31), 61) });
  });

  it("TWO_ACTIVE_KEYS=enforce: an older key never warned about gets the action-required notice first", () => {
    const p = run13(user([key(1, 70), key(2, 3)]), { twoActiveKeys: "enforce" });
    expect(shape(p)).toEqual(["notice:TwoActiveKeys", "tag:key-rotation-state"]);
  });

  it("MIN_NOTICE_DAYS=0 rotates on first sight, as the original", () => {
    expect(shape(run13(user([key(1, 75)]), { minNoticeDays: 0 }))).toEqual(ROTATE);
  });
});

describe("the clock starts when the user is told", () => {
  it("a pending Rotated notice is sent again, names the stored key, and D becomes today; the old key waits", () => {
    const p = run13(rotatedUser(20, LastUse.never, LastUse.never, `rotated:${K2}:stored`));
    expect(shape(p)).toEqual(["notice:Rotated", "tag:last-check-date", "untag:key-rotation-state"]);
    expect(noticesOf(p)[0]).toMatchObject({
      newKey: { _tag: "Stored", keyId: K2 },
      deactivationDate: addDays(today, 11),
      downloadUntil: addDays(ago(21), 28),
    });
    expect(codes(p)).toEqual(["notice-undelivered"]);
  });

  it("a pending notice for a key the tracking tags do not name is dropped as stale", () => {
    const p = run13(rotatedUser(3, LastUse.never, LastUse.never, `rotated:${keyId(7)}:stored`));
    expect(codes(p)).toEqual(["stale-state"]);
    expect(noticesOf(p)).toEqual([]);
  });

  it("a Rotated notice tells until when the file can be downloaded and the hard deadline", () => {
    const [n] = noticesOf(
      run13(user([key(1, 75)], { "key-rotation-state": `warned:${ago(7)}:${ago(7)}:${K1}` })),
    );
    expect(n).toMatchObject({
      downloadUntil: addDays(today, 10 + 7 + 10 + 1),
      hardDeadline: addDays(today, 18),
      earlyDeactivation: false,
    });
  });
});

describe("never break a key in use (IN_USE_DELAY_DAYS)", () => {
  it("an old key used yesterday waits past its date, with an in-use notice naming the hard deadline", () => {
    const p = run13(rotatedUser(11, LastUse.usedOn(ago(1))));
    expect(shape(p)).toEqual(["notice:OldKeyInUse", "tag:key-rotation-state"]);
    expect(noticesOf(p)[0]).toMatchObject({ hardDeadline: addDays(ago(11), 18), newKeyId: K2 });
    expect(codes(p)).toEqual(["old-key-in-use"]);
  });

  it("the in-use notice is repeated every REMINDER_INTERVAL_DAYS, the finding every run", () => {
    const p = run13(rotatedUser(13, LastUse.usedOn(today), LastUse.never, `in-use:${ago(2)}`));
    expect(shape(p)).toEqual([]);
    expect(codes(p)).toEqual(["old-key-in-use"]);
  });

  it("an unknown last use counts as in use", () => {
    expect(codes(run13(rotatedUser(11, LastUse.unknown)))).toEqual(["old-key-in-use"]);
  });

  it("a key last used two days ago is not in use: deactivated on its date", () => {
    expect(shape(run13(rotatedUser(11, LastUse.usedOn(ago(2))))).slice(0, 2)).toEqual([
      "tag:last-check-date,key-rotation-state",
      "DeactivateKey:K1",
    ]);
  });

  it("at the hard deadline the old key is deactivated whatever its use", () => {
    const p = run13(rotatedUser(18, LastUse.usedOn(today), LastUse.never, `in-use:${ago(1)}`));
    expect(shape(p)).toEqual([
      "tag:last-check-date,key-rotation-state",
      "DeactivateKey:K1",
      "notice:Deactivated",
      "untag:key-rotation-state",
    ]);
  });
});

describe("early deactivation (EARLY_DEACTIVATION)", () => {
  it("once the new key is used after D and the old one quiet for more than 2 days, the old key goes early", () => {
    const p = run13(rotatedUser(5, LastUse.usedOn(ago(3)), LastUse.usedOn(ago(1))), {
      earlyDeactivation: true,
    });
    expect(shape(p)).toContain("DeactivateKey:K1");
    expect(shape(p)).toContain("notice:Deactivated");
  });

  it("not when the old key was used since the new key's last use, nor within 2 days", () => {
    const since = run13(rotatedUser(5, LastUse.usedOn(ago(3)), LastUse.usedOn(ago(4))), {
      earlyDeactivation: true,
    });
    const recent = run13(rotatedUser(5, LastUse.usedOn(ago(2)), LastUse.usedOn(ago(1))), {
      earlyDeactivation: true,
    });
    expect(since.steps).toEqual([]);
    expect(recent.steps).toEqual([]);
  });

  it("off by default", () => {
    expect(run13(rotatedUser(5, LastUse.usedOn(ago(3)), LastUse.usedOn(ago(1)))).steps).toEqual([]);
  });

  it("the Rotated notice then says the old key may go earlier", () => {
    const [n] = noticesOf(run13(user([key(1, 75)]), { earlyDeactivation: true, minNoticeDays: 0 }));
    expect(n).toMatchObject({ earlyDeactivation: true });
  });
});

describe("notices are never lost (invariant 14)", () => {
  it("the Deleted notice goes out before the key is deleted: a failed send deletes nothing", () => {
    expect(
      shape(
        run13(
          user([key(1, 90, "Inactive"), key(2, 30)], {
            "last-check-date": ago(11),
            "last-check-old-key": K1,
          }),
        ),
      )[0],
    ).toBe("notice:Deleted");
  });

  it("an unused-key deactivation keeps a marker until its notice is sent", () => {
    const p = run(
      user([key(1, 100, "Inactive", LastUse.usedOn(ago(46)))], {
        "last-check-date": today,
        "last-check-old-key": K1,
        "key-rotation-state": `deactivating:${K1}:${today}:unused`,
      }),
      { unusedDays: 45 },
    );
    expect(shape(p)).toEqual(["notice:DeactivatedUnused", "untag:key-rotation-state"]);
  });
});
