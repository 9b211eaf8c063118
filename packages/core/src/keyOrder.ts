import type { AccessKey } from "./AccessKey.js";

/**
 * Orders keys by creation date, then id, so that decisions never depend on the order in which
 * AWS listed them.
 */
export const sortKeys = (keys: ReadonlyArray<AccessKey>): AccessKey[] => {
  const [a, b] = keys;
  if (keys.length === 2 && a !== undefined && b !== undefined)
    return compareKeys(a, b) <= 0 ? [a, b] : [b, a];
  return keys.length < 2 ? [...keys] : [...keys].sort(compareKeys);
};

const compareKeys = (a: AccessKey, b: AccessKey): number =>
  a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
