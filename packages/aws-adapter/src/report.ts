import {
  type AccessKey,
  type CalendarDate,
  daysBetween,
  type Finding,
  type NoticeKind,
  type SettingName,
  type Step,
  type Tag,
  type TriageReason,
  type UserSnapshot,
} from "@keyrotate/core";
import type { AwsErrorJson } from "./errors.js";
import type { PreflightReport } from "./preflight.js";
import type { ScanMode, SkippedUser } from "./scan.js";

/** The version of the {@link RunReport} layout (`schema/run-report.schema.json`). */
export const RUN_REPORT_SCHEMA_VERSION = 1 as const;

/** A step as the report shows it: what it does, without any secret (steps never hold one). */
export interface StepView {
  readonly action: Step["_tag"];
  /** One line for a human: `create a new key to replace AKIA…`. */
  readonly summary: string;
  readonly keyId?: string;
  readonly reason?: string;
  readonly tags?: ReadonlyArray<Tag>;
  readonly tagKeys?: ReadonlyArray<string>;
  readonly commitsRotation?: boolean;
  readonly noticeKind?: NoticeKind;
  readonly to?: string;
}

/** What happened to one step. */
export type StepStatus =
  /** It was performed. */
  | "ok"
  /** It was tried and failed: `error` says how. */
  | "failed"
  /** It was not tried: a dry run, or an earlier step of the user failed. */
  | "skipped"
  /** It was not tried because the run stopped starting users (time ran short). */
  | "deferred";

/** A step and its outcome. */
export interface StepOutcome {
  readonly step: StepView;
  readonly status: StepStatus;
  /** Why a step was skipped (`preflight-failed`: the run's preflight held the rotation back). */
  readonly reason?: "dry-run" | "earlier-step-failed" | "preflight-failed";
  readonly error?: AwsErrorJson;
}

/** A key as the report shows it. */
export interface KeyView {
  readonly id: string;
  readonly status: AccessKey["status"];
  readonly created: string;
  readonly ageDays: number;
  /** A date, `never`, or `unknown`. */
  readonly lastUse: string;
}

/** A user's keys as the report shows them, aged to `today`. */
export const keyViews = (today: CalendarDate, user: Pick<UserSnapshot, "keys">): KeyView[] =>
  user.keys.map((k) => ({
    id: k.id,
    status: k.status,
    created: k.created,
    ageDays: daysBetween(k.created, today),
    lastUse:
      k.lastUse._tag === "UsedOn"
        ? k.lastUse.date
        : k.lastUse._tag === "NeverUsed"
          ? "never"
          : "unknown",
  }));

/** How a user's plan went. */
export type UserStatus =
  /** Every step was performed (or there were none). */
  | "ok"
  /** A step failed; a failed rotation was compensated unless `markerLeft`. */
  | "failed"
  /** The run did not start this user (time ran short); the next run will. */
  | "deferred"
  /** A dry run: nothing was performed. */
  | "planned";

/** One user read in detail: keys, findings, the plan and what became of it. */
export interface UserReport {
  readonly userName: string;
  readonly handled: boolean;
  readonly triage: ReadonlyArray<TriageReason>;
  readonly keys: ReadonlyArray<KeyView>;
  readonly findings: ReadonlyArray<Finding>;
  readonly status: UserStatus;
  readonly steps: ReadonlyArray<StepOutcome>;
  /** Steps run to undo a failed rotation: remove the stored secret, the new key and the marker. */
  readonly compensation: ReadonlyArray<StepOutcome>;
  /** The key a rotation created (and kept, unless compensated). */
  readonly newKeyId?: string;
  /**
   * True when a failure left keyrotate's in-flight marker on the user, so that the next run
   * finishes or undoes the rotation.
   */
  readonly markerLeft: boolean;
  readonly error?: AwsErrorJson;
}

/** The numbers of a run. */
export interface RunCounts {
  /** Users in the report or listing. */
  readonly usersSeen: number;
  /** Users read in detail (selected by triage; every user in `list-users` mode). */
  readonly selected: number;
  /** Read users that the policy handles (a valid email, not exempt). */
  readonly handled: number;
  /** Users with at least one finding. */
  readonly withFindings: number;
  /** Users sent a warning or an action-required notice. */
  readonly warned: number;
  /** Users whose key was rotated. */
  readonly rotated: number;
  /** Keys deactivated. */
  readonly deactivated: number;
  /** Keys deleted (undone new keys of a failed rotation not counted). */
  readonly deleted: number;
  /** Notices sent. */
  readonly noticesSent: number;
  /** Users with a failed step. */
  readonly failed: number;
  /** Users the run did not start. */
  readonly deferred: number;
  /** Users deleted or unreadable during the scan. */
  readonly skipped: number;
}

/** The admin summary email's fate. */
export interface AdminSummaryOutcome {
  readonly status: "sent" | "failed" | "off" | "dry-run";
  readonly error?: AwsErrorJson;
}

/** What became of one optional channel of a run (Security Hub, SNS, the chat webhook). */
export interface ChannelReport {
  /**
   * `off`: not configured; `dry-run`: nothing sent, `planned` says what would be; `not-run`: the
   * scan failed, so there was nothing to judge; `sent`: everything went out; `failed`: something
   * did not (`failures` says what; the rest went out).
   */
  readonly status: "off" | "dry-run" | "not-run" | "sent" | "failed";
  /** Items delivered: findings imported (archived ones included), messages published, posts. */
  readonly sent: number;
  /** In a dry run: items that would have been delivered. */
  readonly planned?: number;
  /** Security Hub: findings of earlier runs archived (or, in a dry run, to archive). */
  readonly archived?: number;
  /** What could not be delivered: a finding id or a message's event, and why. */
  readonly failures: ReadonlyArray<{ readonly item: string; readonly error: AwsErrorJson }>;
}

/** A channel that is not configured. */
export const CHANNEL_OFF: ChannelReport = { status: "off", sent: 0, failures: [] };

/** The optional channels of a run; a failure on one never undoes a change or stops the run. */
export interface ChannelsReport {
  readonly securityHub: ChannelReport;
  readonly sns: ChannelReport;
  readonly webhook: ChannelReport;
}

/** One JSON-serialisable record of a run: what was seen, planned, done and what it cost. */
export interface RunReport {
  readonly schemaVersion: typeof RUN_REPORT_SCHEMA_VERSION;
  readonly runId: string;
  /** The run's `today`. */
  readonly date: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly dryRun: boolean;
  readonly scanMode: ScanMode;
  /**
   * `failed` when the scan failed (nothing was changed) or the preflight failed (no rotation was
   * started; other transitions went out): `error.message` says which and what to do.
   */
  readonly status: "completed" | "failed";
  readonly error?: AwsErrorJson;
  /** The checks made before the first rotation; absent when the scan failed. */
  readonly preflight?: PreflightReport;
  readonly settings: Readonly<Record<SettingName, string>>;
  readonly reportGeneratedAt?: string;
  readonly counts: RunCounts;
  readonly users: ReadonlyArray<UserReport>;
  readonly skippedUsers: ReadonlyArray<SkippedUser>;
  readonly adminSummary: AdminSummaryOutcome;
  /** Security Hub findings, SNS messages and the chat webhook (absent in reports before #17). */
  readonly channels?: ChannelsReport;
  /** SDK calls by `service:Operation`, every attempt counted. */
  readonly apiCalls: Readonly<Record<string, number>>;
}
