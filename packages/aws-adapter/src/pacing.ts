/** How fast a client may send: a token bucket. */
export interface Pacing {
  /** Attempts per second, sustained (> 0). */
  readonly ratePerSecond: number;
  /** Attempts that may go at once after a quiet spell (default: one second's worth, at least 1). */
  readonly burst?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket that callers wait on in turn (first come, first served): it holds up to `burst`
 * tokens, refilled at `ratePerSecond`, and each {@link take} spends one, waiting for it if need
 * be. Sized like the server's own bucket, it keeps a burst of parallel calls from being throttled
 * and retried.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    pacing: Pacing,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {
    if (!(pacing.ratePerSecond > 0) || !Number.isFinite(pacing.ratePerSecond)) {
      throw new RangeError(`a pacing rate must be a positive number, not ${pacing.ratePerSecond}`);
    }
    const burst = pacing.burst ?? Math.max(1, Math.floor(pacing.ratePerSecond));
    if (!(burst >= 1) || !Number.isFinite(burst)) {
      throw new RangeError(`a pacing burst must be at least 1, not ${burst}`);
    }
    this.ratePerSecond = pacing.ratePerSecond;
    this.burst = burst;
    this.tokens = burst;
    this.last = now();
  }

  /** Resolves once a token is spent for the caller; callers are served in the order they came. */
  take(): Promise<void> {
    const mine = this.turn.then(async () => {
      this.refill();
      if (this.tokens < 1) {
        await this.sleep(((1 - this.tokens) / this.ratePerSecond) * 1000);
        this.refill();
      }
      this.tokens -= 1;
    });
    // A failed sleep must not block the callers behind it.
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private refill(): void {
    const at = this.now();
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((at - this.last) / 1000) * this.ratePerSecond,
    );
    this.last = at;
  }
}
