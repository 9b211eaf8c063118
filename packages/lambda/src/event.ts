import * as E from "fp-ts/lib/Either.js";

/** What one invocation asks for, read from its event. */
export interface Invocation {
  /** Plan and report only. An event can ask for a dry run; it can never turn `DRY_RUN` off. */
  readonly dryRun: boolean;
}

/** The invocation of an event that asks for nothing: a scheduled run. */
export const scheduledRun: Invocation = { dryRun: false };

/**
 * Reads the invocation from a Lambda event: `{"dryRun": true}` asks for a dry run; an EventBridge
 * scheduled event (or `{}`, or no event) is a normal run, and its other fields are ignored. An
 * event that is not an object, or whose `dryRun` is not a boolean, is rejected: running for real
 * on `{"dryRun": "yes"}` would do what the caller asked not to.
 *
 * @example parseInvocation({ dryRun: true }) // right({ dryRun: true })
 */
export const parseInvocation = (event: unknown): E.Either<string, Invocation> => {
  if (event === undefined || event === null) return E.right(scheduledRun);
  if (typeof event !== "object" || Array.isArray(event)) {
    return E.left(
      `the event must be a JSON object such as {"dryRun": true}, not ${describe(event)}`,
    );
  }
  if (!Object.hasOwn(event, "dryRun")) return E.right(scheduledRun);
  const dryRun = (event as { readonly dryRun: unknown }).dryRun;
  return typeof dryRun === "boolean"
    ? E.right({ dryRun })
    : E.left(`the event's "dryRun" must be true or false, not ${describe(dryRun)}`);
};

const describe = (value: unknown): string => {
  if (Array.isArray(value)) return "an array";
  const json = JSON.stringify(value);
  const shown = json === undefined ? String(value) : json;
  return shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
};
