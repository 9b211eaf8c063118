/**
 * @keyrotate/org: keyrotate over an AWS Organization on Step Functions. The list step discovers
 * the accounts, a Distributed Map runs the worker once per account, and the summarise step
 * merges the results into the org report and mails the admin.
 */
export {
  type ListOutput,
  type MapItem,
  type MapOutput,
  parseSummariseEvent,
  parseWorkerEvent,
  type SummariseEvent,
  type WorkerEvent,
} from "./events.js";
export { createListHandler, type ListDeps, type ListEvent, type SelectionRecord } from "./list.js";
export {
  type ChildExecution,
  parseManifest,
  parseResultFile,
  type ResultFile,
  type ResultManifest,
  sectionOf,
} from "./resultWriter.js";
export {
  ACCOUNT_ID_TOKEN,
  decodeListSettings,
  decodeRunSettings,
  type ListSettings,
  type RunSettings,
  settingsForAccount,
} from "./settings.js";
export { runKeys } from "./store.js";
export {
  createSummariseHandler,
  type SummariseDeps,
  type SummariseOutput,
} from "./summarise.js";
export { AccountThrottledError, createWorkerHandler, type WorkerDeps } from "./worker.js";
