/**
 * @keyrotate/reliability: keyrotate's reliability and security proofs. The chaos simulation
 * and the population it runs on; the checks it runs after every day are
 * `@keyrotate/sandbox/verify`'s.
 */

export {
  type ChaosOptions,
  type ChaosResult,
  type DayProgress,
  runChaos,
} from "./chaos.js";
export {
  ORIGINAL,
  type Profile,
  population,
  type SimUser,
  STRICT,
  seededRandom,
  type UserKind,
} from "./population.js";
