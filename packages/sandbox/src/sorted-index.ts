/**
 * A map whose keys can also be walked in sorted order from any point.
 * IAM users and S3 objects live in one so a page of 1000 out of 100,000 costs O(log n + page).
 */
export class SortedIndex<V> {
  private readonly map = new Map<string, V>();
  private keys: string[] = [];
  private dirty = false;

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }

  /** The value stored under `key`, if any. */
  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Whether `key` is present. */
  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Inserts or replaces the value under `key`. */
  set(key: string, value: V): void {
    if (!this.map.has(key)) {
      const last = this.keys[this.keys.length - 1];
      if (last !== undefined && key < last) this.dirty = true;
      this.keys.push(key);
    }
    this.map.set(key, value);
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: string): boolean {
    if (!this.map.delete(key)) return false;
    const keys = this.sortedKeys();
    const i = lowerBound(keys, key);
    if (keys[i] === key) keys.splice(i, 1);
    return true;
  }

  /** Removes everything. */
  clear(): void {
    this.map.clear();
    this.keys = [];
    this.dirty = false;
  }

  /** Values in key order. */
  *values(): IterableIterator<V> {
    for (const key of this.sortedKeys()) {
      const value = this.map.get(key);
      if (value !== undefined) yield value;
    }
  }

  /** The sorted key array (shared, do not mutate), sorting lazily after out-of-order inserts. */
  sortedKeys(): string[] {
    if (this.dirty) {
      this.keys.sort();
      this.dirty = false;
    }
    return this.keys;
  }

  /** Index of the first key strictly greater than `key` (or 0 when `key` is undefined). */
  indexAfter(key: string | undefined): number {
    if (key === undefined) return 0;
    const keys = this.sortedKeys();
    const i = lowerBound(keys, key);
    return keys[i] === key ? i + 1 : i;
  }

  /** Index of the first key greater than or equal to `key`. */
  indexAtOrAfter(key: string): number {
    return lowerBound(this.sortedKeys(), key);
  }

  /**
   * Up to `limit` values whose keys come after `after` and pass `accept`, plus whether more exist.
   * Without a filter this is O(log n + limit); with one it scans only as far as it must.
   */
  page(
    after: string | undefined,
    limit: number,
    accept?: (value: V) => boolean,
  ): { items: V[]; lastKey: string | undefined; truncated: boolean } {
    const keys = this.sortedKeys();
    const items: V[] = [];
    let lastKey: string | undefined;
    for (let i = this.indexAfter(after); i < keys.length; i++) {
      const key = keys[i] as string;
      const value = this.map.get(key) as V;
      if (accept && !accept(value)) continue;
      if (items.length === limit) return { items, lastKey, truncated: true };
      items.push(value);
      lastKey = key;
    }
    return { items, lastKey, truncated: false };
  }
}

/** First index in sorted `keys` whose key is >= `key` (binary search). */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
