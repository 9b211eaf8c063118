import type { AccessKeyId, Step } from "@keyrotate/core";
import type { AwsError } from "./errors.js";
import type { Log } from "./log.js";
import type { StepOutcome } from "./report.js";
import { viewStep } from "./stepView.js";

/**
 * Performs the steps the core's `undoOf` gives for a failed rotation, in order, stopping at the
 * first failure (the marker then stays for the next run's recovery), and logs the result.
 */
export const runUndo = async (
  userName: string,
  undo: ReadonlyArray<Step>,
  run: (step: Step) => Promise<AwsError | undefined>,
  log: Log,
  newKeyId: AccessKeyId | undefined,
): Promise<StepOutcome[]> => {
  const compensation: StepOutcome[] = [];
  let undoFailed = false;
  for (const step of undo) {
    const view = viewStep(step);
    if (undoFailed) {
      compensation.push({ step: view, status: "skipped", reason: "earlier-step-failed" });
      continue;
    }
    const error = await run(step);
    compensation.push(
      error === undefined
        ? { step: view, status: "ok" }
        : { step: view, status: "failed", error: error.toJSON() },
    );
    if (error !== undefined) {
      undoFailed = true;
      log({
        level: "error",
        event: "compensation-failed",
        message: `${userName}: undoing the rotation failed at "${view.summary}": ${error.message}; the marker stays for the next run`,
        userName,
        error: error.toJSON(),
      });
    }
  }
  if (!undoFailed) {
    log({
      level: "warn",
      event: "rotation-undone",
      message: `${userName}: the rotation failed and was undone; the old key is untouched`,
      userName,
      ...(newKeyId === undefined ? {} : { newKeyId }),
    });
  }
  return compensation;
};
