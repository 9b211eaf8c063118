/**
 * How much of an invocation's time is kept in reserve: no user is started once the remaining
 * time falls to `max(minimumMs, fraction × the time the invocation started with)`, so that users
 * already started can finish (a rotation is a handful of calls) and the report gets out.
 */
export interface SafetyMargin {
  readonly minimumMs: number;
  readonly fraction: number;
}

/** 30 s, or 10 % of the invocation's time when that is more (90 s of a 15-minute timeout). */
export const DEFAULT_SAFETY_MARGIN: SafetyMargin = { minimumMs: 30_000, fraction: 0.1 };

/** The margin in milliseconds for an invocation that started with `budgetMs`. */
export const safetyMarginMs = (margin: SafetyMargin, budgetMs: number): number =>
  Math.max(margin.minimumMs, Math.ceil(margin.fraction * Math.max(0, budgetMs)));

/**
 * A `shouldStartUser` gate for `runKeyrotate`: true while more than the margin remains. The
 * budget is the remaining time when the gate is made (at the start of the invocation), which is
 * the function's timeout less the start-up.
 *
 * @example const gate = startGate(() => context.getRemainingTimeInMillis(), DEFAULT_SAFETY_MARGIN)
 */
export const startGate = (
  remainingMs: () => number,
  margin: SafetyMargin = DEFAULT_SAFETY_MARGIN,
): (() => boolean) => {
  const reserve = safetyMarginMs(margin, remainingMs());
  return () => remainingMs() > reserve;
};
