import type { CalendarDate } from "@keyrotate/core";
import type { AwsErrorJson } from "./errors.js";
import type { OrgSettings } from "./orgSettings.js";
import type { RunCounts, RunReport } from "./report.js";

/** The version of the {@link OrgReport} layout (`schema/org-report.schema.json`). */
export const ORG_REPORT_SCHEMA_VERSION = 1;

/**
 * How one account's run ended: `completed` (its report says what was done), `failed` (its run
 * failed: see the report or error), `unreachable` (the role could not be assumed), `deferred`
 * (never started: the run was stopped or out of time).
 */
export type AccountStatus = "completed" | "failed" | "unreachable" | "deferred";

/** One account's section of the organisation report. */
export interface AccountSection {
  readonly accountId: string;
  readonly accountName: string;
  readonly status: AccountStatus;
  /** Why the account did not complete, when no report says it. */
  readonly error?: AwsErrorJson;
  /** The account's own run report, when its run started. */
  readonly report?: RunReport;
}

/** Why a discovered or named account was left alone. */
export type SkipReason =
  | "suspended"
  | "not-active"
  | "excluded"
  | "opted-out"
  | "opt-out-unknown"
  | "not-in-organization";

/** An account left alone, with the reason as a finding. */
export interface SkippedAccount {
  readonly accountId: string;
  readonly accountName?: string;
  readonly reason: SkipReason;
  readonly message: string;
}

/** Counts of accounts by outcome. */
export interface AccountCounts {
  /** Accounts found in the covered part of the organisation. */
  readonly discovered: number;
  /** Accounts keyrotate ran in (or would have). */
  readonly selected: number;
  readonly completed: number;
  readonly failed: number;
  readonly unreachable: number;
  readonly deferred: number;
  readonly skipped: number;
}

/**
 * One record of a run over an AWS Organization: the selection, each account's own run report,
 * and totals. Like a run report, it never holds a secret.
 */
export interface OrgReport {
  readonly schemaVersion: typeof ORG_REPORT_SCHEMA_VERSION;
  readonly kind: "organization";
  readonly runId: string;
  readonly date: CalendarDate;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly dryRun: boolean;
  /**
   * `completed`: every selected account completed; `partial`: some did not (see their
   * sections); `failed`: discovery failed (see error) or no selected account completed.
   */
  readonly status: "completed" | "partial" | "failed";
  readonly error?: AwsErrorJson;
  /** The organisation settings in force; the external id only as set or not. */
  readonly selection: {
    readonly roleName: string;
    readonly externalId: "set" | "not set";
    readonly includeOus: ReadonlyArray<string>;
    readonly includeAccounts: ReadonlyArray<string>;
    readonly excludeAccounts: ReadonlyArray<string>;
    readonly optOutTag: string | null;
    readonly concurrency: number;
  };
  readonly totals: { readonly accounts: AccountCounts; readonly users: RunCounts };
  readonly accounts: ReadonlyArray<AccountSection>;
  readonly skippedAccounts: ReadonlyArray<SkippedAccount>;
  /** Organizations and STS calls of the management side (discovery, AssumeRole). */
  readonly apiCalls: Readonly<Record<string, number>>;
}

const ZERO_COUNTS: RunCounts = {
  usersSeen: 0,
  selected: 0,
  handled: 0,
  withFindings: 0,
  warned: 0,
  rotated: 0,
  deactivated: 0,
  deleted: 0,
  noticesSent: 0,
  failed: 0,
  deferred: 0,
  skipped: 0,
};

/** The users' counts of every account's report, added up. */
export const totalCounts = (sections: ReadonlyArray<AccountSection>): RunCounts => {
  const total: Record<string, number> = { ...ZERO_COUNTS };
  for (const s of sections) {
    if (s.report === undefined) continue;
    for (const [k, v] of Object.entries(s.report.counts)) total[k] = (total[k] ?? 0) + v;
  }
  return total as unknown as RunCounts;
};

/** Counts of accounts by outcome, of any per-account sections that carry a status. */
export const accountCounts = (
  discovered: number,
  sections: ReadonlyArray<{ readonly status: AccountStatus }>,
  skipped: ReadonlyArray<SkippedAccount>,
): AccountCounts => {
  const by = (status: AccountStatus): number => sections.filter((s) => s.status === status).length;
  return {
    discovered,
    selected: sections.length,
    completed: by("completed"),
    failed: by("failed"),
    unreachable: by("unreachable"),
    deferred: by("deferred"),
    skipped: skipped.length,
  };
};

/** The status of an organisation run from its account sections. */
export const orgStatus = (sections: ReadonlyArray<AccountSection>): OrgReport["status"] => {
  const completed = sections.filter((s) => s.status === "completed").length;
  if (completed === sections.length) return "completed";
  return completed === 0 ? "failed" : "partial";
};

/** The `selection` of an org report: the organisation settings, the external id only as set or not. */
export const selectionOf = (org: OrgSettings): OrgReport["selection"] => ({
  roleName: org.roleName,
  externalId: org.externalId === undefined ? "not set" : "set",
  includeOus: org.includeOus,
  includeAccounts: org.includeAccounts,
  excludeAccounts: org.excludeAccounts,
  optOutTag:
    org.optOutTag === undefined
      ? null
      : org.optOutTag.value === undefined
        ? org.optOutTag.key
        : `${org.optOutTag.key}=${org.optOutTag.value}`,
  concurrency: org.concurrency,
});

/** What {@link assembleOrgReport} merges. */
export interface OrgReportParts {
  readonly runId: string;
  readonly date: CalendarDate;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The organisation settings in force, as the report shows them ({@link selectionOf}). */
  readonly selection: OrgReport["selection"];
  /** The run's dry-run flag when one was given for every account; else from the accounts' reports. */
  readonly dryRun: boolean | undefined;
  readonly discovered: number;
  readonly sections: ReadonlyArray<AccountSection>;
  readonly skipped: ReadonlyArray<SkippedAccount>;
  readonly apiCalls: Readonly<Record<string, number>>;
  /** Discovery failed: the report is `failed` with this error and no account. */
  readonly error?: AwsErrorJson;
}

/**
 * Merges the account sections of an organisation run into one {@link OrgReport}: status and
 * totals from the sections. Used by `runOrganization` and by the Step Functions summarise step,
 * which gets the sections from the Distributed Map's results.
 */
export const assembleOrgReport = (parts: OrgReportParts): OrgReport => {
  const ran = parts.sections.flatMap((s) => (s.report === undefined ? [] : [s.report]));
  return {
    schemaVersion: ORG_REPORT_SCHEMA_VERSION,
    kind: "organization",
    runId: parts.runId,
    date: parts.date,
    startedAt: parts.startedAt,
    dryRun: parts.dryRun ?? (ran.length > 0 && ran.every((r) => r.dryRun)),
    selection: parts.selection,
    finishedAt: parts.finishedAt,
    status: parts.error === undefined ? orgStatus(parts.sections) : "failed",
    ...(parts.error === undefined ? {} : { error: parts.error }),
    totals: {
      accounts: accountCounts(parts.discovered, parts.sections, parts.skipped),
      users: totalCounts(parts.sections),
    },
    accounts: parts.sections,
    skippedAccounts: parts.skipped,
    apiCalls: parts.apiCalls,
  };
};
