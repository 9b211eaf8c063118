import type { AccessKey, AccessKeyId, Tag, UserSnapshot } from "./AccessKey.js";
import { LastUse } from "./AccessKey.js";
import type { CalendarDate } from "./CalendarDate.js";
import type { Notice, Plan, Step } from "./Plan.js";

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
}

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
      const tags: Tag[] = [...user.tags.filter((t) => !keys.has(t.key)), ...step.tags];
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
        const resolved: Notice = { ...n, newKey: { _tag: "Existing", keyId: world.createdKeyId } };
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
