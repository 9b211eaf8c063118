import { type CalendarDate, fromDayNumber, toDayNumber } from "./CalendarDate.js";
import type { PolicySettings } from "./Settings.js";

/**
 * A rule that starts to hold on a given day, and whether it holds today. The test a transition
 * makes and the date its notice promises come out of one sum, so they cannot drift apart.
 */
export interface Threshold {
  /** The first day the rule holds: the date a notice promises for the transition. */
  readonly day: CalendarDate;
  /** Whether today is that day or later. */
  readonly reached: boolean;
}

const from = (firstDay: number, today: CalendarDate): Threshold => ({
  day: fromDayNumber(firstDay),
  reached: toDayNumber(today) >= firstDay,
});

/**
 * "More than `days` days after `since`", POLICY.md's strict thresholds (`age > N`): it holds
 * from `since + days + 1`.
 *
 * @example after("2026-01-01", 10, "2026-01-12") // { day: "2026-01-12", reached: true }
 */
export const after = (since: CalendarDate, days: number, today: CalendarDate): Threshold =>
  from(toDayNumber(since) + days + 1, today);

/** "At least `days` days after `since`" (`MIN_NOTICE_DAYS`): it holds from `since + days`. */
export const atLeast = (since: CalendarDate, days: number, today: CalendarDate): Threshold =>
  from(toDayNumber(since) + days, today);

/**
 * A warning reminder day for a key of age `age`: the first day past `WARNING_DAYS`, and every
 * `REMINDER_INTERVAL_DAYS` after.
 */
export const isReminderDay = (
  settings: Pick<PolicySettings, "warningDays" | "reminderIntervalDays">,
  age: number,
): boolean =>
  age > settings.warningDays &&
  (age - settings.warningDays - 1) % settings.reminderIntervalDays === 0;
