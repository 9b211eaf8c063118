import {
  type AccessKey,
  type AccessKeyId,
  addDays,
  type CalendarDate,
  daysBetween,
  decide,
  type KeyChangeReason,
  LastUse,
  type Plan,
  type PolicySettings,
  type Step,
  simulatePlan,
  type UserSnapshot,
  type World,
  worldOf,
} from "@keyrotate/core";

/** The next thing keyrotate will do about one key, and when. */
export interface ForecastEvent {
  /** `warning`, `rotation`, `deactivation`, `deletion`, … as a reader says it. */
  readonly action: string;
  readonly date: CalendarDate;
}

/** One user's plan for the day, and each key's next event. */
export interface UserForecast {
  readonly user: UserSnapshot;
  /** The core's plan for the forecast day. */
  readonly plan: Plan;
  /** Each key's next event within the horizon, by key id; absent when none is due. */
  readonly next: ReadonlyMap<AccessKeyId, ForecastEvent>;
  /**
   * Each key's next change (rotation, deactivation, deletion) when its next event is only a
   * notice: the rotation day a warning announces once the minimum notice has run, the
   * deactivation an in-use notice delays.
   */
  readonly change: ReadonlyMap<AccessKeyId, ForecastEvent>;
}

const NOTICE_ONLY = new Set(["warning", "two-active-keys notice", "in-use notice"]);

/** How far ahead a forecast looks (two years). */
export const FORECAST_HORIZON_DAYS = 730;

/** How a reader calls a deactivation or deletion; a reason not named here gets the plain word. */
const KEY_CHANGE_TEXT: Record<
  "DeactivateKey" | "DeleteKey",
  { readonly plain: string } & Partial<Record<KeyChangeReason, string>>
> = {
  DeactivateKey: {
    plain: "deactivation",
    unused: "deactivation (unused)",
  },
  DeleteKey: {
    plain: "deletion",
    "inactive-blocker": "deletion (blocks a rotation)",
  },
};

/** A key keyrotate created but never delivered is removed, whichever step removes it. */
const keyChangeText = (step: "DeactivateKey" | "DeleteKey", reason: KeyChangeReason): string =>
  reason === "undelivered"
    ? "removal (undelivered key)"
    : (KEY_CHANGE_TEXT[step][reason] ?? KEY_CHANGE_TEXT[step].plain);

/** Events of one step, by the key they concern. */
const eventsOf = (step: Step): ReadonlyArray<readonly [AccessKeyId, string]> => {
  switch (step._tag) {
    case "CreateKey":
      return [[step.replaces, "rotation"]];
    case "DeactivateKey":
    case "DeleteKey":
      return [[step.keyId, keyChangeText(step._tag, step.reason)]];
    case "SendNotice": {
      const n = step.notice;
      if (n.kind === "Warning") return [[n.keyId, "warning"]];
      if (n.kind === "TwoActiveKeys")
        return n.keyIds.map((id) => [id, "two-active-keys notice"] as const);
      if (n.kind === "Rotated" && n.newKey._tag === "Existing")
        return [[n.oldKeyId, "rotation (to the other Active key)"]];
      if (n.kind === "OldKeyInUse") return [[n.keyId, "in-use notice"]];
      return [];
    }
    default:
      return [];
  }
};

/**
 * Keys used within the unused-days limit (or the last 45 days when the rule is off) are
 * assumed to stay in use; the others stay as they are. Unknown stays unknown.
 */
const keysInUse = (
  settings: PolicySettings,
  asOf: CalendarDate,
  keys: ReadonlyArray<AccessKey>,
): ReadonlySet<AccessKeyId> => {
  const limit = settings.unusedDays ?? 45;
  return new Set(
    keys
      .filter((k) => k.lastUse._tag === "UsedOn" && daysBetween(k.lastUse.date, asOf) <= limit)
      .map((k) => k.id),
  );
};

const FORECAST_KEY_PREFIX = "AKIAFORECAST";

/**
 * Forecasts a user with the core alone: decides the plan for `asOf`, applies it to the pure
 * model (`simulatePlan`), and decides again for each following day until every key has an event
 * or the horizon is reached. It assumes that nobody acts on their keys and that keys in use stay
 * in use; so the first event of a key is "warning on …", "rotation on …", "deactivation on …" or
 * "deletion on …" exactly as daily runs would do them.
 *
 * @example forecastUser(settings, "2026-11-23" as CalendarDate)(user).next.get(keyId)
 */
export const forecastUser =
  (settings: PolicySettings, asOf: CalendarDate, horizonDays = FORECAST_HORIZON_DAYS) =>
  (user: UserSnapshot): UserForecast => {
    const next = new Map<AccessKeyId, ForecastEvent>();
    const change = new Map<AccessKeyId, ForecastEvent>();
    const pending = new Set(user.keys.map((k) => k.id));
    const pendingChange = new Set(user.keys.map((k) => k.id));
    const inUse = keysInUse(settings, asOf, user.keys);
    let world: World = worldOf(user);
    let first: Plan | undefined;
    for (let d = 0; d <= horizonDays && (pending.size > 0 || pendingChange.size > 0); d++) {
      const day = addDays(asOf, d);
      const snapshot: UserSnapshot = {
        ...world.user,
        keys: world.user.keys.map((k) =>
          inUse.has(k.id) && d > 0 ? { ...k, lastUse: LastUse.usedOn(day) } : k,
        ),
      };
      const plan = decide(settings, day)(snapshot);
      first ??= plan;
      for (const step of plan.steps) {
        for (const [keyId, action] of eventsOf(step)) {
          if (pending.delete(keyId)) next.set(keyId, { action, date: day });
          if (!NOTICE_ONLY.has(action) && pendingChange.delete(keyId)) {
            if (next.get(keyId)?.date !== day || next.get(keyId)?.action !== action)
              change.set(keyId, { action, date: day });
          }
        }
      }
      if (!plan.handled && !hasDatedExemption(settings, snapshot)) break;
      const newKeyId = `${FORECAST_KEY_PREFIX}${String(d).padStart(8, "0")}` as AccessKeyId;
      world = simulatePlan({ ...world, user: snapshot }, plan, { today: day, newKeyId });
      for (const id of pending) {
        if (!world.user.keys.some((k) => k.id === id)) pending.delete(id);
      }
      for (const id of pendingChange) {
        if (!world.user.keys.some((k) => k.id === id) || !pending.has(id)) {
          // Only keys whose next event is a notice wait for their change.
          if (!NOTICE_ONLY.has(next.get(id)?.action ?? "")) pendingChange.delete(id);
        }
        if (!world.user.keys.some((k) => k.id === id)) pendingChange.delete(id);
      }
      if (world.user.keys.length === 0) break;
    }
    return { user, plan: first ?? decide(settings, asOf)(user), next, change };
  };

/** True when the user is exempt until a date: the exemption ends, so the forecast goes on. */
const hasDatedExemption = (settings: PolicySettings, user: UserSnapshot): boolean =>
  user.tags.some(
    (t) => t.key === settings.exemptTagKey && /^\d{4}-\d{2}-\d{2}$/.test(t.value.trim()),
  );
