import type { KeyEvent } from "@keyrotate/sandbox";
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

/**
 * The key trail a plan leaves in the model, as the sandbox records it (`KeyEvent`): what
 * `@keyrotate/sandbox/verify`'s checks read, so that the pure model is judged by the same checks
 * as the sandbox runs.
 */
export const keyEventsOf = (user: UserSnapshot, plan: Plan, today: CalendarDate): KeyEvent[] => {
  const events: KeyEvent[] = [];
  const event = (
    w: World,
    operation: KeyEvent["operation"],
    id: AccessKeyId,
    statusAfter?: KeyEvent["statusAfter"],
  ) =>
    events.push({
      seq: events.length + 1,
      time: Date.parse(`${today}T12:00:00Z`),
      operation,
      userName: user.userName,
      accessKeyId: id,
      statusBefore: w.user.keys.find((k) => k.id === id)?.status,
      statusAfter,
      visibleBefore: true,
    });
  walk(user, plan, today, (w, step) => {
    if (step._tag === "CreateKey") event(w, "CreateAccessKey", ctx(today).newKeyId);
    if (step._tag === "DeactivateKey") event(w, "UpdateAccessKey", step.keyId, "Inactive");
    if (step._tag === "DeleteKey") event(w, "DeleteAccessKey", step.keyId);
  });
  return events;
};
