import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccessKey,
  type AccessKeyId,
  addDays,
  applyPlan,
  type CalendarDate,
  changesKeysOrNotifies,
  daysBetween,
  decide,
  type Plan,
  type PolicySettings,
  type ReportUser,
  triage,
  type UserSnapshot,
  type World,
  worldOf,
} from "../src/index.js";
import {
  assertInChunks,
  dayArb,
  emailTag,
  keyId,
  keysArb,
  otherTagsArb,
  PROPERTY_TIMEOUT_MS,
  RUNS,
  settingsArb,
  userArb,
} from "./arbitraries.js";
import { hasActive, justified, keyStep, reportOf, walk } from "./model-checks.js";

// ---- simulation: daily runs with the pure model ----------------------------------------------

interface SimOptions {
  readonly s: PolicySettings;
  readonly start: CalendarDate;
  readonly user: UserSnapshot;
  readonly days: number;
  /** Days on which the run crashes after this many steps of the user's plan. */
  readonly crashes: ReadonlyMap<number, number>;
  /** Days on which the user changes a key by hand. */
  readonly acts: ReadonlyMap<number, "create" | "delete" | "deactivate">;
}

interface DayRecord {
  readonly day: number;
  readonly today: CalendarDate;
  readonly before: UserSnapshot;
  readonly plan: Plan;
  readonly after: World;
  readonly crashed: boolean;
}

/** Runs keyrotate once a day for `days` days on one user, through the pure model. */
const simulate = (o: SimOptions, onDay: (r: DayRecord) => void): World => {
  let world = worldOf(o.user);
  let serial = 0;
  for (let day = 0; day < o.days; day++) {
    const today = addDays(o.start, day);
    const act = o.acts.get(day);
    if (act !== undefined)
      world = { ...world, user: userActs(world.user, act, today, keyId(5_000_000 + day)) };
    const before = world.user;
    const plan = decide(o.s, today)(before);
    const limit = o.crashes.get(day);
    const crashed = limit !== undefined && limit < plan.steps.length;
    world = applyPlan(
      world,
      plan,
      { today, newKeyId: keyId(8_000_000 + serial++) },
      crashed ? limit : undefined,
    );
    onDay({ day, today, before, plan, after: world, crashed });
  }
  return world;
};

const userActs = (
  u: UserSnapshot,
  act: "create" | "delete" | "deactivate",
  today: CalendarDate,
  id: AccessKeyId,
): UserSnapshot => {
  const [first] = u.keys;
  if (act === "create" && u.keys.length < 2) {
    return {
      ...u,
      keys: [...u.keys, { id, status: "Active", created: today, lastUse: { _tag: "NeverUsed" } }],
    };
  }
  if (act === "delete" && first !== undefined) return { ...u, keys: u.keys.slice(1) };
  if (act === "deactivate" && first !== undefined)
    return { ...u, keys: [{ ...first, status: "Inactive" }, ...u.keys.slice(1)] };
  return u;
};

/** A user whose tags keyrotate has not written yet: a valid email and unrelated tags. */
const cleanUserArb = (s: PolicySettings, today: CalendarDate): fc.Arbitrary<UserSnapshot> =>
  fc
    .record({ n: fc.integer({ min: 1, max: 999 }), keys: keysArb(today), others: otherTagsArb(3) })
    .map(({ n, keys, others }) => ({
      userName: `c${n}` as UserSnapshot["userName"],
      keys,
      tags: [emailTag(s, `c${n}`), ...others],
    }));

const simArb = (opts: { crashes: boolean; acts: boolean; clean?: boolean }) =>
  fc.tuple(settingsArb, dayArb).chain(([s, start]) =>
    fc.record({
      s: fc.constant(s),
      start: fc.constant(start),
      days: fc.constant(200),
      user: opts.clean === true ? cleanUserArb(s, start) : userArb(s, start),
      crashes: opts.crashes
        ? fc.array(fc.tuple(fc.nat(199), fc.nat(8)), { maxLength: 6 }).map((xs) => new Map(xs))
        : fc.constant(new Map<number, number>()),
      acts: opts.acts
        ? fc
            .array(
              fc.tuple(
                fc.nat(199),
                fc.constantFrom("create" as const, "delete" as const, "deactivate" as const),
              ),
              { maxLength: 4 },
            )
            .map((xs) => new Map(xs))
        : fc.constant(new Map<number, "create" | "delete" | "deactivate">()),
    }),
  );

describe("200 days of daily runs (pure model)", { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it("invariants 1-6 hold every day, with crashes and users who change keys by hand", async () => {
    await assertInChunks(
      fc.property(simArb({ crashes: true, acts: true }), (o) => {
        let lockedOutByUnused = false;
        simulate(o, ({ today, before, plan, after, crashed }) => {
          walk(before, plan, today, (w, step) => {
            if (step._tag === "DeleteKey")
              expect(w.user.keys.find((k) => k.id === step.keyId)?.status).toBe("Inactive");
            if (step._tag === "CreateKey") expect(w.user.keys.length).toBeLessThan(2);
          });
          for (const step of plan.steps.filter(keyStep))
            expect(justified(o.s, today, before, step)).toBe(true);
          if (plan.steps.some((st) => keyStep(st) && st.reason === "unused"))
            lockedOutByUnused = true;
          if (hasActive(before) && !lockedOutByUnused) expect(hasActive(after.user)).toBe(true);
          if (!crashed) expect(decide(o.s, today)(after.user).steps).toEqual([]);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it("no secret is lost: after every completed run each key keyrotate made is stored and announced, or gone", async () => {
    await assertInChunks(
      fc.property(simArb({ crashes: true, acts: false }), (o) => {
        simulate(o, ({ after, crashed }) => {
          if (crashed) return;
          for (const key of after.user.keys.filter((k) => k.id >= keyId(8_000_000))) {
            expect(after.storedSecrets).toContain(key.id);
            expect(
              after.notices.some(
                (n) =>
                  n.kind === "Rotated" && n.newKey._tag === "Stored" && n.newKey.keyId === key.id,
              ),
            ).toBe(true);
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  it("invariant 7: a user who never acts has every Active key deactivated and deleted in time, and always a working key", async () => {
    // Rotations are possible from one Active key, from two with TWO_ACTIVE_KEYS=enforce, and
    // from Active + Inactive with INACTIVE_BLOCKER=delete; UNUSED_DAYS is off (its exception).
    // The bounds hold when a rotation cycle fits before the new key is itself overdue
    // (DEACTIVATE_DAYS + DELETION_DAYS + 1 <= OVERDUE_DAYS): otherwise the new key must wait for
    // the old one's deletion before it can be rotated (invariant 4), and each cycle runs late.
    // Invariant 13: with MIN_NOTICE_DAYS and IN_USE_DELAY_DAYS, the bounds move by them (a user
    // who never acts never uses a key, so only the minimum notice moves them here).
    const cycleFits = ([s]: [PolicySettings, CalendarDate]) =>
      s.deactivateDays + s.deletionDays + s.inUseDelayDays + 1 <= s.overdueDays;
    const passive = fc
      .tuple(settingsArb, dayArb)
      .filter(cycleFits)
      .chain(([s0, start]) => {
        const s = { ...s0, unusedDays: undefined };
        return fc
          .record({
            ages: fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 })),
            shape: fc.nat(2),
          })
          .map(({ ages: [a, b], shape }) => {
            const k = (
              n: number,
              age: number,
              status: AccessKey["status"] = "Active",
            ): AccessKey => ({
              id: keyId(n),
              status,
              created: addDays(start, -age),
              lastUse: { _tag: "NeverUsed" },
            });
            const [older, newer] = [Math.max(a, b), Math.min(a, b)];
            const variants: [PolicySettings, AccessKey[]][] = [
              [s, [k(1, a)]],
              // With enforce, the newer key must be young enough to be rotated on time once the
              // older key's cycle ends (and strictly younger, or neither is ever "the newer").
              [
                { ...s, twoActiveKeys: "enforce" },
                [
                  k(1, older),
                  k(
                    2,
                    Math.min(
                      newer,
                      older - 1,
                      s.overdueDays +
                        1 -
                        (Math.max(0, s.overdueDays + 1 - older) +
                          s.deactivateDays +
                          s.deletionDays +
                          s.minNoticeDays +
                          2),
                    ),
                  ),
                ],
              ],
              [{ ...s, inactiveBlocker: "delete" }, [k(1, a), k(2, b, "Inactive")]],
            ];
            const chosen = variants[shape] as [PolicySettings, AccessKey[]];
            const [settings, keys] = (
              chosen[1].every((k) => k.created <= start) ? chosen : variants[0]
            ) as [PolicySettings, AccessKey[]];
            const user: UserSnapshot = {
              userName: "p" as UserSnapshot["userName"],
              keys,
              tags: [emailTag(settings, "p")],
            };
            return {
              s: settings,
              start,
              user,
              days: 200,
              crashes: new Map<number, number>(),
              acts: new Map(),
            };
          });
      });
    await assertInChunks(
      fc.property(passive, (o) => {
        const { overdueDays: O, deactivateDays: A, deletionDays: D, minNoticeDays: M } = o.s;
        const firstSeen = new Map<string, { created: CalendarDate; ageAtStart: number }>();
        const deactivatedAt = new Map<string, number>();
        const deletedAt = new Map<string, number>();
        simulate(o, ({ today, before, after }) => {
          for (const k of before.keys) {
            if (!firstSeen.has(k.id))
              firstSeen.set(k.id, {
                created: k.created,
                ageAtStart: daysBetween(k.created, today),
              });
          }
          for (const k of before.keys) {
            const now = after.user.keys.find((x) => x.id === k.id);
            const age = daysBetween(k.created, today);
            if (k.status === "Active" && now?.status === "Inactive") deactivatedAt.set(k.id, age);
            if (now === undefined) deletedAt.set(k.id, age);
          }
          expect(hasActive(after.user)).toBe(true);
        });
        const end = addDays(o.start, o.days - 1);
        for (const [id, { created, ageAtStart }] of firstSeen) {
          const startedActive = o.user.keys.find((k) => k.id === id)?.status !== "Inactive";
          const slack = Math.max(0, ageAtStart - (O + 1));
          const deactivateBy = O + A + 2 + slack + M;
          const deleteBy = O + A + D + 3 + slack + M;
          const ageAtEnd = daysBetween(created, end);
          if (startedActive && ageAtEnd >= deactivateBy)
            expect(deactivatedAt.get(id), `deactivation of ${id}`).toBeLessThanOrEqual(
              deactivateBy,
            );
          if (startedActive && ageAtEnd >= deleteBy)
            expect(deletedAt.get(id), `deletion of ${id}`).toBeLessThanOrEqual(deleteBy);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("triage never misses a user on whom decide would change a key or send a notice", async () => {
    // Every tag here was written by keyrotate's own runs (some of them crashed); the user also
    // creates, deletes and deactivates keys by hand.
    await assertInChunks(
      fc.property(simArb({ crashes: true, acts: true, clean: true }), (o) => {
        simulate(o, ({ today, before, plan }) => {
          if (plan.handled && changesKeysOrNotifies(plan)) {
            expect(
              triage(o.s, today)(reportOf(before)),
              JSON.stringify(plan.steps.map((x) => x._tag)),
            ).not.toEqual([]);
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  it("triage never misses an untracked user that decide would act on, whatever its keys", async () => {
    await assertInChunks(
      fc.property(settingsArb, dayArb, fc.integer({ min: 0, max: 9 }), (s, today, n) =>
        fc.assert(
          fc.property(keysArb(today), (keys) => {
            const user: UserSnapshot = {
              userName: `u${n}` as UserSnapshot["userName"],
              keys,
              tags: [emailTag(s, `u${n}`)],
            };
            if (changesKeysOrNotifies(decide(s, today)(user)))
              expect(triage(s, today)(reportOf(user))).not.toEqual([]);
          }),
          { numRuns: 20 },
        ),
      ),
      { numRuns: 1000 },
    );
  });

  it("triage skips a quiet account: young keys are never selected", async () => {
    await assertInChunks(
      fc.property(settingsArb, dayArb, (s, today) => {
        const young = Math.min(s.warningDays, s.deactivateDays, s.unusedDays ?? 1000);
        if (young < 2) return;
        const user: ReportUser = {
          userName: "q" as ReportUser["userName"],
          keys: [
            {
              active: true,
              created: addDays(today, -young),
              lastUse: { _tag: "UsedOn", date: today },
            },
          ],
        };
        expect(triage(s, today)(user)).toEqual([]);
      }),
      RUNS,
    );
  });
});
