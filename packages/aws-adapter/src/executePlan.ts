import { type AccessKeyId, type Plan, type Settings, type Step, undoOf } from "@keyrotate/core";
import type { AwsClients } from "./clients.js";
import { AwsError, mapAwsError, redactSecrets } from "./errors.js";
import { type Log, silentLog } from "./log.js";
import { operationOf } from "./operations.js";
import { type InFlight, performStep } from "./performStep.js";
import type { StepOutcome, StepView, UserReport } from "./report.js";
import { runUndo } from "./rollback.js";
import { viewStep } from "./stepView.js";

/** What executing plans needs: the clients, the settings, and where to log. */
export interface ExecuteOptions {
  readonly clients: Pick<AwsClients, "iam" | "s3" | "ses"> &
    Partial<Pick<AwsClients, "secretsManager">>;
  readonly settings: Settings;
  /** Perform nothing: every step is reported `skipped` (default `settings.dryRun`). */
  readonly dryRun?: boolean;
  /** Region of the credentials bucket, for the console link in Rotated notices. */
  readonly bucketRegion?: string;
  readonly log?: Log;
  /**
   * The clock whose time goes into a rotation's marker (default: the system clock). It must be
   * IAM's time to within minutes, as SigV4 already requires; against a sandbox, its clock.
   */
  readonly now?: () => Date;
}

/** What became of one user's plan: the part of its {@link UserReport} that executing it gives. */
export type PlanOutcome = Pick<
  UserReport,
  "userName" | "status" | "steps" | "compensation" | "markerLeft" | "error"
> & { readonly newKeyId?: AccessKeyId };

/**
 * Failures after which a call changed nothing: AWS refused the request itself. Not
 * `LimitExceeded`: after a `CreateAccessKey`, the user holds a key the plan did not see (a rerun
 * inside IAM's propagation delay), so the marker stays for the next run's recovery.
 */
const DEFINITIVE: ReadonlyArray<string> = ["AccessDenied", "InvalidInput", "NotFound"];

/**
 * Executes one user's plan on AWS: each step in order, one AWS call per step, stopping at the
 * first failure (later steps are `skipped`). Rotation is all-or-nothing: when a step fails, the
 * core's `undoOf` says which steps undo it (the stored secret, the new key, the marker; never
 * the old key), and they are performed here; if one of them fails too, the marker stays for the
 * next run's recovery. (The core's `simulatePlan` performs plans on its pure model instead.)
 *
 * The new secret is held in memory only between `CreateKey` and `StoreNewKeySecret`.
 *
 * @example const outcome = await executePlan({ clients, settings }, decide(settings, today)(snapshot))
 */
export const executePlan = async (options: ExecuteOptions, plan: Plan): Promise<PlanOutcome> => {
  const log = options.log ?? silentLog;
  const userName = plan.userName;
  const views = plan.steps.map(viewStep);
  if (options.dryRun ?? options.settings.dryRun) {
    return {
      userName,
      status: "planned",
      steps: views.map((step) => ({ step, status: "skipped", reason: "dry-run" })),
      compensation: [],
      markerLeft: false,
    };
  }
  const state: InFlight = { newKey: undefined };
  const steps: StepOutcome[] = [];
  const run = async (step: Step): Promise<AwsError | undefined> => {
    try {
      await performStep(options, userName, step, state);
      return undefined;
    } catch (e) {
      const mapped = mapAwsError(operationOf(step, options.settings.secretStore), e);
      const secret = state.newKey?.secret;
      return secret !== undefined && mapped.message.includes(secret)
        ? new AwsError(
            mapped.tag,
            mapped.operation,
            redactSecrets(mapped.message, [secret]),
            mapped.code,
            {
              cause: e,
            },
          )
        : mapped;
    }
  };
  let failure: AwsError | undefined;
  for (const [index, step] of plan.steps.entries()) {
    const view = views[index] as StepView;
    if (failure !== undefined) {
      steps.push({ step: view, status: "skipped", reason: "earlier-step-failed" });
      continue;
    }
    const error = await run(step);
    if (error === undefined) {
      steps.push({ step: view, status: "ok" });
      log({
        level: "info",
        event: "step-done",
        message: `${userName}: ${view.summary}`,
        userName,
        action: view.action,
      });
      continue;
    }
    failure = error;
    steps.push({ step: view, status: "failed", error: error.toJSON() });
    log({
      level: "error",
      event: "step-failed",
      message: `${userName}: ${view.summary}: ${error.message}`,
      userName,
      action: view.action,
      error: error.toJSON(),
    });
  }
  const newKey = state.newKey;
  const failedAt = steps.findIndex((o) => o.status === "failed");
  const undo =
    failure === undefined
      ? []
      : undoOf(options.settings, plan, {
          index: failedAt,
          definitive: DEFINITIVE.includes(failure.tag),
          createdKeyId: newKey?.id,
        });
  // Undoing the rotation: nothing of it may outlive this run, its secret least of all.
  if (newKey !== undefined && undo.length > 0) newKey.secret = undefined;
  const compensation = undo.length === 0 ? [] : await runUndo(userName, undo, run, log, newKey?.id);
  const markerKey = options.settings.stateTagKey;
  const pendingUntag = plan.steps.some(
    (s, i) => s._tag === "UntagUser" && s.tagKeys.includes(markerKey) && steps[i]?.status !== "ok",
  );
  const restored = compensation.filter(
    (c) =>
      c.step.action === "UntagUser" ||
      (c.step.action === "TagUser" && c.step.tags?.some((t) => t.key === markerKey) === true),
  );
  const markerLeft = restored.length === 0 ? pendingUntag : restored.some((c) => c.status !== "ok");
  return {
    userName,
    status: failure === undefined ? "ok" : "failed",
    steps,
    compensation,
    ...(newKey === undefined ? {} : { newKeyId: newKey.id }),
    markerLeft,
    ...(failure === undefined ? {} : { error: failure.toJSON() }),
  };
};
