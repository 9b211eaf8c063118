/**
 * The entry of the deployed bundle: the three handlers of the state machine (`index.list`,
 * `index.worker`, `index.summarise`), each made from its own function's `process.env` when the
 * container starts. A function's settings are checked there and reported when it is invoked.
 */
import { createListHandler } from "./list.js";
import { createSummariseHandler } from "./summarise.js";
import { createWorkerHandler } from "./worker.js";

export const list = createListHandler({ env: process.env });
export const worker = createWorkerHandler({ env: process.env });
export const summarise = createSummariseHandler({ env: process.env });
