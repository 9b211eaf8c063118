import {
  type AccessKeyId,
  type CalendarDate,
  daysBetween,
  lastActivity,
  type Plan,
  type PolicySettings,
  parseStateTag,
  type ReportUser,
  ROTATION_WINDOW_SECONDS,
  type Step,
  simulateStep,
  tagValue,
  type UserSnapshot,
  type World,
  worldOf,
} from "../src/index.js";
import { keyId } from "./arbitraries.js";

/** Checks shared by the invariant and simulation properties, on the pure model. */
export const NEW_KEY = keyId(9_999_999);
export const ctx = (today: CalendarDate, newKeyId: AccessKeyId = NEW_KEY) => ({ today, newKeyId });
export const keyStep = (s: Step): s is Extract<Step, { _tag: "DeactivateKey" | "DeleteKey" }> =>
  s._tag === "DeactivateKey" || s._tag === "DeleteKey";
export const hasActive = (u: UserSnapshot) => u.keys.some((k) => k.status === "Active");
export const reportOf = (u: UserSnapshot): ReportUser => ({
  userName: u.userName,
  keys: u.keys.map((k) => ({
    active: k.status === "Active",
    created: k.created,
    lastUse: k.lastUse,
  })),
});

/** Walks a plan step by step through the model, calling `check` with the world before each step. */
export const walk = (
  user: UserSnapshot,
  plan: Plan,
  today: CalendarDate,
  check: (w: World, s: Step) => void,
): World => {
  let w = worldOf(user);
  for (const step of plan.steps) {
    check(w, step);
    w = simulateStep(w, step, ctx(today));
  }
  return w;
};

/** Why a key step is allowed, judged from the snapshot the plan was made from (invariant 2). */
export const justified = (
  s: PolicySettings,
  today: CalendarDate,
  user: UserSnapshot,
  step: Extract<Step, { _tag: "DeactivateKey" | "DeleteKey" }>,
): boolean => {
  const key = user.keys.find((k) => k.id === step.keyId);
  const parsed = parseStateTag(tagValue(user, s.stateTagKey));
  const state = parsed._tag === "Valid" ? parsed.state : {};
  switch (step.reason) {
    case "retired":
      return (
        tagValue(user, s.lastCheckOldKeyTagKey) === step.keyId ||
        (state.deactivating !== undefined && state.deactivating.keyId === step.keyId)
      );
    case "inactive-blocker":
      return s.inactiveBlocker === "delete" && key?.status === "Inactive";
    case "unused": {
      if (s.unusedDays === undefined || key === undefined) return false;
      if (state.deactivating?.unused === true && state.deactivating.keyId === key.id) return true;
      const since = lastActivity(key);
      return since !== undefined && daysBetween(since, today) > s.unusedDays;
    }
    case "undelivered": {
      // Only a key recovery can prove keyrotate made and never delivered (issue 12).
      const rotating = state.rotating;
      return (
        rotating !== undefined &&
        rotating.startedAt !== undefined &&
        key !== undefined &&
        key.id !== rotating.oldKeyId &&
        key.lastUse._tag === "NeverUsed" &&
        key.createdAt !== undefined &&
        key.createdAt >= rotating.startedAt &&
        key.createdAt <= rotating.startedAt + ROTATION_WINDOW_SECONDS &&
        tagValue(user, s.lastCheckOldKeyTagKey) === undefined
      );
    }
  }
};
