/**
 * Counts requests per operation, keyed `service:Operation` (e.g. `iam:ListUsers`).
 * Tests use it to prove how many calls a piece of keyrotate made, faulted ones included.
 */
export class CallCounter {
  private counts = new Map<string, number>();

  /** Counts one request for `key`. */
  record(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** A copy of the counts, keys sorted. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of [...this.counts.keys()].sort()) out[key] = this.counts.get(key) as number;
    return out;
  }

  /** Sets every count back to zero. */
  reset(): void {
    this.counts = new Map();
  }
}
