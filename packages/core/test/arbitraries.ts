import fc from "fast-check";
import {
  type AccessKey,
  type AccessKeyId,
  addDays,
  type CalendarDate,
  defaultPolicySettings as defaults,
  formatInstant,
  LastUse,
  type PolicySettings,
  startOfDay,
  type Tag,
  type UserName,
  type UserSnapshot,
} from "../src/index.js";

/** The first day of the simulated calendar. */
export const epoch = "2026-01-01" as CalendarDate;

/** A day within ten years after {@link epoch}. */
export const dayArb: fc.Arbitrary<CalendarDate> = fc
  .integer({ min: 400, max: 3650 })
  .map((n) => addDays(epoch, n));

/** A key id from a number, so that distinct numbers give distinct ids. */
export const keyId = (n: number): AccessKeyId =>
  `AKIA${n.toString(36).toUpperCase().padStart(16, "0")}` as AccessKeyId;

/** Policy settings across their valid ranges, every option included. */
export const settingsArb: fc.Arbitrary<PolicySettings> = fc
  .record({
    warningDays: fc.integer({ min: 0, max: 60 }),
    overdueGap: fc.integer({ min: 1, max: 60 }),
    deactivateDays: fc.integer({ min: 0, max: 20 }),
    deletionDays: fc.integer({ min: 0, max: 20 }),
    reminderIntervalDays: fc.integer({ min: 1, max: 10 }),
    twoActiveKeys: fc.constantFrom("warn" as const, "enforce" as const),
    inactiveBlocker: fc.constantFrom("warn" as const, "delete" as const),
    unusedDays: fc.option(fc.integer({ min: 1, max: 90 }), { nil: undefined }),
    minNoticeDays: fc.integer({ min: 0, max: 10 }),
    inUseDelayDays: fc.integer({ min: 0, max: 10 }),
    earlyDeactivation: fc.boolean(),
  })
  .map(({ overdueGap, ...s }) => ({ ...defaults, ...s, overdueDays: s.warningDays + overdueGap }));

const lastUseArb = (created: CalendarDate, today: CalendarDate): fc.Arbitrary<LastUse> => {
  const span = Math.max(0, Math.round((Date.parse(today) - Date.parse(created)) / 86_400_000));
  return fc.oneof(
    fc.constant(LastUse.never),
    fc.constant(LastUse.unknown),
    fc.integer({ min: 0, max: span }).map((d) => LastUse.usedOn(addDays(created, d))),
  );
};

/** Up to two keys with distinct ids, ages from 0 to 200 days, any status and last use. */
export const keysArb = (today: CalendarDate, max = 2): fc.Arbitrary<AccessKey[]> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 0, maxLength: max })
    .chain((ids) =>
      fc.tuple(
        ...ids.map((id) =>
          fc
            .record({
              age: fc.integer({ min: 0, max: 200 }),
              status: fc.constantFrom("Active" as const, "Inactive" as const),
              second: fc.integer({ min: 0, max: 86_399 }),
            })
            .chain(({ age, status, second }) => {
              const created = addDays(today, -age);
              return lastUseArb(created, today).map(
                (lastUse): AccessKey => ({
                  id: keyId(id),
                  status,
                  created,
                  createdAt: startOfDay(created) + second,
                  lastUse,
                }),
              );
            }),
        ),
      ),
    );

/** Unrelated tags, as users carry them (team, cost centre…), never one of the policy's keys. */
export const otherTagsArb = (max: number): fc.Arbitrary<Tag[]> =>
  fc.uniqueArray(
    fc.record({
      key: fc.stringMatching(/^team-[a-z0-9]{1,8}$/),
      value: fc.string({ maxLength: 10 }),
    }),
    { maxLength: max, selector: (t) => t.key },
  );

/** The tags of a handled user: a valid email, maybe other tags. */
export const emailTag = (s: PolicySettings, userName: string): Tag => ({
  key: s.emailTagKey,
  value: `${userName}@example.com`,
});

/** Strings that look almost like valid tag values, and any string at all. */
export const garbageArb = (keys: ReadonlyArray<AccessKey>): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme", maxLength: 256 }),
    fc.constantFrom(
      "",
      " ",
      "2026-02-30",
      "9999-12-31",
      "2026-13-01",
      "yesterday",
      "a@b.com\r\nBcc: x@y.com",
      "<a@b.com>",
      "a@b.com,c@d.com",
      "rotating:",
      "warned:",
      "deactivating:AKIA:2026-01-01",
      "rotating:akia0000000000000001:2026-01-01",
      "true ",
      "TRUE!",
    ),
    ...(keys.length > 0
      ? [
          fc.constantFrom(...keys.map((k) => `${k.id} `), ...keys.map((k) => k.id.toLowerCase())),
          // Planted markers naming the user's own keys (issue 12): in the older form, which proves
          // nothing, or as pending notices and deactivations without their tracking tags.
          fc.constantFrom(
            ...keys.flatMap((k) => [
              `rotating:${k.id}:2000-01-01`,
              `rotating:${k.id}:${k.created}`,
              `rotated:${k.id}:stored`,
              `rotated:${k.id}:existing`,
              `deactivating:${k.id}:${k.created}`,
              `deactivating:${k.id}:${k.created}:unused`,
              `warned:${k.created}:${k.created}:${k.id} rotating:${k.id}:2000-01-01`,
            ]),
          ),
        ]
      : []),
  );

/**
 * A user as keyrotate can find it: keys in any state, a valid email, and tracking tags that are
 * absent, consistent, or inconsistent (pointing at a missing key, in the future…).
 */
export const userArb = (s: PolicySettings, today: CalendarDate): fc.Arbitrary<UserSnapshot> =>
  fc
    .record({
      n: fc.integer({ min: 1, max: 9999 }),
      keys: keysArb(today),
      others: otherTagsArb(3),
      tracking: fc.constantFrom(
        "none",
        "tracked",
        "date-only",
        "key-only",
        "future",
        "missing-key",
      ),
      trackedAge: fc.integer({ min: 0, max: 40 }),
      pick: fc.nat(),
      state: fc.constantFrom(
        "none",
        "warned-today",
        "warned-before",
        "warned-first",
        "rotating",
        "rotating-window",
        "rotating-legacy",
        "rotated-pending",
        "in-use",
        "deactivating",
        "deactivating-unused",
      ),
      offset: fc.integer({ min: -900, max: 3600 }),
    })
    .map(({ n, keys, others, tracking, trackedAge, pick, state, offset }) => {
      const userName = `user${n}` as UserName;
      const tags: Tag[] = [emailTag(s, userName), ...others];
      const k = keys[pick % Math.max(1, keys.length)];
      const d = addDays(today, -trackedAge);
      if (tracking === "tracked" && k !== undefined) {
        tags.push(
          { key: s.lastCheckDateTagKey, value: d },
          { key: s.lastCheckOldKeyTagKey, value: k.id },
        );
      } else if (tracking === "date-only") {
        tags.push({ key: s.lastCheckDateTagKey, value: d });
      } else if (tracking === "key-only" && k !== undefined) {
        tags.push({ key: s.lastCheckOldKeyTagKey, value: k.id });
      } else if (tracking === "future" && k !== undefined) {
        tags.push(
          { key: s.lastCheckDateTagKey, value: addDays(today, 3) },
          { key: s.lastCheckOldKeyTagKey, value: k.id },
        );
      } else if (tracking === "missing-key") {
        tags.push(
          { key: s.lastCheckDateTagKey, value: d },
          { key: s.lastCheckOldKeyTagKey, value: keyId(2_000_000) },
        );
      }
      if (state === "warned-today") tags.push({ key: s.stateTagKey, value: `warned:${today}` });
      if (state === "warned-before")
        tags.push({ key: s.stateTagKey, value: `warned:${addDays(today, -1)}` });
      if (state === "warned-first" && k !== undefined)
        tags.push({
          key: s.stateTagKey,
          value: `warned:${addDays(today, -1)}:${addDays(today, -trackedAge - 1)}:${k.id}`,
        });
      if (state === "rotating" && k !== undefined)
        tags.push({
          key: s.stateTagKey,
          value: `rotating:${k.id}:${formatInstant(startOfDay(d) + 43_200)}`,
        });
      // A marker written just before (or after) another key of the user was made.
      const other = keys.find((x) => x !== k);
      if (state === "rotating-window" && k !== undefined && other?.createdAt !== undefined)
        tags.push({
          key: s.stateTagKey,
          value: `rotating:${k.id}:${formatInstant(Math.max(0, other.createdAt - offset))}`,
        });
      if (state === "rotating-legacy" && k !== undefined)
        tags.push({ key: s.stateTagKey, value: `rotating:${k.id}:${d}` });
      if (state === "rotated-pending" && other !== undefined)
        tags.push({ key: s.stateTagKey, value: `rotated:${other.id}:stored` });
      if (state === "in-use")
        tags.push({ key: s.stateTagKey, value: `in-use:${addDays(today, -trackedAge)}` });
      if (state === "deactivating" && k !== undefined)
        tags.push({ key: s.stateTagKey, value: `deactivating:${k.id}:${d}` });
      if (state === "deactivating-unused" && k !== undefined)
        tags.push({ key: s.stateTagKey, value: `deactivating:${k.id}:${d}:unused` });
      return { userName, tags, keys };
    });

/** A settings, today and user triple. */
export const caseArb = fc
  .tuple(settingsArb, dayArb)
  .chain(([s, today]) => userArb(s, today).map((user) => ({ s, today, user })));

/** Property runs per invariant (POLICY.md asks for at least 1,000). */
export const RUNS = { numRuns: 1000 } as const;

/** Runs in one synchronous stretch of {@link assertInChunks}: a few seconds even on a busy machine. */
export const CHUNK_RUNS = 50;

/**
 * Checks a property like `fc.assert`, in chunks of {@link CHUNK_RUNS} runs (each with its own
 * seed) with a turn of the event loop between them, so that a long property never blocks the
 * test worker long enough to starve its messages to vitest, however busy the machine. The total
 * is `params.numRuns`, as with `fc.assert`.
 *
 * @example it("holds", async () => { await assertInChunks(fc.property(arb, check), RUNS); });
 */
export const assertInChunks = async <Ts>(
  property: fc.IProperty<Ts>,
  params: fc.Parameters<Ts> & { readonly numRuns: number },
): Promise<void> => {
  for (let done = 0; done < params.numRuns; done += CHUNK_RUNS) {
    fc.assert(property, { ...params, numRuns: Math.min(CHUNK_RUNS, params.numRuns - done) });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
};

/** Time allowed to a property test that runs {@link assertInChunks} on a loaded 2-core machine. */
export const PROPERTY_TIMEOUT_MS = 15 * 60_000;
