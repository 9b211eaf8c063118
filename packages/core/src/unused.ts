import { type AccessKey, lastActivity } from "./AccessKey.js";
import type { CalendarDate } from "./CalendarDate.js";
import { sortKeys } from "./keyOrder.js";
import type { PolicySettings } from "./Settings.js";
import { after } from "./thresholds.js";

/**
 * The `UNUSED_DAYS` rule for one key: last used (or created, if never used) more than N days
 * ago. False when the rule is off or the last use is unknown: unknown is never "never used".
 * It does not look at the key's status; {@link unusedKey} picks among Active keys.
 */
export const isUnused = (
  settings: Pick<PolicySettings, "unusedDays">,
  today: CalendarDate,
  key: Pick<AccessKey, "created" | "lastUse">,
): boolean => {
  const since = lastActivity(key);
  return (
    settings.unusedDays !== undefined &&
    since !== undefined &&
    after(since, settings.unusedDays, today).reached
  );
};

/**
 * The key `UNUSED_DAYS` deactivates today, if any: the first Active unused key in key order. One
 * per run: the next one, if any, is found the next day.
 */
export const unusedKey = (
  settings: Pick<PolicySettings, "unusedDays">,
  today: CalendarDate,
  keys: ReadonlyArray<AccessKey>,
): AccessKey | undefined =>
  sortKeys(keys).find((k) => k.status === "Active" && isUnused(settings, today, k));
