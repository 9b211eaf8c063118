/**
 * @keyrotate/aws-adapter: reads an AWS account into keyrotate's snapshots and applies the core's
 * plans against IAM, S3 and SES. It translates and never decides: every decision is the core's.
 */

export { asffPlaceOf } from "./accountPlace.js";
export { renderAdminSummary, renderOrgAdminSummary } from "./adminSummary.js";
export {
  ASFF_SCHEMA_VERSION,
  type AsffControlId,
  type AsffControlOutcome,
  type AsffFinding,
  type AsffPlace,
  type AsffResource,
  type AsffSeverityLabel,
  type AsffUser,
  asffFindingId,
  asffFindings,
  asffUpdates,
  defaultProductArn,
  partitionOf,
} from "./asff.js";
export {
  ApiCallCounter,
  type AttemptMiddleware,
  type AwsClients,
  type CreateAwsClientsOptions,
  createAwsClients,
  type ServiceName,
} from "./clients.js";
export {
  ageControl,
  CIS_UNUSED_DAYS,
  type ControlKey,
  type ControlOutcome,
  type ControlResult,
  IAM8_UNUSED_DAYS,
  IAM22_UNUSED_DAYS,
  MAX_KEY_AGE_DAYS,
  oneActiveKeyControl,
  securityHubControls,
  unusedControl,
} from "./controls.js";
export {
  type CredentialReport,
  type CredentialReportKey,
  type CredentialReportUser,
  DEFAULT_REPORT_INITIAL_DELAY_MS,
  DEFAULT_REPORT_MAX_DELAY_MS,
  type FetchedReport,
  fetchCredentialReport,
  parseCredentialReport,
  parseCredentialReportRows,
  type ReadReportOptions,
  type ReportPolling,
  readCredentialReport,
  type UnreadableReportRow,
} from "./credentialReport.js";
export { EMAIL_KIND_NAME, type EmailKind, type RenderedEmail } from "./email.js";
export { checkHeaders, headerProblem } from "./emailHeaders.js";
export { escapeHtml } from "./emailMarkup.js";
export { type EmlOptions, renderEml } from "./eml.js";
export {
  AwsError,
  type AwsErrorJson,
  type AwsErrorTag,
  mapAwsError,
  redactSecrets,
} from "./errors.js";
export { type ExecuteOptions, executePlan, type PlanOutcome } from "./executePlan.js";
export { type ExecutePlansOptions, executePlans, type ProgressEvent } from "./executePlans.js";
export {
  acquireLease,
  DEFAULT_LEASE_KEY,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_LEASE_WAIT_MS,
  type HeldLease,
  type LeaseOptions,
  type LeaseRecord,
  leaseOptionsFromEnv,
} from "./lease.js";
export type { Log, LogEntry } from "./log.js";
export { type NoticeContext, renderNotice } from "./notices.js";
export { MUTATING_OPERATIONS, operationsOf, type SecretStore } from "./operations.js";
export {
  type AccountCredentials,
  type AccountOutcome,
  type AccountRunOptions,
  type AccountSelection,
  type AccountsDone,
  type CreateOrgClientsOptions,
  createOrgClients,
  discoverAccounts,
  type ForEachAccountOptions,
  forEachAccount,
  type OrgAccount,
  type OrganizationRunOptions,
  type OrgClients,
  type OrgProgressEvent,
  runAccount,
  runOrganization,
} from "./organization.js";
export {
  type AccountCounts,
  type AccountSection,
  type AccountStatus,
  accountCounts,
  assembleOrgReport,
  ORG_REPORT_SCHEMA_VERSION,
  type OrgReport,
  type OrgReportParts,
  type SkippedAccount,
  type SkipReason,
  selectionOf,
} from "./orgReport.js";
export {
  DEFAULT_ORG_CONCURRENCY,
  decodeOrgSettings,
  MAX_ORG_CONCURRENCY,
  ORG_SETTING_NAMES,
  type OrgSettings,
} from "./orgSettings.js";
export {
  DEFAULT_IAM_PACING,
  type LearnedPacing,
  type Pacing,
  QUIET_SPEEDUP,
  THROTTLE_BACKOFF,
  TokenBucket,
} from "./pacing.js";
export {
  type ApplyAfterPreflightOptions,
  applyAfterPreflight,
  PREFLIGHT_OBJECT_KEY,
  type PreflightCheck,
  type PreflightedOutcomes,
  type PreflightFailure,
  type PreflightReport,
  preflight,
  rotates,
  senderIdentities,
} from "./preflight.js";
export {
  type AdminSummaryOutcome,
  CHANNEL_OFF,
  type ChannelReport,
  type ChannelsReport,
  type KeyView,
  RUN_REPORT_SCHEMA_VERSION,
  type RunCounts,
  type RunReport,
  type StepOutcome,
  type StepStatus,
  type StepView,
  type UserReport,
  type UserStatus,
} from "./report.js";
export { reportLastUse } from "./reportLastUse.js";
export { type RunOptions, runKeyrotate } from "./run.js";
export {
  type AccountScan,
  type ScanMode,
  type ScannedUser,
  type ScanOptions,
  type SkippedUser,
  scanAccount,
} from "./scan.js";
export {
  readSecretFile,
  SECRET_FILE_PREFIX,
  type SecretFile,
  secretFiles,
  secretFileUrl,
  secretObjectKey,
  secretObjectKeyPattern,
} from "./secretFile.js";
export {
  getSecretValueCommand,
  ownerOnlyPolicy,
  SECRET_NAME_PREFIX,
  secretName,
  secretsManagerFormat,
  secretVersionId,
} from "./secretsManagerStore.js";
// The channels' modules load only when a setting turns them on (see run.ts): their types only.
export type { ImportFindingsOptions } from "./securityHub.js";
export { sendEmail } from "./sendEmail.js";
export type {
  SnsMessage,
  SnsRunMessage,
  SnsUserAction,
  SnsUserActionMessage,
} from "./snsMessages.js";
export { viewStep } from "./stepView.js";
export type { WebhookMessage } from "./webhook.js";
