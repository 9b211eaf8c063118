import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccessKey,
  type AccessKeyId,
  addDays,
  type CalendarDate,
  daysBetween,
  decide,
  LastUse,
  type Notice,
  noticesOf,
  type Step,
  type UserName,
  type World,
  worldOf,
} from "../src/index.js";
import { simulatePlan } from "../src/simulate.js";
import {
  assertInChunks,
  dayArb,
  emailTag,
  keyId,
  PROPERTY_TIMEOUT_MS,
  RUNS,
  settingsArb,
} from "./arbitraries.js";

const DAYS = 260;

/** One user with one Active key of any age and last use, who never acts, run daily. */
const caseArb = fc.record({
  // Early deactivation promises "on X, or earlier": its date is a bound, not a day.
  s: settingsArb.map((s) => ({ ...s, earlyDeactivation: false })),
  start: dayArb,
  age: fc.integer({ min: 0, max: 200 }),
  use: fc.oneof(
    fc.constant<"never" | "unknown">("never"),
    fc.constant<"never" | "unknown">("unknown"),
    fc.nat(200),
  ),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

interface Day {
  readonly today: CalendarDate;
  readonly before: World;
  readonly steps: ReadonlyArray<Step>;
  readonly notices: ReadonlyArray<Notice>;
}

/** The days of a run, from the first, in order. */
const runDaily = (c: Case): Day[] => {
  const created = addDays(c.start, -c.age);
  const lastUse =
    c.use === "never"
      ? LastUse.never
      : c.use === "unknown"
        ? LastUse.unknown
        : LastUse.usedOn(addDays(created, Math.min(c.use, c.age)));
  const key: AccessKey = { id: keyId(1), status: "Active", created, lastUse };
  const userName = "promised" as UserName;
  let world = worldOf({ userName, tags: [emailTag(c.s, userName)], keys: [key] });
  const days: Day[] = [];
  for (let n = 0; n < DAYS; n++) {
    const today = addDays(c.start, n);
    const plan = decide(c.s, today)(world.user);
    days.push({ today, before: world, steps: plan.steps, notices: noticesOf(plan) });
    world = simulatePlan(world, plan, { today, newKeyId: keyId(1000 + n) });
  }
  return days;
};

/** The first day on or after `from` on which a step matching `is` was planned, if any. */
const firstDay = (
  days: ReadonlyArray<Day>,
  from: CalendarDate,
  is: (s: Step) => boolean,
): CalendarDate | undefined => days.find((d) => d.today >= from && d.steps.some(is))?.today;

const rotates = (keyId: AccessKeyId) => (s: Step) => s._tag === "CreateKey" && s.replaces === keyId;
const deactivates = (keyId: AccessKeyId) => (s: Step) =>
  s._tag === "DeactivateKey" && s.keyId === keyId;
const deletes = (keyId: AccessKeyId) => (s: Step) => s._tag === "DeleteKey" && s.keyId === keyId;

/** Used on or after the day before (POLICY.md, "never break a key in use"); unknown counts. */
const inUseOn = (key: AccessKey | undefined, day: CalendarDate): boolean =>
  key !== undefined &&
  (key.lastUse._tag === "Unknown" ||
    (key.lastUse._tag === "UsedOn" && daysBetween(key.lastUse.date, day) <= 1));

describe("promised dates", { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it("the date a notice promises for a transition is the first day decide performs it, run day by day", async () => {
    await assertInChunks(
      fc.property(caseArb, (c) => {
        const days = runDaily(c);
        const last = days[days.length - 1]?.today as CalendarDate;
        for (const day of days) {
          for (const n of day.notices) {
            switch (n.kind) {
              case "Warning":
                // A key deactivated as unused before that day is never rotated.
                if (n.rotationDate <= last && !days.some((d) => d.steps.some(unusedOf(n.keyId))))
                  expect(firstDay(days, day.today, rotates(n.keyId))).toBe(n.rotationDate);
                break;
              case "Rotated": {
                if (n.hardDeadline > last) break;
                const deactivated = firstDay(days, day.today, deactivates(n.oldKeyId));
                const old = (d: CalendarDate) =>
                  days
                    .find((x) => x.today === d)
                    ?.before.user.keys.find((k) => k.id === n.oldKeyId);
                // On the promised day; while the old key is in use, later, and at the latest
                // on the hard deadline.
                let expected = n.deactivationDate;
                while (expected < n.hardDeadline && inUseOn(old(expected), expected))
                  expected = addDays(expected, 1);
                expect(deactivated).toBe(expected);
                if (deactivated === n.deactivationDate && n.deletionDate <= last)
                  expect(firstDay(days, day.today, deletes(n.oldKeyId))).toBe(n.deletionDate);
                break;
              }
              case "OldKeyInUse":
                if (n.hardDeadline <= last) {
                  const deactivated = firstDay(days, day.today, deactivates(n.keyId));
                  expect(deactivated !== undefined && deactivated <= n.hardDeadline).toBe(true);
                }
                break;
              case "Deactivated":
              case "DeactivatedUnused":
                if (n.deletionDate <= last)
                  expect(firstDay(days, day.today, deletes(n.keyId))).toBe(n.deletionDate);
                break;
              default:
                break;
            }
          }
        }
      }),
      RUNS,
    );
  });
});

const unusedOf = (keyId: AccessKeyId) => (s: Step) =>
  s._tag === "DeactivateKey" && s.keyId === keyId && s.reason === "unused";
