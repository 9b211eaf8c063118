import type { Plan } from "@keyrotate/core";
import { mapWithConcurrency } from "./concurrency.js";
import { type ExecuteOptions, executePlan, type PlanOutcome } from "./executePlan.js";
import type { UserStatus } from "./report.js";
import { viewStep } from "./stepView.js";

/** Progress of a run, for a CLI's progress bar or a Lambda's log. */
export interface ProgressEvent {
  readonly phase: "apply";
  readonly done: number;
  readonly total: number;
  readonly userName: string;
  readonly status: UserStatus;
}

/** Options of {@link executePlans} beyond {@link ExecuteOptions}. */
export interface ExecutePlansOptions extends ExecuteOptions {
  /** Asked before each user is started; once it says false, the rest are reported deferred. */
  readonly shouldStartUser?: () => boolean;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/**
 * Executes every plan, users in parallel up to `settings.concurrency`. A failing user never stops
 * the others. When `shouldStartUser` says false, that user and every user not yet started are
 * reported `deferred` with their steps untried.
 */
export const executePlans = async (
  options: ExecutePlansOptions,
  plans: ReadonlyArray<Plan>,
): Promise<PlanOutcome[]> => {
  let stopped = false;
  let done = 0;
  return mapWithConcurrency(plans, options.settings.concurrency, async (plan) => {
    if (!stopped && plan.steps.length > 0 && options.shouldStartUser?.() === false) stopped = true;
    const outcome: PlanOutcome =
      stopped && plan.steps.length > 0
        ? {
            userName: plan.userName,
            status: "deferred",
            steps: plan.steps.map((s) => ({ step: viewStep(s), status: "deferred" })),
            compensation: [],
            markerLeft: false,
          }
        : await executePlan(options, plan);
    done += 1;
    options.onProgress?.({
      phase: "apply",
      done,
      total: plans.length,
      userName: plan.userName,
      status: outcome.status,
    });
    return outcome;
  });
};
