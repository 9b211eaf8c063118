import type { StepOutcome, UserReport } from "@keyrotate/aws-adapter";
import { shortKeyId } from "./keyText.js";

/** Findings that tell of something done or repaired today, worth a line in a timeline. */
const eventFindings = new Set([
  "broken-tracking",
  "recovered-rotation",
  "recovered-deactivation",
  "stale-state",
]);

const k = (id: string | undefined): string => shortKeyId(id ?? "?");

/** The phrases for the steps that went through (or would, in a dry run). */
const stepPhrases = (user: UserReport, steps: ReadonlyArray<StepOutcome>): string[] => {
  const phrases: string[] = [];
  const created = steps.some((s) => s.step.action === "CreateKey");
  const recovered = user.findings.some((f) => f.code === "recovered-rotation");
  for (const { step } of steps) {
    if (recovered && step.reason === "undelivered") continue;
    switch (step.action) {
      case "CreateKey":
        if (user.status === "failed") break;
        phrases.push(
          `rotated ${k(step.keyId)} → ${user.newKeyId === undefined ? "a new key" : k(user.newKeyId)}`,
        );
        break;
      case "DeactivateKey":
        if (step.reason === "unused") phrases.push(`deactivated unused ${k(step.keyId)}`);
        else if (step.reason === "retired") phrases.push(`deactivated ${k(step.keyId)}`);
        break;
      case "DeleteKey":
        if (step.reason === "undelivered")
          phrases.push(`discarded undelivered key ${k(step.keyId)}`);
        else if (step.reason === "inactive-blocker")
          phrases.push(`deleted Inactive ${k(step.keyId)} that blocked the rotation`);
        else phrases.push(`deleted ${k(step.keyId)}`);
        break;
      case "SendNotice":
        if (step.noticeKind === "Warning") phrases.push("warning sent");
        else if (step.noticeKind === "TwoActiveKeys") phrases.push("two-active-keys notice sent");
        else if (step.noticeKind === "Rotated" && !created)
          phrases.push("rotation to the other Active key announced");
        break;
      default:
        break;
    }
  }
  return phrases;
};

/**
 * One user's day in a few words: `rotated AKIA…0001 → AKIA…7QXZ`, `warning sent`, `deleted
 * AKIA…0001`, repairs from findings, and failures with their error. Empty when nothing
 * happened worth telling. Key ids are shortened; no secret is ever in a report.
 *
 * @example describeUser(report.users[0]) // "rotated AKIA…0001 → AKIA…7QXZ"
 */
export const describeUser = (user: UserReport): string => {
  const done = user.steps.filter(
    (s) => s.status === "ok" || (s.status === "skipped" && s.reason === "dry-run"),
  );
  const phrases = [
    ...user.findings.filter((f) => eventFindings.has(f.code)).map((f) => f.message),
    ...stepPhrases(user, done),
  ];
  if (user.status === "failed" && user.steps.some((s) => s.reason === "preflight-failed")) {
    phrases.push("rotation held back: the preflight failed; the next run retries it");
  } else if (user.status === "failed") {
    const failed = user.steps.find((s) => s.status === "failed");
    const undone =
      user.compensation.length > 0 && user.compensation.every((c) => c.status === "ok");
    phrases.push(
      `FAILED at "${failed?.step.summary ?? "a step"}": ${user.error?.message ?? failed?.error?.message ?? "unknown error"}${
        undone ? `; the new key ${k(user.newKeyId)} was undone, the old key is untouched` : ""
      }${user.markerLeft ? "; the marker stays for the next run" : ""}`,
    );
  }
  if (user.status === "deferred") phrases.push("deferred to the next run");
  const text = phrases.join("; ");
  return user.status === "planned" && text !== "" ? `would: ${text}` : text;
};
