import type { AccessKey, AccessKeyId, Tag, UserSnapshot } from "./AccessKey.js";
import { LastUse } from "./AccessKey.js";
import { type CalendarDate, type Instant, startOfDay } from "./CalendarDate.js";
import type { Notice, Plan, Step } from "./Plan.js";
import { fillPlaceholders } from "./tracking.js";

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
export interface ApplyContext {
  readonly today: CalendarDate;
  readonly newKeyId: AccessKeyId;
  /** The second the run performs its steps (default: noon of `today`). */
  readonly now?: Instant;
}

const nowOf = (ctx: ApplyContext): Instant => ctx.now ?? startOfDay(ctx.today) + 12 * 3600;

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
 * Applies one step to the world as AWS would: the pure model that tests and simulations use in
 * place of IAM, S3 and SES.
 */
export const applyStep = (world: World, step: Step, ctx: ApplyContext): World => {
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
 * Applies a plan's steps in order, or only the first `stepLimit` of them to model a run that
 * crashed after that many calls.
 */
export const applyPlan = (
  world: World,
  plan: Plan,
  ctx: ApplyContext,
  stepLimit = Number.POSITIVE_INFINITY,
): World =>
  plan.steps
    .slice(0, stepLimit)
    .reduce((w, step) => applyStep(w, step, ctx), { ...world, createdKeyId: undefined } as World);

/** How a modelled run goes wrong. */
export type Fault =
  /** The process dies after this many steps: nothing more happens, not even a rollback. */
  | { readonly _tag: "Crash"; readonly afterSteps: number }
  /** Every notice this predicate picks fails to send (SES refuses it); the run goes on as the adapter does. */
  | { readonly _tag: "SendFails"; readonly fails: (notice: Notice) => boolean }
  /**
   * The step at this index fails. `definitive` for an AWS refusal (4xx), otherwise the outcome
   * is unknown and, for `CreateKey`, the key may exist all the same.
   */
  | { readonly _tag: "StepFails"; readonly step: number; readonly definitive: boolean };

/**
 * Applies a plan as the adapter does, with a fault: a failed step stops the user's plan; a
 * rotation that fails before its commit is undone (the new key and its file discarded, then
 * the plan's `rollback`), except when a `CreateKey` failed with an unknown outcome: then the
 * marker stays, and the key may exist (modelled as made) for the next run's recovery.
 */
export const applyRun = (world: World, plan: Plan, ctx: ApplyContext, fault?: Fault): World => {
  if (fault?._tag === "Crash") return applyPlan(world, plan, ctx, fault.afterSteps);
  let w: World = { ...world, createdKeyId: undefined };
  let committed = false;
  for (const [index, step] of plan.steps.entries()) {
    const fails =
      (fault?._tag === "StepFails" && fault.step === index) ||
      (fault?._tag === "SendFails" && step._tag === "SendNotice" && fault.fails(step.notice));
    if (fails) {
      if (step._tag === "CreateKey" && fault?._tag === "StepFails" && !fault.definitive) {
        // IAM may have made the key before the call failed: the marker stays for recovery.
        return applyStep(w, step, ctx);
      }
      if (committed || (w.createdKeyId === undefined && step._tag !== "CreateKey")) return w;
      if (plan.rollback === undefined) return w;
      const made = w.createdKeyId;
      if (made !== undefined) {
        w = {
          ...w,
          storedSecrets: w.storedSecrets.filter((id) => id !== made),
          user: { ...w.user, keys: w.user.keys.filter((k) => k.id !== made) },
        };
      }
      return plan.rollback.reduce((acc, st) => applyStep(acc, st, ctx), w);
    }
    w = applyStep(w, step, ctx);
    if (step._tag === "TagUser" && step.commitsRotation) committed = true;
  }
  return w;
};
