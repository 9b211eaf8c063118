/**
 * @keyrotate/core: the pure key-rotation policy. From a user's keys, tags and today's date it
 * computes the plan for that user; it performs nothing and reads no clock, env or network.
 */
export {
  type AccessKey,
  AccessKeyId,
  decodeUserSnapshot,
  encodeUserSnapshot,
  IamUserSnapshot,
  KeyStatus,
  LastUse,
  lastActivity,
  type Tag,
  tagValue,
  UserName,
  type UserSnapshot,
} from "./AccessKey.js";
export {
  addDays,
  CalendarDate,
  calendarDateOfTimestamp,
  dateOfInstant,
  daysBetween,
  formatInstant,
  type Instant,
  instantOfTimestamp,
  isoOfInstant,
  parseCalendarDate,
  parseInstant,
  startOfDay,
} from "./CalendarDate.js";
export { decide } from "./decide.js";
export { EmailAddress, emailProblem, parseEmailAddress } from "./EmailAddress.js";
export {
  changesKeysOrNotifies,
  type Finding,
  type FindingCode,
  type KeyChangeReason,
  type NewKey,
  type Notice,
  type NoticeKind,
  noticesOf,
  type Plan,
  type PlanSummary,
  type Step,
  summarizePlan,
} from "./Plan.js";
export {
  decodeSettings,
  defaultPolicySettings,
  describeSettings,
  formatSettingProblem,
  HIDDEN_VALUE,
  type PolicySettingName,
  type PolicySettings,
  policySettingNames,
  type SettingName,
  type SettingProblem,
  type Settings,
  type SettingsInput,
  secretSettingNames,
  settingSpecs,
} from "./Settings.js";
export {
  type Fault,
  ModelError,
  type RunContext,
  type SimulationContext,
  simulatePlan,
  simulateRun,
  simulateStep,
  type World,
  worldOf,
} from "./simulate.js";
export {
  fillPlaceholders,
  type ParsedStateTag,
  parseStateTag,
  ROTATION_WINDOW_SECONDS,
  type StateTag,
} from "./tracking.js";
export { type ReportKey, type ReportUser, type TriageReason, triage } from "./triage.js";
export { type FailedStep, undoOf } from "./undo.js";
export { isUnused, unusedKey } from "./unused.js";
