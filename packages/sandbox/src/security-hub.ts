import { ServiceError } from "./errors.js";
import { isRecord } from "./json-input.js";
import type { ServiceScope } from "./scope.js";

/** A finding as stored: the ASFF object as imported, plus what Security Hub adds. */
export type Finding = Record<string, unknown>;

const MAX_IMPORT = 100;
const MAX_RESULTS = 100;
/** The largest finding Security Hub imports: 240 KB. */
const MAX_FINDING_BYTES = 240 * 1024;
/** The fields BatchImportFindings cannot change once a finding exists (its users manage them). */
const USER_FIELDS = ["Note", "UserDefinedFields", "VerificationState", "Workflow"] as const;
const SEVERITY_LABELS = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"];
const WORKFLOW_STATUSES = ["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"];

const nonEmptyString = (v: unknown): boolean => typeof v === "string" && v !== "";
const isoDate = (v: unknown): boolean =>
  typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v));

/**
 * The ASFF fields BatchImportFindings requires, each with its check and what a finding that
 * fails it is told. One table, so the rule list and the sandbox's errors cannot drift apart.
 */
export const ASFF_REQUIRED: readonly {
  field: string;
  valid: (v: unknown) => boolean;
  must: string;
}[] = [
  {
    field: "AwsAccountId",
    valid: (v) => typeof v === "string" && /^\d{12}$/.test(v),
    must: "be a 12-digit account id",
  },
  { field: "CreatedAt", valid: isoDate, must: "be an ISO 8601 date-time" },
  { field: "Description", valid: nonEmptyString, must: "be a non-empty string" },
  { field: "GeneratorId", valid: nonEmptyString, must: "be a non-empty string" },
  { field: "Id", valid: nonEmptyString, must: "be a non-empty string" },
  { field: "ProductArn", valid: nonEmptyString, must: "be a non-empty string" },
  {
    field: "Resources",
    valid: (v) =>
      Array.isArray(v) &&
      v.length > 0 &&
      v.every((r) => isRecord(r) && nonEmptyString(r.Type) && nonEmptyString(r.Id)),
    must: "be a non-empty list of resources, each with a Type and an Id",
  },
  { field: "SchemaVersion", valid: (v) => v === "2018-10-08", must: 'be "2018-10-08"' },
  {
    field: "Severity",
    valid: (v) =>
      isRecord(v) &&
      (SEVERITY_LABELS.includes(v.Label as string) ||
        (v.Label === undefined &&
          typeof v.Normalized === "number" &&
          Number.isInteger(v.Normalized) &&
          v.Normalized >= 0 &&
          v.Normalized <= 100)),
    must: `have a Label (${SEVERITY_LABELS.join(", ")}) or a Normalized 0-100`,
  },
  { field: "Title", valid: nonEmptyString, must: "be a non-empty string" },
  {
    field: "Types",
    valid: (v) => Array.isArray(v) && v.length > 0 && v.every(nonEmptyString),
    must: "be a non-empty list of strings",
  },
  { field: "UpdatedAt", valid: isoDate, must: "be an ISO 8601 date-time" },
];

/** The ASFF problems of one finding (empty when it can be imported). */
export function asffProblems(finding: unknown): string[] {
  if (!isRecord(finding)) return ["the finding must be an object"];
  return ASFF_REQUIRED.flatMap(({ field, valid, must }) =>
    finding[field] === undefined
      ? [`${field} is required`]
      : valid(finding[field])
        ? []
        : [`${field} must ${must}`],
  );
}

/** A GetFindings string filter: `{ Value, Comparison }`. */
interface StringFilter {
  Value: string;
  Comparison: "EQUALS" | "PREFIX" | "NOT_EQUALS" | "PREFIX_NOT_EQUALS";
}

/** The GetFindings filters the sandbox evaluates, each with the finding values it compares. */
const FILTER_FIELDS: Readonly<Record<string, (f: Finding) => string[]>> = {
  Id: (f) => [f.Id as string],
  ProductArn: (f) => [f.ProductArn as string],
  AwsAccountId: (f) => [f.AwsAccountId as string],
  GeneratorId: (f) => [f.GeneratorId as string],
  Title: (f) => [f.Title as string],
  SeverityLabel: (f) => [(f.Severity as Record<string, unknown>).Label as string],
  RecordState: (f) => [f.RecordState as string],
  WorkflowStatus: (f) => [(f.Workflow as Record<string, unknown>).Status as string],
  ComplianceStatus: (f) => [
    (f.Compliance as Record<string, unknown> | undefined)?.Status as string,
  ],
  ResourceId: (f) => (f.Resources as Record<string, unknown>[]).map((r) => r.Id as string),
  ResourceType: (f) => (f.Resources as Record<string, unknown>[]).map((r) => r.Type as string),
};

const COMPARISONS = ["EQUALS", "PREFIX", "NOT_EQUALS", "PREFIX_NOT_EQUALS"];

const invalidInput = (message: string): ServiceError =>
  new ServiceError("InvalidInputException", message, 400);

function parseFilters(raw: unknown): [string, StringFilter[]][] {
  if (raw === undefined || raw === null) return [];
  if (!isRecord(raw)) throw invalidInput("Filters must be an object.");
  return Object.entries(raw).map(([name, list]) => {
    if (!(name in FILTER_FIELDS))
      throw invalidInput(
        `The sandbox does not evaluate the filter ${name}; it knows ${Object.keys(FILTER_FIELDS).join(", ")}.`,
      );
    if (!Array.isArray(list) || list.length > 20)
      throw invalidInput(`Filters.${name} must be a list of at most 20 string filters.`);
    for (const f of list)
      if (
        !isRecord(f) ||
        typeof f.Value !== "string" ||
        !COMPARISONS.includes(f.Comparison as string)
      )
        throw invalidInput(
          `Each of Filters.${name} needs a Value and a Comparison (${COMPARISONS.join(", ")}).`,
        );
    return [name, list as StringFilter[]];
  });
}

/**
 * Whether `values` pass one field's filters, as Security Hub combines them: EQUALS and PREFIX
 * filters on a field are ORed, NOT_EQUALS and PREFIX_NOT_EQUALS ones ANDed.
 */
function passes(values: string[], filters: StringFilter[]): boolean {
  const hit = (f: StringFilter, v: string) =>
    f.Comparison.startsWith("PREFIX") ? v.startsWith(f.Value) : v === f.Value;
  const positive = filters.filter((f) => !f.Comparison.includes("NOT_"));
  const negative = filters.filter((f) => f.Comparison.includes("NOT_"));
  if (positive.length > 0 && !positive.some((f) => values.some((v) => hit(f, v)))) return false;
  return negative.every((f) => !values.some((v) => hit(f, v)));
}

/**
 * The Security Hub part of a fake account: findings imported through BatchImportFindings
 * (validated against the required ASFF fields, upserted by ProductArn and Id) and read back
 * through GetFindings with filters and pagination.
 */
export class FindingsStore {
  private readonly byKey = new Map<string, Finding>();

  /** An empty store for the account of `scope`. */
  constructor(private readonly scope: ServiceScope) {}

  /** Forgets every finding. */
  clear(): void {
    this.byKey.clear();
  }

  /** Every finding, in import order (an update keeps its place). */
  findings(): readonly Finding[] {
    return [...this.byKey.values()].map((f) => structuredClone(f));
  }

  /** Runs one operation on its JSON input and returns its JSON output. */
  handle(operation: string, input: Record<string, unknown>): Record<string, unknown> {
    if (operation === "BatchImportFindings") return this.importFindings(input);
    if (operation === "GetFindings") return this.getFindings(input);
    if (operation === "BatchUpdateFindings") return this.updateFindings(input);
    throw new ServiceError(
      "UnknownOperationException",
      `The keyrotate sandbox does not emulate securityhub ${operation}.`,
      404,
    );
  }

  private importFindings(input: Record<string, unknown>): Record<string, unknown> {
    const findings = input.Findings;
    if (!Array.isArray(findings) || findings.length === 0)
      throw invalidInput("Findings must be a non-empty list.");
    if (findings.length > MAX_IMPORT)
      throw invalidInput(`Findings must have at most ${MAX_IMPORT} items.`);
    const failed: Record<string, unknown>[] = [];
    const now = new Date(this.scope.clock.nowMs()).toISOString();
    for (const finding of findings) {
      const problems = asffProblems(finding);
      const id = isRecord(finding) && typeof finding.Id === "string" ? finding.Id : "";
      if (problems.length > 0) {
        failed.push({
          Id: id,
          ErrorCode: "InvalidInput",
          ErrorMessage: `Finding does not adhere to Amazon Security Finding Format. ${problems.join("; ")}`,
        });
        continue;
      }
      const f = finding as Finding;
      if (f.AwsAccountId !== this.scope.accountId) {
        failed.push({
          Id: id,
          ErrorCode: "AccessDeniedException",
          ErrorMessage: `The finding's AwsAccountId ${f.AwsAccountId} is not the calling account ${this.scope.accountId}.`,
        });
        continue;
      }
      if (Buffer.byteLength(JSON.stringify(f)) > MAX_FINDING_BYTES) {
        failed.push({
          Id: id,
          ErrorCode: "InvalidInput",
          ErrorMessage: `The finding is larger than the ${MAX_FINDING_BYTES / 1024} KB Security Hub allows.`,
        });
        continue;
      }
      const key = JSON.stringify([f.ProductArn, f.Id]);
      const previous = this.byKey.get(key);
      const stored: Finding = {
        ...structuredClone(f),
        Region: typeof f.Region === "string" ? f.Region : this.scope.region,
        RecordState: typeof f.RecordState === "string" ? f.RecordState : "ACTIVE",
        Workflow: isRecord(f.Workflow) ? structuredClone(f.Workflow) : { Status: "NEW" },
        ProcessedAt: now,
      };
      // Once a finding exists, the fields its users manage are theirs: an import leaves them.
      if (previous !== undefined)
        for (const field of USER_FIELDS) {
          if (previous[field] === undefined) delete stored[field];
          else stored[field] = structuredClone(previous[field]);
        }
      this.byKey.set(key, stored);
    }
    return {
      FailedCount: failed.length,
      SuccessCount: findings.length - failed.length,
      FailedFindings: failed,
    };
  }

  /**
   * What a finding's users change (BatchUpdateFindings): Workflow status and Note here; each
   * finding named by Id and ProductArn, unknown ones reported as unprocessed.
   */
  private updateFindings(input: Record<string, unknown>): Record<string, unknown> {
    const ids = input.FindingIdentifiers;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_IMPORT)
      throw invalidInput(`FindingIdentifiers must be a list of 1 to ${MAX_IMPORT} items.`);
    const workflow = input.Workflow;
    const status = isRecord(workflow) ? workflow.Status : undefined;
    if (status !== undefined && !WORKFLOW_STATUSES.includes(status as string))
      throw invalidInput(`Workflow.Status must be one of ${WORKFLOW_STATUSES.join(", ")}.`);
    const note = input.Note;
    if (
      note !== undefined &&
      !(isRecord(note) && nonEmptyString(note.Text) && nonEmptyString(note.UpdatedBy))
    )
      throw invalidInput("Note needs a Text and an UpdatedBy.");
    const processed: unknown[] = [];
    const unprocessed: unknown[] = [];
    const now = new Date(this.scope.clock.nowMs()).toISOString();
    for (const id of ids) {
      const found = isRecord(id)
        ? this.byKey.get(JSON.stringify([id.ProductArn, id.Id]))
        : undefined;
      if (found === undefined) {
        unprocessed.push({
          FindingIdentifier: id,
          ErrorCode: "FindingNotFound",
          ErrorMessage: "Finding not found",
        });
        continue;
      }
      if (status !== undefined) found.Workflow = { Status: status };
      if (note !== undefined)
        found.Note = { Text: note.Text, UpdatedBy: note.UpdatedBy, UpdatedAt: now };
      found.UpdatedAt = now;
      processed.push({ Id: found.Id, ProductArn: found.ProductArn });
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  }

  private getFindings(input: Record<string, unknown>): Record<string, unknown> {
    const filters = parseFilters(input.Filters);
    const max = input.MaxResults;
    if (
      max !== undefined &&
      max !== null &&
      !(Number.isInteger(max) && (max as number) >= 1 && (max as number) <= MAX_RESULTS)
    )
      throw invalidInput(`MaxResults must be an integer from 1 to ${MAX_RESULTS}.`);
    const size = (max as number | undefined) ?? MAX_RESULTS;
    const matching = [...this.byKey.values()].filter((f) =>
      filters.every(([name, list]) =>
        passes((FILTER_FIELDS[name] as (f: Finding) => string[])(f), list),
      ),
    );
    let start = 0;
    const token = input.NextToken;
    if (token !== undefined && token !== null && token !== "") {
      const m =
        typeof token === "string"
          ? /^findings:(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"))
          : null;
      const decoded = m === null ? Number.NaN : Number(m[1]);
      if (!Number.isInteger(decoded) || decoded > matching.length)
        throw invalidInput("The NextToken is not valid.");
      start = decoded;
    }
    const page = matching.slice(start, start + size);
    const next =
      start + size < matching.length
        ? Buffer.from(`findings:${start + size}`).toString("base64")
        : undefined;
    return {
      Findings: page.map((f) => structuredClone(f)),
      ...(next !== undefined ? { NextToken: next } : {}),
    };
  }
}
