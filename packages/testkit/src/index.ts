/**
 * The secret scanner and the invariant checks ship with the sandbox (the CLI's demo uses them);
 * tests take them from here.
 */
export * from "@keyrotate/sandbox/verify";
export {
  adapterActions,
  adapterOperations,
  adapterSourceDir,
  deployedActions,
  isSecretsManagerStoreOnly,
  listUsersModeOnly,
  type Operation,
  organizationOnly,
  organizationOperations,
  settingGatedActions,
} from "./adapterOperations.js";
export { ASFF_REQUIRED_FIELDS, asffProblems, isAsffTimestamp } from "./asffRules.js";
export {
  cloudFormationTags,
  type Deployment,
  type Json,
  type JsonObject,
  loadSpecification,
  loadTemplate,
  Resolver,
  type Resource,
  referenceProblems,
  resourceAttributes,
  type Specification,
  specProblems,
  type Template,
  templateSpecProblems,
} from "./cfn.js";
export {
  type CrashCounting,
  type CrashPoint,
  type CrashSwitch,
  crashSwitch,
} from "./crashSwitch.js";
export {
  type Decision,
  type RunPlace,
  runResourceOf,
  type SimulatedRequest,
  simulate,
} from "./iamSimulation.js";
export { fakeContext } from "./lambdaContext.js";
export {
  BUCKET,
  type Harness,
  harnessCheckSettings,
  keysOf,
  MUTATING_OPERATIONS,
  mutatingCalls,
  SENDER,
  startHarness,
  tagsOf,
  undeliveredKeys,
  useNewestKey,
} from "./sandboxHarness.js";
export { mailedUser, TEST_KMS_KEY } from "./scenario.js";
export {
  emailUser,
  type MemberDelivery,
  memberScenario,
  troubledOrganization,
} from "./troubledOrganization.js";
export { withoutBackoff } from "./withoutBackoff.js";
