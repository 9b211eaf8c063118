/** How fast a client may send: a token bucket. */
export interface Pacing {
  /** Attempts per second, sustained (> 0). */
  readonly ratePerSecond: number;
  /** Attempts that may go at once after a quiet spell (default: one second's worth, at least 1). */
  readonly burst?: number;
}

/**
 * A token bucket that follows the account's rate: it starts at `ratePerSecond`, slows down at
 * once when the service throttles, and speeds up slowly while it is the bottleneck and nothing
 * is throttled. All rates are attempts per second.
 */
export interface LearnedPacing extends Pacing {
  /** Follow the service (default false: a fixed rate). */
  readonly learn?: boolean;
  /** Never slower than this (default: a tenth of the start, at least 1). */
  readonly minRatePerSecond?: number;
  /** Never faster than this (default: four times the start). */
  readonly maxRatePerSecond?: number;
}

/**
 * The default IAM pacing of an account: 20 attempts per second with a burst of 15, learned from
 * there. AWS publishes no IAM request rate (it varies by API and account and cannot be raised);
 * 20 per second is the collective rate AWS documents for IAM's account access API and what IAM
 * sustains in practice, and the bucket slows down on the first throttle where an account allows
 * less. The burst is kept below the rate's one second's worth so that IAM's own bucket holds a
 * reserve: an attempt is paced when it is signed, not when it arrives, and a busy process sends
 * paced attempts in bunches that would otherwise find IAM's bucket empty.
 */
export const DEFAULT_IAM_PACING: LearnedPacing = { ratePerSecond: 20, burst: 15, learn: true };

/** Share of the rate kept after a throttle (multiplicative decrease). */
export const THROTTLE_BACKOFF = 0.7;
/** Share of the rate added per second of throttle-free waiting (slow increase). */
export const QUIET_SPEEDUP = 0.05;
/** A throttle answered within this long of the last slow-down is the same storm, in ms. */
const SLOWDOWN_SPACING_MS = 1_000;
/** How long the bucket must be the bottleneck without a throttle before it speeds up, in ms. */
const SPEEDUP_AFTER_MS = 2_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const checkRate = (name: string, rate: number): number => {
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new RangeError(`a pacing ${name} must be a positive number, not ${rate}`);
  }
  return rate;
};

/**
 * A token bucket that callers wait on in turn (first come, first served): it holds up to `burst`
 * tokens, refilled at `ratePerSecond`, and each {@link take} spends one, waiting for it if need
 * be. Sized like the server's own bucket, it keeps a burst of parallel calls from being throttled
 * and retried.
 *
 * Given a {@link LearnedPacing} with `learn: true`, it also follows the server: {@link throttled}
 * cuts the rate to {@link THROTTLE_BACKOFF} of itself (once per storm) and empties the bucket, so
 * the callers behind a throttle wait instead of storming the server; {@link succeeded}, after 2 s
 * of callers waiting on the bucket without a throttle, raises the rate by {@link QUIET_SPEEDUP}
 * per second, up to the maximum.
 */
export class TokenBucket {
  private rate: number;
  private burstSize: number;
  private readonly initialBurst: number;
  private readonly minRate: number;
  private readonly maxRate: number;
  private tokens: number;
  private last: number;
  private turn: Promise<void> = Promise.resolve();
  private readonly learn: boolean;
  private lastChange: number;
  private lastSlowdown = Number.NEGATIVE_INFINITY;
  private waitingSince: number | undefined;

  constructor(
    pacing: Pacing | LearnedPacing,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {
    const rate = checkRate("rate", pacing.ratePerSecond);
    const burst = pacing.burst ?? Math.max(1, Math.floor(rate));
    if (!(burst >= 1) || !Number.isFinite(burst)) {
      throw new RangeError(`a pacing burst must be at least 1, not ${burst}`);
    }
    const learned = pacing as LearnedPacing;
    this.minRate = checkRate(
      "minimum rate",
      Math.min(rate, learned.minRatePerSecond ?? Math.max(1, rate / 10)),
    );
    this.maxRate = checkRate("maximum rate", Math.max(rate, learned.maxRatePerSecond ?? rate * 4));
    this.learn = learned.learn === true;
    this.rate = rate;
    this.burstSize = burst;
    this.initialBurst = burst;
    this.tokens = burst;
    this.last = now();
    this.lastChange = this.last;
  }

  /** Attempts per second now (it moves only when the bucket learns). */
  get ratePerSecond(): number {
    return this.rate;
  }

  /** Attempts that may go at once. */
  get burst(): number {
    return this.burstSize;
  }

  /** Resolves once a token is spent for the caller; callers are served in the order they came. */
  take(): Promise<void> {
    const mine = this.turn.then(async () => {
      this.refill();
      if (this.tokens < 1) {
        this.waitingSince ??= this.last;
        await this.sleep(((1 - this.tokens) / this.rate) * 1000);
        this.refill();
      }
      this.tokens -= 1;
    });
    // A failed sleep must not block the callers behind it.
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  /**
   * The service throttled an attempt: slow down (once per storm) and empty the bucket. A no-op
   * unless the bucket learns.
   */
  throttled(): void {
    if (!this.learn) return;
    this.refill();
    if (this.last - this.lastSlowdown >= SLOWDOWN_SPACING_MS) {
      this.setRate(Math.max(this.minRate, this.rate * THROTTLE_BACKOFF));
      this.lastSlowdown = this.last;
    }
    this.lastChange = this.last;
    this.waitingSince = undefined;
    this.tokens = Math.min(this.tokens, 0);
  }

  /**
   * An attempt was answered without throttling: after a throttle-free spell in which callers
   * waited on the bucket, speed up a little. A no-op unless the bucket learns.
   */
  succeeded(): void {
    if (!this.learn || this.rate >= this.maxRate) return;
    this.refill();
    const since = this.waitingSince;
    if (since === undefined || this.last - Math.max(since, this.lastChange) < SPEEDUP_AFTER_MS) {
      return;
    }
    const seconds = (this.last - Math.max(since, this.lastChange)) / 1000;
    this.setRate(Math.min(this.maxRate, this.rate * (1 + QUIET_SPEEDUP * seconds)));
    this.lastChange = this.last;
  }

  private setRate(rate: number): void {
    this.rate = rate;
    this.burstSize = Math.max(1, Math.min(this.initialBurst, Math.floor(rate)));
    this.tokens = Math.min(this.tokens, this.burstSize);
  }

  private refill(): void {
    const at = this.now();
    this.tokens = Math.min(this.burstSize, this.tokens + ((at - this.last) / 1000) * this.rate);
    if (this.tokens >= this.burstSize) this.waitingSince = undefined;
    this.last = at;
  }
}

/** The SDK's longest retry delay, in ms. */
const MAXIMUM_RETRY_DELAY_MS = 20_000;

/**
 * The retry delays of IAM under a learning {@link TokenBucket}: the SDK's standard schedule
 * (a random share of a base that doubles per retry, at most 20 s), except for throttling. A
 * throttle has already slowed the bucket down and emptied it, so the first retry of a throttled
 * attempt waits only for its turn at the bucket, not for the SDK's throttling delay (up to 1 s
 * more) on top; a call throttled again backs off as the SDK does, one doubling behind.
 *
 * The SDK's standard strategy sets the base before each delay: {@link BASE_DELAY_MS} for
 * errors, a larger base for throttling; that is how a throttle is told apart.
 */
export class PacedBackoff {
  /** The base delay of a retry after an error that is not throttling, in ms (the SDK's). */
  static readonly BASE_DELAY_MS = 50;
  private base = PacedBackoff.BASE_DELAY_MS;

  constructor(private readonly random: () => number = Math.random) {}

  setDelayBase(delay: number): void {
    this.base = delay;
  }

  /** The delay before retry `i + 1` (`i` retries made so far), in ms. */
  computeNextBackoffDelay(i: number): number {
    const throttled = this.base > PacedBackoff.BASE_DELAY_MS;
    if (throttled && i === 0) return 0;
    const doublings = throttled ? i - 1 : i;
    return Math.floor(this.random() * Math.min(this.base * 2 ** doublings, MAXIMUM_RETRY_DELAY_MS));
  }
}
