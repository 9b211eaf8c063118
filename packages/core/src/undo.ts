import type { AccessKeyId } from "./AccessKey.js";
import type { Plan, Step } from "./Plan.js";
import type { PolicySettings } from "./Settings.js";

/** How far a plan got when one of its steps failed: what undoing a rotation depends on. */
export interface FailedStep {
  /** The index in `plan.steps` of the step that failed; the later steps were not tried. */
  readonly index: number;
  /**
   * AWS refused the call, so it changed nothing (an access, input or not-found error). Any other
   * failure (a timeout, a 5xx, a quota) has an unknown outcome.
   */
  readonly definitive: boolean;
  /** The key the plan's `CreateKey` made, when its id is known (the call returned it). */
  readonly createdKeyId: AccessKeyId | undefined;
}

/**
 * The steps that undo a rotation whose plan failed before its commit (the `TagUser` with
 * `commitsRotation`) succeeded: the new key's stored secret (if storing it was tried), the new
 * key itself, the commit's tags (if the commit was tried), then the plan's `rollback`, which
 * restores keyrotate's state tag. The old key is never touched. POLICY.md: "If storing or
 * tagging fails, the new key (and any stored object) is deleted ... the old key is untouched".
 *
 * Empty when there is nothing to undo: the plan does not rotate, its commit succeeded, the
 * failure came before `CreateKey`, or `CreateKey` failed with an unknown outcome (a key may
 * exist that nobody knows the id of: the marker stays for the next run's recovery).
 *
 * @example undoOf(settings, plan, { index: 2, definitive: true, createdKeyId: "AKIA..." })
 */
export const undoOf = (
  settings: Pick<PolicySettings, "stateTagKey">,
  plan: Plan,
  failed: FailedStep,
): ReadonlyArray<Step> => {
  const tried = (is: (s: Step) => boolean): Step | undefined =>
    plan.steps.slice(0, failed.index + 1).find(is);
  const commitIndex = plan.steps.findIndex((s) => s._tag === "TagUser" && s.commitsRotation);
  if (commitIndex >= 0 && commitIndex < failed.index) return [];
  const made = failed.createdKeyId;
  const createRefused = plan.steps[failed.index]?._tag === "CreateKey" && failed.definitive;
  if (made === undefined && !createRefused) return [];
  const stateKey = settings.stateTagKey;
  const commit = tried((s) => s._tag === "TagUser" && s.commitsRotation);
  const commitKeys =
    commit?._tag === "TagUser" ? commit.tags.map((t) => t.key).filter((k) => k !== stateKey) : [];
  const planned: ReadonlyArray<Step> = plan.rollback ?? [
    { _tag: "UntagUser", tagKeys: [stateKey] },
  ];
  const [first, ...rest] = planned;
  const restore: ReadonlyArray<Step> =
    commitKeys.length === 0
      ? planned
      : first?._tag === "UntagUser"
        ? [{ ...first, tagKeys: [...first.tagKeys, ...commitKeys] }, ...rest]
        : [{ _tag: "UntagUser", tagKeys: commitKeys }, ...planned];
  if (made === undefined) return restore;
  return [
    ...(tried((s) => s._tag === "StoreNewKeySecret") === undefined
      ? []
      : [{ _tag: "DeleteStoredSecret", keyId: made } as const]),
    { _tag: "DeactivateKey", keyId: made, reason: "undelivered" },
    { _tag: "DeleteKey", keyId: made, reason: "undelivered" },
    ...restore,
  ];
};
