import type { SettingProblem, SettingsInput } from "@keyrotate/core";
import { type HandlerLogger, InvalidEventError, InvalidSettingsError } from "@keyrotate/lambda";
import type { Context } from "aws-lambda";
import * as E from "fp-ts/lib/Either.js";

// What the three handlers share, as the lambda package's handler does it: settings decoded and
// clients built once when a handler is made; invalid settings or events stop an invocation
// before any AWS call, with one logged error that names every problem.

/**
 * Decodes once: the settings and what is built from them (clients), or the error every
 * invocation then throws.
 */
export const prepare = <S extends object, R extends object>(
  decoded: E.Either<ReadonlyArray<SettingProblem>, S>,
  build: (settings: S) => R,
): E.Either<InvalidSettingsError, S & R> =>
  E.isLeft(decoded)
    ? E.left(new InvalidSettingsError(decoded.left))
    : E.right({ ...decoded.right, ...build(decoded.right) });

/** The start of an invocation: the logger gets the context; invalid settings throw, logged. */
export const whenReady = <T>(
  prepared: E.Either<InvalidSettingsError, T>,
  logger: HandlerLogger,
  context: Context | undefined,
): T => {
  if (context !== undefined) logger.addContext(context);
  if (E.isLeft(prepared)) {
    logger.error(prepared.left.message, { event: "settings-invalid" });
    throw prepared.left;
  }
  return prepared.right;
};

/** An invocation's event, read, or an {@link InvalidEventError} saying what `step` cannot do. */
export const eventOrThrow = <T>(
  parsed: E.Either<string, T>,
  logger: HandlerLogger,
  step: string,
): T => {
  if (E.isLeft(parsed)) {
    logger.error(parsed.left, { event: "event-invalid" });
    throw new InvalidEventError(`keyrotate cannot ${step}: ${parsed.left}`);
  }
  return parsed.right;
};

/** The function's region for the clients it builds (the SDK's chain when unset). */
export const regionOf = (env: SettingsInput): { region?: string } =>
  env.AWS_REGION === undefined || env.AWS_REGION === "" ? {} : { region: env.AWS_REGION };
