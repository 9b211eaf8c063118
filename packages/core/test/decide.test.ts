import { describe, expect, it } from "vitest";
import {
  type AccessKey,
  addDays,
  type CalendarDate,
  decide,
  defaultPolicySettings as defaults,
  LastUse,
  noticesOf,
  type Plan,
  type PolicySettings,
  type UserName,
  type UserSnapshot,
} from "../src/index.js";
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
const run = (u: UserSnapshot, s: Partial<PolicySettings> = {}) =>
  decide({ ...defaults, ...s }, today)(u);
const codes = (p: Plan) => p.findings.map((f) => f.code);

const ROTATE = [
  "tag:key-rotation-state",
  "CreateKey",
  "StoreNewKeySecret",
  "tag:last-check-date,last-check-old-key",
  "notice:Rotated",
  "untag:key-rotation-state",
];

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
      ["tag:key-rotation-state", "notice:Warning"],
    ],
    ["no warning between reminder days", [key(1, 32)], {}, []],
    [
      "the next reminder comes REMINDER_INTERVAL_DAYS later",
      [key(1, 38)],
      {},
      ["tag:key-rotation-state", "notice:Warning"],
    ],
    [
      "with REMINDER_INTERVAL_DAYS=1 the warning is daily",
      [key(1, 33)],
      { reminderIntervalDays: 1 },
      ["tag:key-rotation-state", "notice:Warning"],
    ],
    ["a key exactly WARNING_DAYS old gets no warning", [key(1, 30)], {}, []],
    [
      "two Active keys, one past WARNING_DAYS: one 'action required' notice",
      [key(1, 31), key(2, 3)],
      {},
      ["tag:key-rotation-state", "notice:TwoActiveKeys"],
    ],
    [
      "two Active keys are never rotated in warn mode",
      [key(1, 61), key(2, 3)],
      { reminderIntervalDays: 1 },
      ["tag:key-rotation-state", "notice:TwoActiveKeys"],
    ],
    [
      "TWO_ACTIVE_KEYS=enforce: the overdue older key is tracked as rotated today",
      [key(1, 61), key(2, 3)],
      { twoActiveKeys: "enforce" },
      ["tag:last-check-date,last-check-old-key", "notice:Rotated"],
    ],
    [
      "TWO_ACTIVE_KEYS=enforce: not when both keys are overdue",
      [key(1, 70), key(2, 61)],
      { twoActiveKeys: "enforce", reminderIntervalDays: 1 },
      ["tag:key-rotation-state", "notice:TwoActiveKeys"],
    ],
    [
      "Active + Inactive: a warning that asks to delete the Inactive key",
      [key(1, 31), key(2, 100, "Inactive")],
      {},
      ["tag:key-rotation-state", "notice:Warning"],
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
      ["tag:last-check-date,last-check-old-key", "DeactivateKey:K1", "notice:DeactivatedUnused"],
    ],
    [
      "UNUSED_DAYS: a never used key counts from its creation",
      [key(1, 46, "Active", LastUse.never)],
      { unusedDays: 45 },
      ["tag:last-check-date,last-check-old-key", "DeactivateKey:K1", "notice:DeactivatedUnused"],
    ],
    [
      "UNUSED_DAYS wins over rotation (an unused key needs no replacement)",
      [key(1, 61, "Active", LastUse.never)],
      { unusedDays: 45 },
      ["tag:last-check-date,last-check-old-key", "DeactivateKey:K1", "notice:DeactivatedUnused"],
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
    expect(shape(run(deactivated(11)))).toEqual([
      "DeleteKey:K1",
      "untag:last-check-date,last-check-old-key",
      "notice:Deleted",
    ]);
  });
  it("difference 6: an announced deletion happens even if the user removed the other key", () => {
    expect(shape(run(deactivated(11, [key(1, 90, "Inactive")])))).toEqual([
      "DeleteKey:K1",
      "untag:last-check-date,last-check-old-key",
      "notice:Deleted",
    ]);
  });
  it("a deletion is followed by the untracked rules for the remaining key in the same run", () => {
    const p = run(deactivated(11, [key(1, 90, "Inactive"), key(2, 61)]));
    expect(shape(p)).toEqual([
      "DeleteKey:K1",
      "untag:last-check-date,last-check-old-key",
      "notice:Deleted",
      ...ROTATE,
    ]);
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
    expect(shape(run(user([key(1, 38)], { "key-rotation-state": `warned:${ago(7)}` })))).toEqual([
      "tag:key-rotation-state",
      "notice:Warning",
    ]);
  });
  const many = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`team-${i}`, "x"]));
  it("no rotation when the tracking tags would take the user past 50 tags", () => {
    const p = run(user([key(1, 66)], many(48)));
    expect(codes(p)).toContain("tag-budget");
    expect(p.steps.some((s) => s._tag === "CreateKey")).toBe(false);
    expect(shape(p)).toEqual(["tag:key-rotation-state", "notice:Warning"]);
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

describe("recovery of a crashed run", () => {
  it("a rotation that crashed before it was tracked: the undelivered key is discarded, then the rotation runs again", () => {
    const p = run(
      user([key(1, 61), key(2, 0)], { "key-rotation-state": `rotating:${K1}:${today}` }),
    );
    expect(shape(p)).toEqual([
      "DeactivateKey:K2",
      "DeleteStoredSecret:K2",
      "DeleteKey:K2",
      "untag:key-rotation-state",
      ...ROTATE,
    ]);
  });
  it("a rotation that crashed after it was tracked: the Rotated notice is sent and the marker removed", () => {
    const p = run(
      user([key(1, 61), key(2, 0)], {
        "key-rotation-state": `rotating:${K1}:${today}`,
        "last-check-date": today,
        "last-check-old-key": K1,
      }),
    );
    expect(shape(p)).toEqual(["notice:Rotated", "untag:key-rotation-state"]);
    expect(noticesOf(p)[0]).toMatchObject({ newKey: { _tag: "Existing", keyId: K2 } });
  });
  it("a key older than the crashed rotation is never taken for its undelivered key", () => {
    const p = run(
      user([key(1, 61), key(2, 5)], { "key-rotation-state": `rotating:${K1}:${today}` }),
    );
    expect(p.steps.some((s) => s._tag === "DeleteKey")).toBe(false);
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
});
