/**
 * The entry of the deployed bundle (`index.handler`): the only module that builds a handler on
 * import. The package's library entry (`index.ts`) has no side effects.
 */
import { createHandler, type KeyrotateHandler } from "./handler.js";

export { createHandler } from "./handler.js";

/**
 * The deployed handler: settings from `process.env`, decoded and turned into AWS clients once,
 * when the container starts; today's date from the real clock on every invocation.
 */
export const handler: KeyrotateHandler = createHandler({ env: process.env });
