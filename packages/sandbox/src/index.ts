// The public surface: what a demo, a test or a script driving the sandbox needs. The package's
// own tests and its CLI import internals by path.
export type { SandboxUser } from "./account.js";
export type {
  EmulatedService,
  FaultCounts,
  FaultSettings,
  OperationFailure,
  ThrottleSettings,
} from "./faults.js";
export { FaultSettingsError } from "./faults.js";
export type { IssuedSecret, KeyEvent } from "./iam/store.js";
export {
  DEFAULT_MEMBER_ROLE,
  type OrganizationScenario,
  type ScenarioAccount,
  type ScenarioOu,
  type ScenarioRole,
} from "./organizations.js";
export type { StoredObject } from "./s3/objects.js";
export type {
  AccountControl,
  ClientConfig,
  Sandbox,
  SandboxAccount,
  SandboxAccountInfo,
  SandboxClock,
  SandboxOptions,
} from "./sandbox.js";
export { startSandbox } from "./sandbox.js";
export type { Scenario, ScenarioKey, ScenarioKmsKey, ScenarioUser } from "./scenario.js";
export { ScenarioError } from "./scenario.js";
export type { SandboxSecret } from "./secrets-manager.js";
export { ASFF_REQUIRED, asffProblems, type Finding } from "./security-hub.js";
export type { SentEmail } from "./ses.js";
export type { SnsMessage } from "./sns.js";
export type { ParameterType } from "./ssm.js";
export {
  startWebhookReceiver,
  type WebhookBehaviour,
  type WebhookReceiver,
  type WebhookRequest,
} from "./webhook.js";
