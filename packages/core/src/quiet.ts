import type { UserSnapshot } from "./AccessKey.js";
import type { CalendarDate } from "./CalendarDate.js";
import type { PolicySettings } from "./Settings.js";
import { after } from "./thresholds.js";
import { isUnused } from "./unused.js";

/**
 * True for the common user who needs nothing today: no keyrotate tags, at most two keys, all
 * Active, none past WARNING_DAYS, none unused or of unknown use when UNUSED_DAYS is on. The full
 * state machine would plan nothing and find nothing for such a user; this saves its work on
 * accounts of millions.
 */
export const isQuiet = (
  settings: PolicySettings,
  today: CalendarDate,
  user: UserSnapshot,
): boolean => {
  if (user.keys.length > 2) return false;
  for (const tag of user.tags) {
    if (
      tag.key === settings.lastCheckDateTagKey ||
      tag.key === settings.lastCheckOldKeyTagKey ||
      tag.key === settings.stateTagKey
    ) {
      return false;
    }
  }
  for (const key of user.keys) {
    if (key.status !== "Active" || after(key.created, settings.warningDays, today).reached)
      return false;
    if (
      settings.unusedDays !== undefined &&
      (key.lastUse._tag === "Unknown" || isUnused(settings, today, key))
    )
      return false;
  }
  return true;
};
