/**
 * Checks a value against a JSON Schema (draft 2020-12) with Ajv, in strict mode so that a
 * keyword Ajv does not know fails the schema instead of being skipped, with `date-time` and the
 * other formats of ajv-formats. Returns every problem as `path: message`; empty when valid.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";

// ajv-formats is CommonJS: its function is the default export, or that export's own default.
const addFormats = ((addFormatsPlugin as { default?: unknown }).default ??
  addFormatsPlugin) as typeof addFormatsPlugin.default;

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);

/** Every problem of `value` against `schema` (compiled once per schema object). */
export const validate = (schema: object, value: unknown): string[] => {
  const check = ajv.getSchema((schema as { $id?: string }).$id ?? "") ?? ajv.compile(schema);
  if (check(value)) return [];
  return (check.errors ?? []).map((e) => {
    const path = e.instancePath === "" ? "$" : `$${e.instancePath}`;
    const detail =
      e.keyword === "additionalProperties"
        ? ` (${String(e.params.additionalProperty)})`
        : e.keyword === "required"
          ? ` (${String(e.params.missingProperty)})`
          : "";
    return `${path}: ${e.message ?? e.keyword}${detail}`;
  });
};
