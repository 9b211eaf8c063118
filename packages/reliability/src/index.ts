/**
 * @keyrotate/reliability: keyrotate's reliability and security proofs. The chaos simulation,
 * the checks it runs on the sandbox after every day, and a secret-hygiene scanner that tests of
 * any package can use.
 */

/** The secret scanner lives with the sandbox that issues the secrets; re-exported here. */
export {
  describeLeaks,
  emailTexts,
  type LabelledTexts,
  type SecretHygiene,
  type SecretLeak,
  type SecretSource,
  scanForSecrets,
  secretHygiene,
  textsOf,
} from "@keyrotate/sandbox";
export {
  type ChaosOptions,
  type ChaosResult,
  crashSwitch,
  type DayProgress,
  runChaos,
  withoutBackoff,
} from "./chaos.js";
export {
  type AccountView,
  type CheckName,
  type CheckSettings,
  checkConverged,
  checkDay,
  checkDeletions,
  checkKeyAges,
  checkLockout,
  checkNoticesOnce,
  checkSecrets,
  checkUnseenKeys,
  type DayRecord,
  undelivered,
  type Violation,
} from "./invariants.js";
export {
  ORIGINAL,
  type Profile,
  population,
  type SimUser,
  STRICT,
  seededRandom,
  type UserKind,
} from "./population.js";
