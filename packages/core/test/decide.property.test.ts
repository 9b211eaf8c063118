import { checkDeletions } from "@keyrotate/sandbox/verify";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccessKey,
  addDays,
  decide,
  defaultPolicySettings,
  noticesOf,
  type Plan,
  type PolicySettings,
  simulatePlan,
  type Tag,
  tagValue,
  type UserSnapshot,
  worldOf,
} from "../src/index.js";
import {
  assertInChunks,
  caseArb,
  dayArb,
  emailTag,
  garbageArb,
  keyId,
  keysArb,
  otherTagsArb,
  PROPERTY_TIMEOUT_MS,
  RUNS,
  settingsArb,
  userArb,
} from "./arbitraries.js";
import { ctx, hasActive, justified, keyEventsOf, keyStep, walk } from "./model-checks.js";
import { applyChanges, intendedRun, MODEL_NEW_KEY } from "./original-model.js";

describe("POLICY.md invariants, as properties", { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it("invariant 1: an Active key is never deleted", async () => {
    await assertInChunks(
      fc.property(caseArb, ({ s, today, user }) => {
        // Judged by the sandbox's own check, on the key trail the plan leaves in the model.
        const keyEventsToday = keyEventsOf(user, decide(s, today)(user), today);
        expect(checkDeletions({ day: 0, keyEventsToday })).toEqual([]);
      }),
      RUNS,
    );
  });

  it("invariant 2: only K, or a key named by a rule, is ever deactivated or deleted", async () => {
    await assertInChunks(
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

  it("invariant 3: a user who had an Active key still has one after the run (UNUSED_DAYS excepted)", async () => {
    await assertInChunks(
      fc.property(caseArb, fc.nat(), ({ s, today, user }, cut) => {
        const plan = decide(s, today)(user);
        if (!hasActive(user) || plan.steps.some((st) => keyStep(st) && st.reason === "unused"))
          return;
        // After the whole plan, and after any prefix of it (a run that crashed half-way).
        expect(hasActive(simulatePlan(worldOf(user), plan, ctx(today)).user)).toBe(true);
        expect(
          hasActive(
            simulatePlan(worldOf(user), plan, ctx(today), cut % (plan.steps.length + 1)).user,
          ),
        ).toBe(true);
      }),
      RUNS,
    );
  });

  it("invariant 4: a key is never created while the user holds two keys after the run's deletions", async () => {
    await assertInChunks(
      fc.property(caseArb, ({ s, today, user }) => {
        walk(user, decide(s, today)(user), today, (w, step) => {
          if (step._tag === "CreateKey") expect(w.user.keys.length).toBeLessThan(2);
        });
      }),
      RUNS,
    );
  });

  it("invariant 5: users who are not handled get no action at all", async () => {
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
    await assertInChunks(
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

  it("invariant 6: apply a run's plan, decide again on the same day: no transition and no notice", async () => {
    await assertInChunks(
      fc.property(caseArb, ({ s, today, user }) => {
        const after = simulatePlan(worldOf(user), decide(s, today)(user), ctx(today)).user;
        expect(decide(s, today)(after).steps).toEqual([]);
      }),
      RUNS,
    );
  });

  it("invariant 8: same snapshot, settings and day give the same plan, whatever the order of users or keys", async () => {
    await assertInChunks(
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

  it("invariant 9: garbage in tags leads at most to removing tracking tags, never to a deactivation or deletion", async () => {
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
    await assertInChunks(
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

  it("invariant 10: with daily reminders and the new settings at their defaults, key and tag changes and notices match the original's", async () => {
    // States the original itself can be in: untracked; tracked after its own rotation (K the
    // older key; both Active, or K Inactive beside an Active key); and tracking tags beside zero
    // or one key (a key deleted by hand). The key left after K's deletion may itself be overdue:
    // the model states difference 10 (and 5, 6, 11) in `intendedRun`.
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
          "tracked-none",
          "tracked-one",
          "tracked-other",
          "tracked-one-inactive",
        ),
      })
      .map((r) => {
        const s: PolicySettings = {
          ...defaultPolicySettings,
          warningDays: r.warningDays,
          overdueDays: r.warningDays + r.gap,
          deactivateDays: r.deactivateDays,
          deletionDays: r.deletionDays,
          reminderIntervalDays: 1,
          minNoticeDays: 0,
          inUseDelayDays: 0,
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
          "tracked-none": [[], tracked],
          "tracked-one": [[k(1, older)], tracked],
          "tracked-other": [[k(2, newer)], tracked],
          "tracked-one-inactive": [[k(1, older, "Inactive")], tracked],
        };
        const [keys, tags] = byShape[r.shape] as [AccessKey[], Tag[]];
        const user: UserSnapshot = {
          userName: "u" as UserSnapshot["userName"],
          keys,
          tags: [emailTag(s, "u"), ...tags],
        };
        return { s, today: r.today, user };
      });
    await assertInChunks(
      fc.property(originalState, ({ s, today, user }) => {
        const intended = intendedRun(s, today, user);
        const theirs = applyChanges(user, intended.changes, today);
        const plan = decide(s, today)(user);
        const ours = simulatePlan(worldOf(user), plan, ctx(today, MODEL_NEW_KEY)).user;
        const keysOf = (u: UserSnapshot) => u.keys.map((x) => `${x.id}:${x.status}`).sort();
        expect(keysOf(ours)).toEqual(keysOf(theirs));
        for (const tagKey of [s.lastCheckDateTagKey, s.lastCheckOldKeyTagKey]) {
          expect(tagValue(ours, tagKey)).toEqual(tagValue(theirs, tagKey));
        }
        expect(
          noticesOf(plan)
            .map((n) => n.kind)
            .sort(),
        ).toEqual([...intended.notices].sort());
      }),
      RUNS,
    );
  });
});

describe("notices", { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it("every notice goes to the user's one address and names only the user's keys", async () => {
    await assertInChunks(
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
