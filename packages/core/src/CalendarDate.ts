import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";

/**
 * A UTC calendar date written `YYYY-MM-DD`.
 *
 * The policy counts whole days between dates and never looks at the time of day, so dates are
 * kept as validated strings that compare and sort like the days they name.
 */
export type CalendarDate = t.Branded<string, CalendarDateBrand>;

/** Brand of {@link CalendarDate}. */
export interface CalendarDateBrand {
  readonly CalendarDate: unique symbol;
}

const MS_PER_DAY = 86_400_000;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

const isValidDate = (s: string): boolean => {
  const m = datePattern.exec(s);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1970 || month < 1 || month > 12 || day < 1) return false;
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
};

/**
 * io-ts codec for {@link CalendarDate}: a real day of the Gregorian calendar, 1970 or later.
 *
 * @example CalendarDate.decode("2026-02-28") // right; "2026-02-30" is a left
 */
export const CalendarDate = t.brand(
  t.string,
  (s): s is CalendarDate => isValidDate(s),
  "CalendarDate",
);

/** Parses a `YYYY-MM-DD` string, or returns `undefined` when it is not a real date. */
export const parseCalendarDate = (s: string): CalendarDate | undefined =>
  isValidDate(s) ? (s as CalendarDate) : undefined;

/**
 * The UTC calendar date of an ISO 8601 timestamp (`2026-01-02T23:30:00-02:00` is `2026-01-03`).
 *
 * AWS returns creation and last-use times as timestamps; the policy only needs their UTC day.
 */
export const calendarDateOfTimestamp = (iso: string): E.Either<string, CalendarDate> => {
  if (!/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(iso)) {
    return E.left(`"${iso}" is not an ISO 8601 date or timestamp`);
  }
  const ms = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(ms) || ms < 0) return E.left(`"${iso}" is not a valid timestamp`);
  return E.right(fromDayNumber(Math.floor(ms / MS_PER_DAY)));
};

// Day arithmetic in integers (the proleptic Gregorian calendar, as in Hinnant's days_from_civil),
// with small caches: a run decides millions of users against a handful of distinct dates.
const dayNumbers = new Map<string, number>();
const dayStrings = new Map<number, CalendarDate>();
const CACHE_LIMIT = 100_000;

const daysFromCivil = (y: number, m: number, d: number): number => {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
};

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The number of days since 1970-01-01 of a date. */
export const toDayNumber = (d: CalendarDate): number => {
  const cached = dayNumbers.get(d);
  if (cached !== undefined) return cached;
  const n = daysFromCivil(Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10)));
  if (dayNumbers.size < CACHE_LIMIT) dayNumbers.set(d, n);
  return n;
};

/** The date that lies `n` days after 1970-01-01. */
export const fromDayNumber = (n: number): CalendarDate => {
  const cached = dayStrings.get(n);
  if (cached !== undefined) return cached;
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const date = `${String(year).padStart(4, "0")}-${pad2(month)}-${pad2(day)}` as CalendarDate;
  if (dayStrings.size < CACHE_LIMIT) dayStrings.set(n, date);
  return date;
};

/** The date `days` days after `d` (before it when negative). */
export const addDays = (d: CalendarDate, days: number): CalendarDate =>
  fromDayNumber(toDayNumber(d) + days);

/**
 * Whole days from `from` to `to`: the policy's `age`. Negative when `from` is after `to`.
 *
 * @example daysBetween("2026-01-01", "2026-01-31") // 30
 */
export const daysBetween = (from: CalendarDate, to: CalendarDate): number =>
  toDayNumber(to) - toDayNumber(from);

/**
 * A moment in UTC, in whole seconds since 1970-01-01T00:00:00Z.
 *
 * The policy counts days, but recovery needs to tell a key keyrotate made from one made by hand
 * minutes later: key creation times and the moment a rotation started are kept to the second.
 */
export type Instant = number;

/**
 * The instant of an ISO 8601 timestamp, to the second (`2026-01-02T10:00:00.900Z` is
 * `2026-01-02T10:00:00Z`); `undefined` when it is not one.
 */
export const instantOfTimestamp = (iso: string): Instant | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(iso)) return undefined;
  const ms = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(ms) || ms < 0 ? undefined : Math.floor(ms / 1000);
};

/** The first second of a day. */
export const startOfDay = (d: CalendarDate): Instant => toDayNumber(d) * 86_400;

/** The UTC day of an instant. */
export const dateOfInstant = (t: Instant): CalendarDate => fromDayNumber(Math.floor(t / 86_400));

/** An instant in ISO 8601 basic form without separators, `20260102T100000Z`: fits a tag value. */
export const formatInstant = (t: Instant): string => {
  const s = t - startOfDay(dateOfInstant(t));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return `${dateOfInstant(t).replaceAll("-", "")}T${pad2(hh)}${pad2(mm)}${pad2(s % 60)}Z`;
};

/** Parses {@link formatInstant}'s form; `undefined` for anything else. */
export const parseInstant = (s: string): Instant | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) return undefined;
  const date = parseCalendarDate(`${m[1]}-${m[2]}-${m[3]}`);
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (date === undefined || hh > 23 || mm > 59 || ss > 59) return undefined;
  return startOfDay(date) + hh * 3600 + mm * 60 + ss;
};

/** An instant as an ISO 8601 timestamp, `2026-01-02T10:00:00Z`. */
export const isoOfInstant = (t: Instant): string => {
  const c = formatInstant(t);
  return `${dateOfInstant(t)}T${c.slice(9, 11)}:${c.slice(11, 13)}:${c.slice(13, 15)}Z`;
};
