export type { SandboxUser } from "./account.js";
export { SANDBOX_ACCOUNT_ID } from "./account.js";
export type {
  FaultCounts,
  FaultSettings,
  OperationFailure,
  ServiceName,
  ThrottleSettings,
} from "./faults.js";
export { FaultSettingsError } from "./faults.js";
export { CREDENTIAL_REPORT_COLUMNS } from "./iam/credential-report.js";
export type { IssuedSecret, KeyEvent } from "./iam/store.js";
export {
  DEFAULT_MEMBER_ROLE,
  memberCredentials,
  ORGANIZATION_ID,
  type OrganizationScenario,
  ROOT_ID,
  type ScenarioAccount,
  type ScenarioOu,
  type ScenarioRole,
} from "./organizations.js";
export type { StoredObject } from "./s3.js";
export type {
  Sandbox,
  SandboxAccount,
  SandboxAccountInfo,
  SandboxClock,
  SandboxOptions,
} from "./sandbox.js";
export { startSandbox } from "./sandbox.js";
export type { Scenario, ScenarioKey, ScenarioKmsKey, ScenarioUser } from "./scenario.js";
export { ScenarioError } from "./scenario.js";
export { ADMIN_CREDENTIALS } from "./server.js";
export type { SentEmail } from "./ses.js";
