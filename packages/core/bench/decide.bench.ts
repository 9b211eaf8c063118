/**
 * Decisions per second over one million generated users (target: all of them in under 2 s).
 * Run with `pnpm --filter @keyrotate/core bench` or the root `pnpm bench`. Prints one JSON line
 * at the end for the root benchmark to collect.
 */
import {
  type AccessKey,
  type AccessKeyId,
  addDays,
  type CalendarDate,
  decide,
  defaultPolicySettings,
  LastUse,
  type Tag,
  type UserName,
  type UserSnapshot,
} from "../src/index.js";

const USERS = Number(process.env.BENCH_CORE_USERS ?? 1_000_000);
const TARGET_MS = 2000;
const today = "2026-11-23" as CalendarDate;
const s = { ...defaultPolicySettings, unusedDays: 45 };

// A small deterministic generator (xorshift32), so every run decides the same users.
let seed = 0x9e3779b9;
const rand = (n: number) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const id = (n: number) => `AKIA${n.toString(36).toUpperCase().padStart(16, "0")}` as AccessKeyId;

/**
 * One user of a large account that keyrotate looks after: most hold one Active key of any age up
 * to 90 days (a third past the warning age, a third of those overdue), the rest are mid-rotation,
 * past deactivation, hold two keys, or have no email tag. Nine keys in ten were used in the last
 * ten days; the rest were never used or their last use is unknown.
 */
const generate = (i: number): UserSnapshot => {
  const name = `user-${i}` as UserName;
  const tags: Tag[] = [
    { key: "email", value: `${name}@example.com` },
    { key: "team", value: `t${i % 97}` },
  ];
  const key = (n: number, a: number, status: AccessKey["status"] = "Active"): AccessKey => {
    const use = rand(20);
    const lastUse =
      use === 0
        ? LastUse.never
        : use === 1
          ? LastUse.unknown
          : LastUse.usedOn(addDays(today, -Math.min(a, rand(10))));
    return { id: id(n), status, created: addDays(today, -a), lastUse };
  };
  const kind = rand(100);
  if (kind < 10) {
    // mid-rotation: the old key still Active, the new one a few days old
    const d = rand(11);
    tags.push(
      { key: s.lastCheckDateTagKey, value: addDays(today, -d) },
      { key: s.lastCheckOldKeyTagKey, value: id(2 * i) },
    );
    return { userName: name, tags, keys: [key(2 * i, 61 + d + rand(5)), key(2 * i + 1, d)] };
  }
  if (kind < 15) {
    // past deactivation: the old key Inactive, waiting for deletion
    const d = rand(11);
    tags.push(
      { key: s.lastCheckDateTagKey, value: addDays(today, -d) },
      { key: s.lastCheckOldKeyTagKey, value: id(2 * i) },
    );
    return { userName: name, tags, keys: [key(2 * i, 72 + d, "Inactive"), key(2 * i + 1, 11 + d)] };
  }
  if (kind < 20)
    return { userName: name, tags, keys: [key(2 * i, 20 + rand(70)), key(2 * i + 1, rand(20))] };
  if (kind < 25)
    return {
      userName: name,
      tags,
      keys: [key(2 * i, rand(90)), key(2 * i + 1, 100 + rand(100), "Inactive")],
    };
  if (kind < 30) return { userName: name, tags: tags.slice(1), keys: [key(2 * i, rand(90))] };
  return { userName: name, tags, keys: [key(2 * i, rand(91))] };
};

const users = Array.from({ length: USERS }, (_, i) => generate(i));
const decideToday = decide(s, today);
for (let i = 0; i < 50_000; i++) decideToday(users[i % users.length] as UserSnapshot); // warm-up

const start = process.hrtime.bigint();
let steps = 0;
for (const u of users) steps += decideToday(u).steps.length;
const ms = Number(process.hrtime.bigint() - start) / 1e6;

const perSecond = Math.round((USERS / ms) * 1000);
const met = USERS < 1_000_000 || ms < TARGET_MS;
console.log(
  `core: decided ${USERS.toLocaleString("en")} users in ${ms.toFixed(0)} ms (${perSecond.toLocaleString("en")} decisions/s, ${steps.toLocaleString("en")} steps planned)`,
);
console.log(
  `core: target 1,000,000 users in under ${TARGET_MS} ms: ${USERS < 1_000_000 ? "not measured (smaller run)" : met ? "met" : "NOT met"}`,
);
console.log(
  JSON.stringify({
    suite: "core",
    users: USERS,
    ms: Math.round(ms),
    decisionsPerSecond: perSecond,
    targetMs: TARGET_MS,
    met,
  }),
);
