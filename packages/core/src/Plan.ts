import type { AccessKeyId, Tag, UserName } from "./AccessKey.js";
import type { CalendarDate } from "./CalendarDate.js";
import type { EmailAddress } from "./EmailAddress.js";

/** Why a key is deactivated or deleted. Each reason is a rule of POLICY.md. */
export type KeyChangeReason =
  /** The old key `K` of a rotation, after its grace period. */
  | "retired"
  /** An Active key unused for more than `UNUSED_DAYS` days. */
  | "unused"
  /** An Inactive key deleted so that an overdue Active key can be rotated (`INACTIVE_BLOCKER=delete`). */
  | "inactive-blocker"
  /** A key keyrotate created in a run that crashed before the key was delivered. */
  | "undelivered";

/** The new key a Rotated notice announces. */
export type NewKey =
  /** The key the `CreateKey` step of the same plan creates (its id is known only then). */
  | { readonly _tag: "Created" }
  /**
   * A key keyrotate created in an earlier run, whose secret file is stored: the notice is sent
   * again after a crash or a failed send, and still names the file.
   */
  | { readonly _tag: "Stored"; readonly keyId: AccessKeyId }
  /** A key the user made and holds (`TWO_ACTIVE_KEYS=enforce`): there is no file. */
  | { readonly _tag: "Existing"; readonly keyId: AccessKeyId };

/** What every notice carries: who it goes to. */
interface NoticeBase {
  readonly to: EmailAddress;
  readonly userName: UserName;
}

/**
 * A message to a user. The adapter renders it; the core only decides which one and its facts.
 * No notice ever carries a secret.
 */
export type Notice =
  | (NoticeBase & {
      readonly kind: "Warning";
      readonly keyId: AccessKeyId;
      readonly keyAge: number;
      /** The day the key will be rotated if nothing changes. */
      readonly rotationDate: CalendarDate;
      /** An Inactive key that blocks the rotation: the user should delete it. */
      readonly inactiveKeyId: AccessKeyId | undefined;
    })
  | (NoticeBase & {
      readonly kind: "TwoActiveKeys";
      readonly keyIds: readonly [AccessKeyId, AccessKeyId];
      readonly keyAges: readonly [number, number];
    })
  | (NoticeBase & {
      readonly kind: "Rotated";
      readonly oldKeyId: AccessKeyId;
      readonly oldKeyAge: number;
      readonly newKey: NewKey;
      readonly deactivationDate: CalendarDate;
      readonly deletionDate: CalendarDate;
      /** The last day the secret file can be downloaded (undefined when there is no file). */
      readonly downloadUntil: CalendarDate | undefined;
      /** `EARLY_DEACTIVATION`: the old key may go earlier, once the new one is in use. */
      readonly earlyDeactivation: boolean;
      /** The latest day of the deactivation if the old key is still in use (`IN_USE_DELAY_DAYS`). */
      readonly hardDeadline: CalendarDate;
    })
  | (NoticeBase & {
      readonly kind: "OldKeyInUse";
      readonly keyId: AccessKeyId;
      readonly newKeyId: AccessKeyId;
      /** The last day the old key was seen in use; undefined when unknown (counted as in use). */
      readonly lastUsed: CalendarDate | undefined;
      /** The day the old key is deactivated whatever its use. */
      readonly hardDeadline: CalendarDate;
    })
  | (NoticeBase & {
      readonly kind: "Deactivated";
      readonly keyId: AccessKeyId;
      readonly deletionDate: CalendarDate;
    })
  | (NoticeBase & {
      readonly kind: "DeactivatedUnused";
      readonly keyId: AccessKeyId;
      /** The last day the key was used, or undefined when it never was. */
      readonly lastUsed: CalendarDate | undefined;
      readonly deletionDate: CalendarDate;
    })
  | (NoticeBase & { readonly kind: "Deleted"; readonly keyId: AccessKeyId });

/** The kinds of {@link Notice}. */
export type NoticeKind = Notice["kind"];

/**
 * One call's worth of change, in the order the adapter must perform it. A plan's steps are
 * designed so that a crash between any two of them is recovered by the next run.
 */
export type Step =
  /** Sets tags on the user. `commitsRotation` marks the step that makes a new key official. */
  | {
      readonly _tag: "TagUser";
      readonly tags: ReadonlyArray<Tag>;
      readonly commitsRotation: boolean;
    }
  | { readonly _tag: "UntagUser"; readonly tagKeys: ReadonlyArray<string> }
  /** Creates the new key of a rotation; later steps of the plan refer to it as "the new key". */
  | { readonly _tag: "CreateKey"; readonly replaces: AccessKeyId }
  /** Stores the new key's secret privately (S3, `credential/<user>/<user>_<id>.csv`). */
  | { readonly _tag: "StoreNewKeySecret" }
  | {
      readonly _tag: "DeactivateKey";
      readonly keyId: AccessKeyId;
      readonly reason: KeyChangeReason;
    }
  | { readonly _tag: "DeleteKey"; readonly keyId: AccessKeyId; readonly reason: KeyChangeReason }
  /** Removes a stored secret file of a key that is being discarded, if there is one. */
  | { readonly _tag: "DeleteStoredSecret"; readonly keyId: AccessKeyId }
  | { readonly _tag: "SendNotice"; readonly notice: Notice };

/** The codes of report findings. */
export type FindingCode =
  | "no-email"
  | "bad-email"
  | "exempt"
  | "bad-exempt-value"
  | "broken-tracking"
  | "stale-state"
  | "recovered-rotation"
  | "recovered-deactivation"
  | "only-inactive-keys"
  | "inactive-blocks-rotation"
  | "two-active-keys"
  | "tag-budget"
  | "unknown-last-use"
  | "too-many-keys"
  | "notice-undelivered"
  | "old-key-in-use";

/** Something the report should tell about a user, with a readable message. */
export interface Finding {
  readonly code: FindingCode;
  readonly message: string;
}

/** A finding with its code and message. */
export const finding = (code: FindingCode, message: string): Finding => ({ code, message });

/**
 * What to do for one user today: the steps in order, and the findings for the report.
 * A plan is plain data; the core never performs it.
 */
export interface Plan {
  readonly userName: UserName;
  /** False when the user is not handled (no or bad email, exempt): then `steps` is empty. */
  readonly handled: boolean;
  readonly steps: ReadonlyArray<Step>;
  readonly findings: ReadonlyArray<Finding>;
  /**
   * For a plan that rotates: the steps that restore keyrotate's state tag when the rotation
   * fails before its commit (`TagUser` with `commitsRotation`) has succeeded. The adapter first
   * discards the new key and its file, if one was made, and removes the commit's tags if it
   * tried the commit, then performs these. A `CreateKey` that failed for good
   * (AWS refused it: 4xx) is rolled back the same way; one whose outcome is unknown leaves the
   * marker for the next run's recovery.
   */
  readonly rollback?: ReadonlyArray<Step>;
}

/** The notices a plan sends, in order. */
export const noticesOf = (plan: Plan): ReadonlyArray<Notice> =>
  plan.steps.flatMap((s) => (s._tag === "SendNotice" ? [s.notice] : []));

/** True when a plan changes a key or sends a notice (more than tidying tags). */
export const changesKeysOrNotifies = (plan: Plan): boolean =>
  plan.steps.some((s) => s._tag !== "TagUser" && s._tag !== "UntagUser");

const isEnforcedRotation = (n: Notice): boolean =>
  n.kind === "Rotated" && n.newKey._tag === "Existing";

/** Counts of what a plan does, for reports and metrics. */
export interface PlanSummary {
  readonly warnings: number;
  readonly rotations: number;
  readonly deactivations: number;
  readonly deletions: number;
  readonly notices: number;
}

/** Summarises a plan: warnings and rotations announced, keys deactivated and deleted, notices. */
export const summarizePlan = (plan: Plan): PlanSummary => {
  const notices = noticesOf(plan);
  return {
    warnings: notices.filter((n) => n.kind === "Warning" || n.kind === "TwoActiveKeys").length,
    rotations: plan.steps.filter(
      (s) => s._tag === "CreateKey" || (s._tag === "SendNotice" && isEnforcedRotation(s.notice)),
    ).length,
    deactivations: plan.steps.filter((s) => s._tag === "DeactivateKey").length,
    deletions: plan.steps.filter((s) => s._tag === "DeleteKey").length,
    notices: notices.length,
  };
};
