/**
 * A checker of the AWS Security Finding Format's field rules (Security Hub API reference,
 * `AwsSecurityFinding`, and the user guide's required attributes), for findings keyrotate makes:
 * it returns every rule a finding breaks, in words, and nothing for a valid finding.
 */
import { ASFF_REQUIRED } from "@keyrotate/sandbox";

/** ASFF's required fields: the list Security Hub's import checks (the sandbox's, one table). */
export const ASFF_REQUIRED_FIELDS: ReadonlyArray<string> = ASFF_REQUIRED.map((r) => r.field);

const SEVERITY_LABELS = new Set(["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]);
const TYPE_NAMESPACES = new Set([
  "Software and Configuration Checks",
  "TTPs",
  "Effects",
  "Unusual Behaviors",
  "Sensitive Data Identifications",
]);
/** The resource types a keyrotate finding may name (ASFF has many more). */
const RESOURCE_TYPES = new Set(["AwsIamAccessKey", "AwsIamUser"]);
const COMPLIANCE_STATUSES = new Set(["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"]);
const RECORD_STATES = new Set(["ACTIVE", "ARCHIVED"]);
const KEY_STATUSES = new Set(["Active", "Inactive"]);

/** Security Hub's timestamp formats: RFC 3339 with Z or an offset, fractions up to 9 digits. */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;
const PRODUCT_ARN =
  /^arn:aws(-cn|-us-gov)?:securityhub:[a-z]{2}(-[a-z]+)+-\d+:(\d{12})?:product\/[\w.-]+\/[\w.-]+$/;
const NON_BLANK = /\S/;

const LIMITS: ReadonlyArray<readonly [field: string, max: number]> = [
  ["Id", 512],
  ["GeneratorId", 512],
  ["Title", 256],
  ["Description", 1024],
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** True when `s` is one of Security Hub's timestamp formats and a real instant. */
export const isAsffTimestamp = (s: unknown): boolean => {
  if (typeof s !== "string") return false;
  const m = TIMESTAMP.exec(s);
  if (m === null) return false;
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  const day = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0));
  return (
    day.getUTCMonth() === (mo ?? 0) - 1 &&
    day.getUTCDate() === d &&
    (h ?? 99) < 24 &&
    (mi ?? 99) < 60 &&
    (se ?? 99) < 60
  );
};

const resourceProblems = (r: unknown, at: string): string[] => {
  if (!isObject(r)) return [`${at}: not an object`];
  const problems: string[] = [];
  if (typeof r.Type !== "string" || !RESOURCE_TYPES.has(r.Type))
    problems.push(`${at}.Type: ${JSON.stringify(r.Type)} is not AwsIamAccessKey or AwsIamUser`);
  if (typeof r.Id !== "string" || !NON_BLANK.test(r.Id))
    problems.push(`${at}.Id: missing or blank`);
  const key = isObject(r.Details) ? r.Details.AwsIamAccessKey : undefined;
  if (key !== undefined) {
    if (!isObject(key)) problems.push(`${at}.Details.AwsIamAccessKey: not an object`);
    else {
      if (!KEY_STATUSES.has(String(key.Status)))
        problems.push(`${at}.Details.AwsIamAccessKey.Status: not Active or Inactive`);
      if (key.CreatedAt !== undefined && !isAsffTimestamp(key.CreatedAt))
        problems.push(`${at}.Details.AwsIamAccessKey.CreatedAt: not an ISO 8601 timestamp`);
    }
  }
  return problems;
};

/**
 * Every ASFF rule `finding` breaks: required fields, their types, the schema version, ISO 8601
 * timestamps (UpdatedAt not before CreatedAt), severity labels, finding types, resource types,
 * the length limits (Id and GeneratorId 512, Title 256, Description 1024), a 12-digit account and
 * the ProductArn's shape. Empty for a valid finding.
 */
export const asffProblems = (finding: unknown): string[] => {
  if (!isObject(finding)) return ["the finding is not an object"];
  const f = finding;
  const problems: string[] = [];
  for (const field of ASFF_REQUIRED_FIELDS)
    if (f[field] === undefined) problems.push(`${field}: required`);
  for (const field of ["SchemaVersion", "Id", "ProductArn", "GeneratorId", "Title", "Description"])
    if (f[field] !== undefined && (typeof f[field] !== "string" || !NON_BLANK.test(f[field])))
      problems.push(`${field}: not a non-blank string`);
  if (f.SchemaVersion !== undefined && f.SchemaVersion !== "2018-10-08")
    problems.push(`SchemaVersion: ${JSON.stringify(f.SchemaVersion)} is not 2018-10-08`);
  for (const [field, max] of LIMITS)
    if (typeof f[field] === "string" && (f[field] as string).length > max)
      problems.push(`${field}: longer than ${max} characters`);
  if (f.AwsAccountId !== undefined && !/^\d{12}$/.test(String(f.AwsAccountId)))
    problems.push("AwsAccountId: not 12 digits");
  if (typeof f.ProductArn === "string" && !PRODUCT_ARN.test(f.ProductArn))
    problems.push(`ProductArn: ${f.ProductArn} is not a Security Hub product ARN`);
  for (const field of ["CreatedAt", "UpdatedAt"])
    if (f[field] !== undefined && !isAsffTimestamp(f[field]))
      problems.push(`${field}: not an ISO 8601 timestamp`);
  if (
    isAsffTimestamp(f.CreatedAt) &&
    isAsffTimestamp(f.UpdatedAt) &&
    Date.parse(String(f.UpdatedAt)) < Date.parse(String(f.CreatedAt))
  )
    problems.push("UpdatedAt: before CreatedAt");
  if (f.Severity !== undefined) {
    const label = isObject(f.Severity) ? f.Severity.Label : undefined;
    if (typeof label !== "string" || !SEVERITY_LABELS.has(label))
      problems.push(`Severity.Label: ${JSON.stringify(label)} is not a severity label`);
  }
  if (f.Types !== undefined) {
    if (!Array.isArray(f.Types) || f.Types.length === 0 || f.Types.length > 50)
      problems.push("Types: not a list of 1 to 50 types");
    else
      for (const t of f.Types) {
        const parts = typeof t === "string" ? t.split("/") : [];
        if (parts.length > 3 || parts.includes("") || !TYPE_NAMESPACES.has(parts[0] ?? ""))
          problems.push(`Types: ${JSON.stringify(t)} is not namespace/category/classifier`);
      }
  }
  if (f.Resources !== undefined) {
    if (!Array.isArray(f.Resources) || f.Resources.length === 0 || f.Resources.length > 32)
      problems.push("Resources: not a list of 1 to 32 resources");
    else problems.push(...f.Resources.flatMap((r, i) => resourceProblems(r, `Resources[${i}]`)));
  }
  if (f.Compliance !== undefined) {
    const status = isObject(f.Compliance) ? f.Compliance.Status : undefined;
    if (typeof status !== "string" || !COMPLIANCE_STATUSES.has(status))
      problems.push(`Compliance.Status: ${JSON.stringify(status)} is not a compliance status`);
  }
  if (f.RecordState !== undefined && !RECORD_STATES.has(String(f.RecordState)))
    problems.push(`RecordState: ${JSON.stringify(f.RecordState)} is not ACTIVE or ARCHIVED`);
  if (f.ProductFields !== undefined) {
    const entries = isObject(f.ProductFields) ? Object.entries(f.ProductFields) : undefined;
    if (
      entries === undefined ||
      entries.length > 50 ||
      entries.some(([k, v]) => k.length > 128 || typeof v !== "string" || v.length > 2048)
    )
      problems.push("ProductFields: not up to 50 string pairs (keys ≤ 128, values ≤ 2048)");
  }
  return problems;
};
