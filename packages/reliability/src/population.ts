/**
 * The simulated account: users in every state of POLICY.md, in proportions that keep all rules
 * busy, drawn from a seeded random source so a chaos run can be replayed.
 */
import type { ScenarioKey, ScenarioUser } from "@keyrotate/sandbox";

/** A seeded source of numbers in [0, 1) (mulberry32): small, fast and reproducible. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/** A deployment's settings as the simulation varies them. */
export interface Profile {
  /** One letter, part of every key id and user name of the profile. */
  readonly id: string;
  readonly description: string;
  /** The environment given to keyrotate (besides SES_EMAIL, SES_REGION, S3_CSV_BUCKET). */
  readonly env: Readonly<Record<string, string>>;
  readonly warningDays: number;
  readonly overdueDays: number;
  readonly deactivateDays: number;
  readonly deletionDays: number;
  readonly unusedDays: number | undefined;
  readonly twoActiveEnforce: boolean;
  readonly inactiveBlockerDelete: boolean;
  readonly minNoticeDays: number;
  readonly inUseDelayDays: number;
  readonly earlyDeactivation: boolean;
}

/** The original function's defaults, with an admin summary. */
export const ORIGINAL: Profile = {
  id: "O",
  description:
    "defaults (30/60/10/10, reminders every 7 days, warn/warn, minimum notice 7, in-use delay 7, no early deactivation), ADMIN_EMAIL",
  env: { ADMIN_EMAIL: "admin@example.com" },
  warningDays: 30,
  overdueDays: 60,
  deactivateDays: 10,
  deletionDays: 10,
  unusedDays: undefined,
  twoActiveEnforce: false,
  inactiveBlockerDelete: false,
  minNoticeDays: 7,
  inUseDelayDays: 7,
  earlyDeactivation: false,
};

/** Every optional rule on, shorter periods (more cycles in the same days), daily reminders. */
export const STRICT: Profile = {
  id: "S",
  description:
    "20/40/7/5, daily reminders, TWO_ACTIVE_KEYS=enforce, INACTIVE_BLOCKER=delete, UNUSED_DAYS=45, MIN_NOTICE_DAYS=3, IN_USE_DELAY_DAYS=4, EARLY_DEACTIVATION=true",
  env: {
    WARNING_DAYS: "20",
    OVERDUE_DAYS: "40",
    DEACTIVATE_DAYS: "7",
    DELETION_DAYS: "5",
    REMINDER_INTERVAL_DAYS: "1",
    TWO_ACTIVE_KEYS: "enforce",
    INACTIVE_BLOCKER: "delete",
    UNUSED_DAYS: "45",
    MIN_NOTICE_DAYS: "3",
    IN_USE_DELAY_DAYS: "4",
    EARLY_DEACTIVATION: "true",
  },
  warningDays: 20,
  overdueDays: 40,
  deactivateDays: 7,
  deletionDays: 5,
  unusedDays: 45,
  twoActiveEnforce: true,
  inactiveBlockerDelete: true,
  minNoticeDays: 3,
  inUseDelayDays: 4,
  earlyDeactivation: true,
};

/** The POLICY.md states a simulated user starts in. */
export type UserKind =
  | "young"
  | "warning"
  | "overdue"
  | "two-active"
  | "two-active-overdue"
  | "active-inactive"
  | "only-inactive"
  | "no-keys"
  | "no-email"
  | "bad-email"
  | "exempt"
  | "exempt-until"
  | "bad-exempt"
  | "tracked-rotated"
  | "tracked-deactivated"
  | "broken-tracking"
  | "crashed-rotation"
  | "crashed-deactivation"
  | "stale-state"
  | "tag-budget"
  | "idle";

/** How many of every 100 users start in each state. */
const WEIGHTS: ReadonlyArray<readonly [UserKind, number]> = [
  ["young", 14],
  ["warning", 10],
  ["overdue", 10],
  ["two-active", 5],
  ["two-active-overdue", 4],
  ["active-inactive", 6],
  ["only-inactive", 2],
  ["no-keys", 2],
  ["no-email", 3],
  ["bad-email", 3],
  ["exempt", 2],
  ["exempt-until", 3],
  ["bad-exempt", 2],
  ["tracked-rotated", 7],
  ["tracked-deactivated", 6],
  ["broken-tracking", 6],
  ["crashed-rotation", 3],
  ["crashed-deactivation", 3],
  ["stale-state", 2],
  ["tag-budget", 2],
  ["idle", 5],
];

/**
 * How a user uses its keys, once a newer Active key exists beside an older one: the old key for
 * `oldKeyDays` days after the new key was made, the new key from `newKeyAfterDays` days on
 * (Infinity: for ever, never). With one Active key, it uses that one.
 */
export interface Usage {
  readonly id: "prompt" | "switch-soon" | "lingering" | "old-forever" | "never";
  readonly oldKeyDays: number;
  readonly newKeyAfterDays: number;
}

/** One simulated user: its scenario, its starting state, and how it behaves. */
export interface SimUser {
  readonly scenario: ScenarioUser;
  readonly kind: UserKind;
  /** Uses its keys every day (false: never uses any key). */
  readonly works: boolean;
  /** Which keys it uses (`never` when it does not work). */
  readonly usage: Usage;
  /** Makes a key by hand now and then between runs (as a Warning invites it to). */
  readonly makesKeys: boolean;
  /** Held to invariant 7's age bounds (handled, rotatable, never acting on its keys). */
  readonly bounded: boolean;
}

const BAD_EMAILS = [
  "bob@localhost",
  "not an email",
  "a@b@c.com",
  "x@y.com y@z.com",
  "@example.com",
];

const NEVER: Usage = { id: "never", oldKeyDays: 0, newKeyAfterDays: Infinity };

/** A working user's usage, from one draw: half switch at once, the rest late or never. */
const usageOf = (r: number): Usage => {
  if (r < 0.5) return { id: "prompt", oldKeyDays: 0, newKeyAfterDays: 0 };
  if (r < 0.65) {
    const d = 1 + Math.floor(((r - 0.5) / 0.15) * 3);
    return { id: "switch-soon", oldKeyDays: d, newKeyAfterDays: d };
  }
  if (r < 0.85) {
    const d = 3 + Math.floor(((r - 0.65) / 0.2) * 18);
    return { id: "lingering", oldKeyDays: d, newKeyAfterDays: d % 3 };
  }
  // Some of those who never let go of the old key never use the new one either.
  return { id: "old-forever", oldKeyDays: Infinity, newKeyAfterDays: r < 0.93 ? 0 : Infinity };
};

/**
 * `count` users for `profile`, states drawn by {@link WEIGHTS} (every state at least once when
 * `count` allows), ages and variants from `random`. Names are `<profile><kind>-<n>`.
 */
export const population = (
  profile: Profile,
  count: number,
  random: () => number,
  today: Date,
): SimUser[] => {
  const p = profile;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(random() * xs.length)] as T;
  let serial = 0;
  const keyId = () => `AKIACHAOS${p.id}${String(++serial).padStart(10, "0")}`;
  const day = (daysAgo: number) =>
    new Date(today.getTime() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const key = (
    ageDays: number,
    extra: Partial<ScenarioKey> = {},
  ): ScenarioKey & { id: string } => ({
    ageDays,
    lastUsedDaysAgo: 0,
    id: keyId(),
    ...extra,
  });
  const total = WEIGHTS.reduce((n, [, w]) => n + w, 0);
  const kinds: UserKind[] = [];
  for (const [kind] of WEIGHTS) if (kinds.length < count) kinds.push(kind);
  while (kinds.length < count) {
    let r = random() * total;
    for (const [kind, w] of WEIGHTS) {
      r -= w;
      if (r < 0) {
        kinds.push(kind);
        break;
      }
    }
  }
  const make = (kind: UserKind, n: number): SimUser => {
    const name = `${p.id.toLowerCase()}${kind}-${n}`;
    const email = { email: `${name}@example.com` };
    const tracking = (d: string, k: string) => ({
      ...email,
      "last-check-date": d,
      "last-check-old-key": k,
    });
    const user = (
      keys: ScenarioKey[],
      tags: Record<string, string> = email,
      works = true,
      bounded = false,
    ): SimUser => ({
      scenario: { name, tags, keys },
      kind,
      works,
      bounded,
      usage: works ? usageOf(random()) : NEVER,
      makesKeys: random() < 0.2,
    });
    switch (kind) {
      case "young":
        return user([key(int(0, p.warningDays))], email, true, true);
      case "warning":
        return user([key(int(p.warningDays + 1, p.overdueDays))], email, true, true);
      case "overdue":
        return user([key(int(p.overdueDays + 1, 200))], email, true, true);
      case "two-active": {
        const a = int(0, 150);
        return user([key(a + int(1, 40)), key(a)]);
      }
      case "two-active-overdue": {
        // The older is overdue, the newer not: TWO_ACTIVE_KEYS=enforce retires the older.
        return user([key(int(p.overdueDays + 1, 150)), key(int(0, 10))]);
      }
      case "active-inactive":
        return user(
          [key(int(0, 150)), key(int(0, 250), { status: "Inactive", lastUsedDaysAgo: null })],
          email,
          true,
          p.inactiveBlockerDelete,
        );
      case "only-inactive":
        return user(
          [key(int(0, 200), { status: "Inactive", lastUsedDaysAgo: null })],
          email,
          false,
        );
      case "no-keys":
        return user([], email, false);
      case "no-email":
        return user([key(int(0, 200))], { team: "payments" });
      case "bad-email":
        return user([key(int(0, 200))], { email: pick(BAD_EMAILS) });
      case "exempt":
        return user([key(int(0, 200))], { ...email, "key-rotation-exempt": "true" });
      case "exempt-until":
        // Some exemptions end during the simulation, some have ended already.
        return user([key(int(0, 200))], {
          ...email,
          "key-rotation-exempt": day(-int(-30, 60)),
        });
      case "bad-exempt":
        return user([key(int(0, 200))], { ...email, "key-rotation-exempt": "someday" });
      case "tracked-rotated": {
        const r = int(0, p.deactivateDays + 3);
        const old = key(p.overdueDays + 1 + r);
        return user([old, key(r)], tracking(day(r), old.id), true, true);
      }
      case "tracked-deactivated": {
        const r = int(0, p.deletionDays + 3);
        const old = key(p.overdueDays + p.deactivateDays + 2 + r, {
          status: "Inactive",
          lastUsedDaysAgo: p.deactivateDays + r,
        });
        return user([old, key(p.deactivateDays + 1 + r)], tracking(day(r), old.id), true, true);
      }
      case "broken-tracking": {
        const k = key(int(0, 200));
        const variant = int(0, 4);
        const tags =
          variant === 0
            ? { ...email, "last-check-date": day(3) }
            : variant === 1
              ? tracking("2026-02-30", k.id)
              : variant === 2
                ? tracking(day(-5), k.id)
                : variant === 3
                  ? tracking(day(2), "AKIANOTAKEYOFTHEUSER")
                  : tracking(day(2), k.id); // Rotated with no new key
        return user([k], tags);
      }
      case "crashed-rotation": {
        // A run crashed after creating the new key: the next run must discard it.
        const old = key(p.overdueDays + int(1, 20));
        return user([old, key(0, { lastUsedDaysAgo: null })], {
          ...email,
          "key-rotation-state": `rotating:${old.id}:${day(0)}`,
        });
      }
      case "crashed-deactivation": {
        // A run crashed after tagging the deactivation: the next run completes it.
        const old = key(p.overdueDays + p.deactivateDays + 2);
        return user([old, key(p.deactivateDays + 1)], {
          ...tracking(day(0), old.id),
          "key-rotation-state": `deactivating:${old.id}:${day(0)}`,
        });
      }
      case "stale-state":
        return user([key(int(0, 200))], {
          ...email,
          "key-rotation-state": pick(["warned:2020-01-01", "garbage", `warned:${day(1)}`]),
        });
      case "tag-budget": {
        const filler = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`team-${i}`, "x"]));
        return user([key(int(p.overdueDays + 1, 200))], { ...email, ...filler });
      }
      case "idle":
        return user(
          [key(int(0, 100), { lastUsedDaysAgo: null })],
          email,
          false,
          p.unusedDays === undefined,
        );
    }
  };
  return kinds.map((kind, n) => make(kind, n));
};
