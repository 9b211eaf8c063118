/** Milliseconds in one day, the unit scenario ages and `advanceDays` are expressed in. */
export const DAY_MS = 86_400_000;

/**
 * Parses an ISO date string or a Date into epoch milliseconds, throwing on anything invalid.
 * Every place that accepts a time from a user goes through here so the error reads the same.
 */
export function toEpochMs(at: string | Date, what = "time"): number {
  const ms =
    at instanceof Date ? at.getTime() : typeof at === "string" ? Date.parse(at) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new RangeError(
      `${what} must be an ISO 8601 date-time, got ${JSON.stringify(String(at))}`,
    );
  }
  return ms;
}

/**
 * The sandbox's notion of "now": frozen at a start time and moved only on request.
 * A frozen clock makes key ages, last-use dates and the credential report reproducible in tests.
 */
export class Clock {
  private ms: number;

  /** Starts the clock at `start` (default: the real time now). */
  constructor(start: string | Date = new Date()) {
    this.ms = toEpochMs(start, "now");
  }

  /** The current sandbox time as a new Date. */
  now(): Date {
    return new Date(this.ms);
  }

  /** The current sandbox time in epoch milliseconds, for arithmetic without allocating Dates. */
  nowMs(): number {
    return this.ms;
  }

  /** Moves the clock to `at`, forwards or backwards. */
  set(at: string | Date): void {
    this.ms = toEpochMs(at, "now");
  }

  /** Moves the clock by a (possibly fractional or negative) number of days. */
  advanceDays(days: number): void {
    this.advanceMs(finite(days, "advanceDays") * DAY_MS);
  }

  /** Moves the clock by a number of milliseconds. */
  advanceMs(ms: number): void {
    this.ms += finite(ms, "advanceMs");
  }
}

function finite(n: number, what: string): number {
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new RangeError(`${what} must be a finite number, got ${JSON.stringify(n)}`);
  }
  return n;
}
