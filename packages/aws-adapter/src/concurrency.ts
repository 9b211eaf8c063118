/**
 * Runs `task` on every item with at most `limit` running at once, and returns the results in
 * the items' order. A task that throws rejects the whole call: callers catch inside `task`.
 */
export const mapWithConcurrency = async <A, B>(
  items: ReadonlyArray<A>,
  limit: number,
  task: (item: A, index: number) => Promise<B>,
): Promise<B[]> => {
  const results = new Array<B>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as A, index);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
};
