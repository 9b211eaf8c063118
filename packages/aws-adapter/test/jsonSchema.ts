/**
 * A small JSON Schema (draft 2020-12) validator for the keywords the run-report schema uses.
 * No JSON Schema library is installed; this one refuses any keyword it does not implement, so
 * that a schema can never pass by being half-read.
 */
type Schema = Record<string, unknown>;

const SUPPORTED = new Set([
  "$schema",
  "$id",
  "$defs",
  "$ref",
  "title",
  "description",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "minimum",
  "minLength",
  "pattern",
  "format",
]);

const typeOf = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "array"
      : typeof v === "number" && Number.isInteger(v)
        ? "integer"
        : typeof v;

const isType = (v: unknown, t: string): boolean =>
  t === "number" ? typeof v === "number" : typeOf(v) === t;

/** Every problem of `value` against `schema`, as `path: message`; empty when it is valid. */
export const validate = (root: Schema, value: unknown): string[] => {
  const problems: string[] = [];
  const resolve = (ref: string): Schema => {
    const name = /^#\/\$defs\/(.+)$/.exec(ref)?.[1];
    const defs = root.$defs as Record<string, Schema> | undefined;
    const target = name === undefined ? undefined : defs?.[name];
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return target;
  };
  const check = (schema: Schema, v: unknown, path: string): void => {
    for (const keyword of Object.keys(schema)) {
      if (!SUPPORTED.has(keyword)) throw new Error(`${path}: unsupported keyword ${keyword}`);
    }
    if (typeof schema.$ref === "string") check(resolve(schema.$ref), v, path);
    if (typeof schema.type === "string" && !isType(v, schema.type)) {
      problems.push(`${path}: expected ${schema.type}, got ${typeOf(v)}`);
      return;
    }
    if ("const" in schema && v !== schema.const) {
      problems.push(`${path}: expected ${JSON.stringify(schema.const)}`);
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(v)) {
      problems.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    }
    if (typeof schema.minimum === "number" && typeof v === "number" && v < schema.minimum) {
      problems.push(`${path}: ${v} < ${schema.minimum}`);
    }
    if (typeof v === "string") {
      if (typeof schema.minLength === "number" && v.length < schema.minLength) {
        problems.push(`${path}: shorter than ${schema.minLength}`);
      }
      if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(v)) {
        problems.push(`${path}: ${JSON.stringify(v)} does not match ${schema.pattern}`);
      }
      if (schema.format === "date-time" && Number.isNaN(Date.parse(v))) {
        problems.push(`${path}: ${JSON.stringify(v)} is not a date-time`);
      }
    }
    if (Array.isArray(v) && schema.items !== undefined) {
      for (const [i, item] of v.entries()) check(schema.items as Schema, item, `${path}[${i}]`);
    }
    if (typeOf(v) === "object") {
      const obj = v as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const name of (schema.required ?? []) as string[]) {
        if (!(name in obj)) problems.push(`${path}: missing ${name}`);
      }
      for (const [name, child] of Object.entries(obj)) {
        const described = props[name];
        if (described !== undefined) check(described, child, `${path}.${name}`);
        else if (schema.additionalProperties === false) {
          problems.push(`${path}: ${name} is not described by the schema`);
        } else if (typeof schema.additionalProperties === "object") {
          check(schema.additionalProperties as Schema, child, `${path}.${name}`);
        }
      }
    }
  };
  check(root, value, "$");
  return problems;
};
