/**
 * The entry of the deployed bundle: the three handlers of the state machine (`index.list`,
 * `index.worker`, `index.summarise`), each made from its own function's `process.env` when the
 * container starts, with the real clock. A function's settings are checked there and reported
 * when it is invoked. The makers are exported too, so that tests run the bundle's own code on a
 * clock of theirs.
 */
import { createListHandler } from "./list.js";
import { createSummariseHandler } from "./summarise.js";
import { createWorkerHandler } from "./worker.js";

export { createListHandler, createSummariseHandler, createWorkerHandler };

export const list = createListHandler({ env: process.env });
export const worker = createWorkerHandler({ env: process.env });
export const summarise = createSummariseHandler({ env: process.env });
