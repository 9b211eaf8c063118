import type { LastUse, UserName } from "./AccessKey.js";
import { type CalendarDate, daysBetween } from "./CalendarDate.js";
import type { PolicySettings } from "./Settings.js";
import { after, isReminderDay } from "./thresholds.js";
import { isUnused } from "./unused.js";

/** One access key slot of a credential-report row that holds a key. */
export interface ReportKey {
  readonly active: boolean;
  /** `access_key_N_last_rotated`: the day the key was created. */
  readonly created: CalendarDate;
  /** `access_key_N_last_used_date`: a date, never (`N/A`), or unknown. */
  readonly lastUse: LastUse;
}

/** What the IAM credential report tells about one user: no tags, only key slots. */
export interface ReportUser {
  readonly userName: UserName;
  readonly keys: ReadonlyArray<ReportKey>;
}

/** Why triage wants a user's details. */
export type TriageReason =
  | "warning-reminder-day"
  | "overdue"
  | "unused"
  | "two-keys"
  | "inactive-key-due";

/**
 * Decides from credential-report data alone (no tags) whether a user can need any action
 * today, so that the adapter fetches tags and keys only for those users. Empty means "skip".
 *
 * It never misses a user on whom `decide` would change a key or send a notice, for any tags
 * keyrotate's own runs can have written (a property test shows this over simulated years of
 * daily runs with crashes and failed sends). A plan that only tidies broken tags waits until the
 * user is next selected. The cost of the guarantee: every user with two keys (a rotation in
 * flight, a pending notice, an old key waiting for its deactivation), and every user with an
 * Inactive key older than the deletion period, is selected every run.
 *
 * @example triage(defaultPolicySettings, today)({ userName, keys: [] }) // []
 */
export const triage =
  (settings: PolicySettings, today: CalendarDate) =>
  (user: ReportUser): ReadonlyArray<TriageReason> => {
    const reasons = new Set<TriageReason>();
    const age = (k: ReportKey) => daysBetween(k.created, today);
    const overdue = (k: ReportKey) => after(k.created, settings.overdueDays, today).reached;
    const active = user.keys.filter((k) => k.active);
    const inactive = user.keys.filter((k) => !k.active);
    for (const key of active) {
      if (isReminderDay(settings, age(key))) reasons.add("warning-reminder-day");
      if (overdue(key)) {
        const other = user.keys.find((k) => k !== key);
        const rotatable =
          other === undefined ||
          (!other.active && settings.inactiveBlocker === "delete") ||
          (other.active && settings.twoActiveKeys === "enforce" && !overdue(other));
        if (rotatable) reasons.add("overdue");
      }
      if (isUnused(settings, today, key)) reasons.add("unused");
    }
    // Whatever its age, a rotation in flight or committed leaves two keys until the old one is
    // deleted: its recovery, pending notice and deactivation are found here.
    if (user.keys.length >= 2) reasons.add("two-keys");
    const dueAfter = Math.min(
      settings.deletionDays,
      settings.overdueDays + settings.deactivateDays + 1,
    );
    // An Inactive key UNUSED_DAYS may have deactivated (its last use unknown counts as such).
    const deactivatedUnused = (k: ReportKey) =>
      settings.unusedDays !== undefined &&
      (k.lastUse._tag === "Unknown" || isUnused(settings, today, k));
    if (inactive.some((k) => after(k.created, dueAfter, today).reached || deactivatedUnused(k)))
      reasons.add("inactive-key-due");
    return [...reasons];
  };
