/**
 * @keyrotate/reliability: keyrotate's reliability and security proofs. The chaos simulation
 * and the checks it runs on the sandbox after every day.
 */

export {
  type ChaosOptions,
  type ChaosResult,
  type DayProgress,
  runChaos,
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
