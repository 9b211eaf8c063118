import type { AccessKey, AccessKeyId, Tag, UserSnapshot } from "./AccessKey.js";
import { LastUse } from "./AccessKey.js";
import { type CalendarDate, type Instant, startOfDay } from "./CalendarDate.js";
import type { Notice, Plan, Step } from "./Plan.js";
import { fillPlaceholders } from "./tracking.js";
import { undoOf } from "./undo.js";

/** An account in miniature for the pure model: IAM users, stored secrets and sent notices. */
export interface World {
  readonly user: UserSnapshot;
  /** Keys whose secret is stored (`credential/<user>/<user>_<id>.csv`). */
  readonly storedSecrets: ReadonlyArray<AccessKeyId>;
  /** Notices sent so far, with a created key resolved to its id. */
  readonly notices: ReadonlyArray<Notice>;
  /** The key made by the plan's `CreateKey` step, once it ran. */
  readonly createdKeyId: AccessKeyId | undefined;
}

/** What the pure model needs beyond the plan: the day, and the id IAM gives a new key. */
export interface SimulationContext {
  readonly today: CalendarDate;
  readonly newKeyId: AccessKeyId;
  /** The second the run performs its steps (default: noon of `today`). */
  readonly now?: Instant;
}

const nowOf = (ctx: SimulationContext): Instant => ctx.now ?? startOfDay(ctx.today) + 12 * 3600;

/** A step the model cannot perform, as IAM would refuse it (a third key, a missing key). */
export class ModelError extends Error {
  override readonly name = "ModelError";
}

/** A fresh world around one user. */
export const worldOf = (user: UserSnapshot): World => ({
  user,
  storedSecrets: [],
  notices: [],
  createdKeyId: undefined,
});

/**
 * Performs one step on the modelled world as AWS would: the pure model that tests, simulations
 * and the CLI's forecast use in place of IAM, S3 and SES. (The adapter's `executePlan` performs
 * plans on AWS itself.)
 */
export const simulateStep = (world: World, step: Step, ctx: SimulationContext): World => {
  const { user } = world;
  const keyOf = (id: AccessKeyId): AccessKey => {
    const key = user.keys.find((k) => k.id === id);
    if (key === undefined) throw new ModelError(`${user.userName} has no key ${id}`);
    return key;
  };
  switch (step._tag) {
    case "TagUser": {
      const keys = new Set(step.tags.map((t) => t.key));
      const filled = step.tags.map((t) => ({
        key: t.key,
        value: fillPlaceholders(t.value, { now: nowOf(ctx), newKeyId: world.createdKeyId }),
      }));
      const tags: Tag[] = [...user.tags.filter((t) => !keys.has(t.key)), ...filled];
      if (tags.length > 50) throw new ModelError(`${user.userName} would have ${tags.length} tags`);
      return { ...world, user: { ...user, tags } };
    }
    case "UntagUser":
      return {
        ...world,
        user: { ...user, tags: user.tags.filter((t) => !step.tagKeys.includes(t.key)) },
      };
    case "CreateKey": {
      if (user.keys.length >= 2) throw new ModelError(`${user.userName} already holds two keys`);
      if (user.keys.some((k) => k.id === ctx.newKeyId))
        throw new ModelError(`key ${ctx.newKeyId} exists`);
      const key: AccessKey = {
        id: ctx.newKeyId,
        status: "Active",
        created: ctx.today,
        createdAt: nowOf(ctx),
        lastUse: LastUse.never,
      };
      return { ...world, user: { ...user, keys: [...user.keys, key] }, createdKeyId: ctx.newKeyId };
    }
    case "StoreNewKeySecret": {
      if (world.createdKeyId === undefined) throw new ModelError("no key was created to store");
      return { ...world, storedSecrets: [...world.storedSecrets, world.createdKeyId] };
    }
    case "DeactivateKey":
      keyOf(step.keyId);
      return {
        ...world,
        user: {
          ...user,
          keys: user.keys.map((k) => (k.id === step.keyId ? { ...k, status: "Inactive" } : k)),
        },
      };
    case "DeleteKey":
      keyOf(step.keyId);
      return { ...world, user: { ...user, keys: user.keys.filter((k) => k.id !== step.keyId) } };
    case "DeleteStoredSecret":
      return { ...world, storedSecrets: world.storedSecrets.filter((id) => id !== step.keyId) };
    case "SendNotice": {
      const n = step.notice;
      if (n.kind === "Rotated" && n.newKey._tag === "Created") {
        if (world.createdKeyId === undefined)
          throw new ModelError("a Rotated notice before its key");
        const resolved: Notice = { ...n, newKey: { _tag: "Stored", keyId: world.createdKeyId } };
        return { ...world, notices: [...world.notices, resolved] };
      }
      return { ...world, notices: [...world.notices, n] };
    }
  }
};

/**
 * Performs a plan's steps on the modelled world in order, or only the first `stepLimit` of them
 * to model a run that crashed after that many calls.
 */
export const simulatePlan = (
  world: World,
  plan: Plan,
  ctx: SimulationContext,
  stepLimit = Number.POSITIVE_INFINITY,
): World =>
  plan.steps.slice(0, stepLimit).reduce((w, step) => simulateStep(w, step, ctx), {
    ...world,
    createdKeyId: undefined,
  } as World);

/** How a modelled run goes wrong. */
export type Fault =
  /** The process dies after this many steps: nothing more happens, not even a rollback. */
  | { readonly _tag: "Crash"; readonly afterSteps: number }
  /** Every notice this predicate picks fails to send (SES refuses it); the run goes on as the adapter does. */
  | { readonly _tag: "SendFails"; readonly fails: (notice: Notice) => boolean }
  /**
   * The step at this index fails. `definitive` for an AWS refusal (4xx): the call changed
   * nothing. Otherwise the outcome is unknown, and the model lets the call take effect (its
   * answer was lost): a `CreateKey` made a key whose id the run never learnt.
   */
  | { readonly _tag: "StepFails"; readonly step: number; readonly definitive: boolean };

/** What {@link simulateRun} needs beyond {@link SimulationContext}: the tag its undo restores. */
export interface RunContext extends SimulationContext {
  readonly stateTagKey: string;
}

/**
 * Runs a plan as the adapter does, with a fault: a failed step stops the user's plan, and the
 * core's {@link undoOf} says what undoes it (a rotation that failed before its commit); the
 * model performs those steps as the adapter does.
 */
export const simulateRun = (world: World, plan: Plan, ctx: RunContext, fault?: Fault): World => {
  if (fault?._tag === "Crash") return simulatePlan(world, plan, ctx, fault.afterSteps);
  let w: World = { ...world, createdKeyId: undefined };
  for (const [index, step] of plan.steps.entries()) {
    const fails =
      (fault?._tag === "StepFails" && fault.step === index) ||
      (fault?._tag === "SendFails" && step._tag === "SendNotice" && fault.fails(step.notice));
    if (!fails) {
      w = simulateStep(w, step, ctx);
      continue;
    }
    const definitive = fault?._tag !== "StepFails" || fault.definitive;
    if (!definitive) w = simulateStep(w, step, ctx);
    // The run knows the new key's id only from CreateKey's answer, which a failure never gives.
    const createdKeyId = step._tag === "CreateKey" ? undefined : w.createdKeyId;
    return undoOf(ctx, plan, { index, definitive, createdKeyId }).reduce(
      (acc, undo) => simulateStep(acc, undo, ctx),
      w,
    );
  }
  return w;
};
