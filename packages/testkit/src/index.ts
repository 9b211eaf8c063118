export {
  adapterActions,
  adapterOperations,
  adapterSourceDir,
  deployedActions,
  listUsersModeOnly,
  type Operation,
  organizationOnly,
  organizationOperations,
} from "./adapterOperations.js";
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
  type Decision,
  type RunPlace,
  runResourceOf,
  type SimulatedRequest,
  simulate,
} from "./iamSimulation.js";
export { fakeContext } from "./lambdaContext.js";
export {
  emailUser,
  type MemberDelivery,
  memberScenario,
  troubledOrganization,
} from "./troubledOrganization.js";
