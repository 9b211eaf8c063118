/** True for a JSON object (not null, not an array): the shape every scenario part must have. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Adds a problem `<path>.<field>: unknown field` for every field of `obj` not in `known`, so that
 * a typo in a scenario is reported instead of silently ignored.
 */
export function unknownKeys(
  problems: string[],
  path: string,
  obj: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const k of Object.keys(obj))
    if (!known.includes(k)) problems.push(`${path}.${k}: unknown field`);
}

/**
 * True when `value` is a JSON object; else adds the problem `<path>: must be an object`. The
 * object's unknown fields are reported as problems too (see {@link unknownKeys}).
 */
export function isObjectWith(
  problems: string[],
  path: string,
  value: unknown,
  known: readonly string[],
): value is Record<string, unknown> {
  if (!isRecord(value)) {
    problems.push(`${path}: must be an object`);
    return false;
  }
  unknownKeys(problems, path, value, known);
  return true;
}
