import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccessKey,
  type AccessKeyId,
  addDays,
  applyPlan,
  applyStep,
  type CalendarDate,
  changesKeysOrNotifies,
  daysBetween,
  decide,
  defaultPolicySettings,
  noticesOf,
  type Plan,
  type PolicySettings,
  parseStateTag,
  type ReportUser,
  type Step,
  type Tag,
  tagValue,
  triage,
  type UserSnapshot,
  type World,
  worldOf,
} from "../src/index.js";
import {
  caseArb,
  dayArb,
  emailTag,
  garbageArb,
  keyId,
  keysArb,
  otherTagsArb,
  RUNS,
  settingsArb,
  userArb,
} from "./arbitraries.js";
import { type Change, originalChanges } from "./original-model.js";

const NEW_KEY = keyId(9_999_999);
const ctx = (today: CalendarDate, newKeyId: AccessKeyId = NEW_KEY) => ({ today, newKeyId });
const keyStep = (s: Step): s is Extract<Step, { _tag: "DeactivateKey" | "DeleteKey" }> =>
  s._tag === "DeactivateKey" || s._tag === "DeleteKey";
const hasActive = (u: UserSnapshot) => u.keys.some((k) => k.status === "Active");
const reportOf = (u: UserSnapshot): ReportUser => ({
  userName: u.userName,
  keys: u.keys.map((k) => ({
    active: k.status === "Active",
    created: k.created,
    lastUse: k.lastUse,
  })),
});

/** Walks a plan step by step through the model, calling `check` with the world before each step. */
const walk = (
  user: UserSnapshot,
  plan: Plan,
  today: CalendarDate,
  check: (w: World, s: Step) => void,
): World => {
  let w = worldOf(user);
  for (const step of plan.steps) {
    check(w, step);
    w = applyStep(w, step, ctx(today));
  }
  return w;
};

/** Why a key step is allowed, judged from the snapshot the plan was made from (invariant 2). */
const justified = (
  s: PolicySettings,
  today: CalendarDate,
  user: UserSnapshot,
  step: Extract<Step, { _tag: "DeactivateKey" | "DeleteKey" }>,
): boolean => {
  const key = user.keys.find((k) => k.id === step.keyId);
  const state = parseStateTag(tagValue(user, s.stateTagKey));
  switch (step.reason) {
    case "retired":
      return (
        tagValue(user, s.lastCheckOldKeyTagKey) === step.keyId ||
        (state._tag === "Deactivating" && state.keyId === step.keyId)
      );
    case "inactive-blocker":
      return s.inactiveBlocker === "delete" && key?.status === "Inactive";
    case "unused": {
      if (s.unusedDays === undefined || key === undefined) return false;
      const since =
        key.lastUse._tag === "UsedOn"
          ? key.lastUse.date
          : key.lastUse._tag === "NeverUsed"
            ? key.created
            : undefined;
      return since !== undefined && daysBetween(since, today) > s.unusedDays;
    }
    case "undelivered":
      return (
        state._tag === "Rotating" &&
        state.oldKeyId !== step.keyId &&
        key !== undefined &&
        key.created >= state.date
      );
  }
};

describe("POLICY.md invariants, as properties", () => {
  it("invariant 1: an Active key is never deleted", () => {
    fc.assert(
      fc.property(caseArb, ({ s, today, user }) => {
        walk(user, decide(s, today)(user), today, (w, step) => {
          if (step._tag === "DeleteKey")
            expect(w.user.keys.find((k) => k.id === step.keyId)?.status).toBe("Inactive");
        });
      }),
      RUNS,
    );
  });

  it("invariant 2: only K, or a key named by a rule, is ever deactivated or deleted", () => {
    fc.assert(
      fc.property(caseArb, ({ s, today, user }) => {
        for (const step of decide(s, today)(user).steps.filter(keyStep)) {
          expect(
            justified(s, today, user, step),
            `${step._tag} ${step.keyId} (${step.reason})`,
          ).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("invariant 3: a user who had an Active key still has one after the run (UNUSED_DAYS excepted)", () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), ({ s, today, user }, cut) => {
        const plan = decide(s, today)(user);
        if (!hasActive(user) || plan.steps.some((st) => keyStep(st) && st.reason === "unused"))
          return;
        // After the whole plan, and after any prefix of it (a run that crashed half-way).
        expect(hasActive(applyPlan(worldOf(user), plan, ctx(today)).user)).toBe(true);
        expect(
          hasActive(applyPlan(worldOf(user), plan, ctx(today), cut % (plan.steps.length + 1)).user),
        ).toBe(true);
      }),
      RUNS,
    );
  });

  it("invariant 4: a key is never created while the user holds two keys after the run's deletions", () => {
    fc.assert(
      fc.property(caseArb, ({ s, today, user }) => {
        walk(user, decide(s, today)(user), today, (w, step) => {
          if (step._tag === "CreateKey") expect(w.user.keys.length).toBeLessThan(2);
        });
      }),
      RUNS,
    );
  });

  it("invariant 5: users who are not handled get no action at all", () => {
    const unhandled = fc.tuple(settingsArb, dayArb).chain(([s, today]) =>
      fc
        .record({
          user: userArb(s, today),
          email: fc.option(garbageArb([]), { nil: undefined }),
          exempt: fc.option(
            fc.oneof(
              fc.constant("true"),
              garbageArb([]),
              dayArb.map((d) => addDays(d, 5000)),
            ),
            { nil: undefined },
          ),
        })
        .map(({ user, email, exempt }) => {
          const tags = user.tags.filter((t) => t.key !== s.emailTagKey);
          if (email !== undefined) tags.push({ key: s.emailTagKey, value: email });
          if (exempt !== undefined) tags.push({ key: s.exemptTagKey, value: exempt });
          return { s, today, user: { ...user, tags } };
        }),
    );
    fc.assert(
      fc.property(unhandled, ({ s, today, user }) => {
        const plan = decide(s, today)(user);
        if (!plan.handled) {
          expect(plan.steps).toEqual([]);
          expect(plan.findings.length).toBeGreaterThan(0);
        } else {
          // Handled only with one valid address and no exemption in force.
          expect(tagValue(user, s.emailTagKey)).toMatch(/^[^\s<>,]+@[^\s<>,]+$/);
        }
      }),
      RUNS,
    );
  });

  it("invariant 6: apply a run's plan, decide again on the same day: no transition and no notice", () => {
    fc.assert(
      fc.property(caseArb, ({ s, today, user }) => {
        const after = applyPlan(worldOf(user), decide(s, today)(user), ctx(today)).user;
        expect(decide(s, today)(after).steps).toEqual([]);
      }),
      RUNS,
    );
  });

  it("invariant 8: same snapshot, settings and day give the same plan, whatever the order of users or keys", () => {
    fc.assert(
      fc.property(
        fc.tuple(settingsArb, dayArb).chain(([s, today]) =>
          fc.record({
            s: fc.constant(s),
            today: fc.constant(today),
            users: fc.array(userArb(s, today), { maxLength: 5 }),
            seed: fc.nat(),
          }),
        ),
        ({ s, today, users, seed }) => {
          const shuffle = <A>(xs: ReadonlyArray<A>, k: number): A[] =>
            xs
              .map((x, i) => ({ x, r: (i * 7919 + k * 104729) % 1009 }))
              .sort((a, b) => a.r - b.r)
              .map((e) => e.x);
          const plans = (us: ReadonlyArray<UserSnapshot>) =>
            new Map(us.map((u, i) => [`${u.userName}#${i}`, decide(s, today)(u)]));
          const reordered = users.map((u) => ({
            ...u,
            keys: shuffle(u.keys, seed),
            tags: shuffle(u.tags, seed + 1),
          }));
          const a = plans(users);
          const b = plans(reordered);
          const order = shuffle([...a.keys()], seed + 2);
          for (const name of order) expect(b.get(name)).toEqual(a.get(name));
        },
      ),
      RUNS,
    );
  });

  it("invariant 9: garbage in tags leads at most to removing tracking tags, never to a deactivation or deletion", () => {
    const garbage = fc.tuple(settingsArb, dayArb).chain(([s, today]) =>
      fc
        .record({
          n: fc.integer({ min: 1, max: 999 }),
          keys: keysArb(today),
          others: otherTagsArb(3),
        })
        .chain(({ n, keys, others }) => {
          const clean: UserSnapshot = {
            userName: `u${n}` as UserSnapshot["userName"],
            keys,
            tags: [emailTag(s, `u${n}`), ...others],
          };
          const slot = fc.option(garbageArb(keys), { nil: undefined });
          return fc
            .record({ d: slot, k: slot, state: slot, exempt: slot })
            .map(({ d, k, state, exempt }) => {
              const extra: Tag[] = [];
              if (d !== undefined) extra.push({ key: s.lastCheckDateTagKey, value: d });
              if (k !== undefined) extra.push({ key: s.lastCheckOldKeyTagKey, value: k });
              if (state !== undefined) extra.push({ key: s.stateTagKey, value: state });
              if (exempt !== undefined) extra.push({ key: s.exemptTagKey, value: exempt });
              return { s, today, clean, dirty: { ...clean, tags: [...clean.tags, ...extra] } };
            });
        }),
    );
    fc.assert(
      fc.property(garbage, ({ s, today, clean, dirty }) => {
        const keyChanges = (p: Plan) =>
          p.steps.filter(keyStep).map((st) => `${st._tag}:${st.keyId}`);
        const allowed = new Set(keyChanges(decide(s, today)(clean)));
        for (const change of keyChanges(decide(s, today)(dirty)))
          expect(allowed.has(change), change).toBe(true);
      }),
      RUNS,
    );
  });

  it("invariant 10: with daily reminders and the new settings at their defaults, key and tag changes match the original's", () => {
    // States the original itself can be in: untracked, or tracked after its own rotation (K the
    // older key; both Active, or K Inactive beside an Active key). Outside the deliberate
    // differences, and with periods short enough that the key left after a deletion is not
    // itself overdue (keyrotate decides it in the same run: invariant 6).
    const originalState = fc
      .record({
        warningDays: fc.integer({ min: 0, max: 60 }),
        gap: fc.integer({ min: 1, max: 60 }),
        deactivateDays: fc.integer({ min: 0, max: 20 }),
        deletionDays: fc.integer({ min: 0, max: 20 }),
        today: dayArb,
        ages: fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 })),
        dAge: fc.integer({ min: 0, max: 40 }),
        shape: fc.constantFrom(
          "none",
          "one",
          "one-inactive",
          "two-active",
          "active-inactive",
          "rotated",
          "deactivated",
        ),
      })
      .filter((r) => r.deactivateDays + r.deletionDays + r.dAge < r.warningDays + r.gap)
      .map((r) => {
        const s: PolicySettings = {
          ...defaultPolicySettings,
          warningDays: r.warningDays,
          overdueDays: r.warningDays + r.gap,
          deactivateDays: r.deactivateDays,
          deletionDays: r.deletionDays,
          reminderIntervalDays: 1,
        };
        const [older, newer] = [Math.max(...r.ages), Math.min(...r.ages)];
        const k = (n: number, age: number, status: AccessKey["status"] = "Active"): AccessKey => ({
          id: keyId(n),
          status,
          created: addDays(r.today, -age),
          lastUse: { _tag: "Unknown" },
        });
        const tracked = [
          { key: s.lastCheckDateTagKey, value: addDays(r.today, -r.dAge) },
          { key: s.lastCheckOldKeyTagKey, value: keyId(1) },
        ];
        const byShape: Record<string, [AccessKey[], Tag[]]> = {
          none: [[], []],
          one: [[k(1, older)], []],
          "one-inactive": [[k(1, older, "Inactive")], []],
          "two-active": [[k(1, older), k(2, newer)], []],
          "active-inactive": [[k(1, older), k(2, newer, "Inactive")], []],
          rotated: [[k(1, older), k(2, Math.min(newer, r.dAge))], tracked],
          deactivated: [[k(1, older, "Inactive"), k(2, Math.min(newer, r.dAge))], tracked],
        };
        const [keys, tags] = byShape[r.shape] as [AccessKey[], Tag[]];
        const user: UserSnapshot = {
          userName: "u" as UserSnapshot["userName"],
          keys,
          tags: [emailTag(s, "u"), ...tags],
        };
        return { s, today: r.today, user };
      });
    const applyChanges = (u: UserSnapshot, changes: Change[]) => {
      let keys = u.keys.map((k) => `${k.id}:${k.status}`);
      const tags = new Map(u.tags.map((t) => [t.key, t.value]));
      for (const c of changes) {
        if (c.op === "create") keys.push(`${NEW_KEY}:Active`);
        if (c.op === "deactivate")
          keys = keys.map((k) => (k.startsWith(c.keyId) ? `${c.keyId}:Inactive` : k));
        if (c.op === "delete") keys = keys.filter((k) => !k.startsWith(c.keyId));
        if (c.op === "tag") tags.set(c.key, c.value);
        if (c.op === "untag") tags.delete(c.key);
      }
      return { keys: keys.sort(), tags };
    };
    fc.assert(
      fc.property(originalState, ({ s, today, user }) => {
        const theirs = applyChanges(user, originalChanges(s, today, user));
        const ours = applyPlan(worldOf(user), decide(s, today)(user), ctx(today)).user;
        expect(ours.keys.map((k) => `${k.id}:${k.status}`).sort()).toEqual(theirs.keys);
        for (const tagKey of [s.lastCheckDateTagKey, s.lastCheckOldKeyTagKey]) {
          expect(tagValue(ours, tagKey)).toEqual(theirs.tags.get(tagKey));
        }
      }),
      RUNS,
    );
  });
});

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

describe("200 days of daily runs (pure model)", () => {
  it("invariants 1-6 hold every day, with crashes and users who change keys by hand", () => {
    fc.assert(
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

  it("no secret is lost: after every completed run each key keyrotate made is stored and announced, or gone", () => {
    fc.assert(
      fc.property(simArb({ crashes: true, acts: false }), (o) => {
        simulate(o, ({ after, crashed }) => {
          if (crashed) return;
          for (const key of after.user.keys.filter((k) => k.id >= keyId(8_000_000))) {
            expect(after.storedSecrets).toContain(key.id);
            expect(
              after.notices.some(
                (n) =>
                  n.kind === "Rotated" && n.newKey._tag === "Existing" && n.newKey.keyId === key.id,
              ),
            ).toBe(true);
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  it("invariant 7: a user who never acts has every Active key deactivated and deleted in time, and always a working key", () => {
    // Rotations are possible from one Active key, from two with TWO_ACTIVE_KEYS=enforce, and
    // from Active + Inactive with INACTIVE_BLOCKER=delete; UNUSED_DAYS is off (its exception).
    // The bounds hold when a rotation cycle fits before the new key is itself overdue
    // (DEACTIVATE_DAYS + DELETION_DAYS + 1 <= OVERDUE_DAYS): otherwise the new key must wait for
    // the old one's deletion before it can be rotated (invariant 4), and each cycle runs late.
    const cycleFits = ([s]: [PolicySettings, CalendarDate]) =>
      s.deactivateDays + s.deletionDays + 1 <= s.overdueDays;
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
    fc.assert(
      fc.property(passive, (o) => {
        const { overdueDays: O, deactivateDays: A, deletionDays: D } = o.s;
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
          const deactivateBy = O + A + 2 + slack;
          const deleteBy = O + A + D + 3 + slack;
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

  it("triage never misses a user on whom decide would change a key or send a notice", () => {
    // Every tag here was written by keyrotate's own runs (some of them crashed); the user also
    // creates, deletes and deactivates keys by hand.
    fc.assert(
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

  it("triage never misses an untracked user that decide would act on, whatever its keys", () => {
    fc.assert(
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

  it("triage skips a quiet account: young keys are never selected", () => {
    fc.assert(
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

describe("notices", () => {
  it("every notice goes to the user's one address and names only the user's keys", () => {
    fc.assert(
      fc.property(caseArb, ({ s, today, user }) => {
        for (const n of noticesOf(decide(s, today)(user))) {
          expect(n.to).toBe(tagValue(user, s.emailTagKey));
          expect(n.userName).toBe(user.userName);
        }
      }),
      RUNS,
    );
  });
});
