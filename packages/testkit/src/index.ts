/**
 * The secret scanner and the invariant checks ship with the sandbox (the CLI's demo uses them);
 * tests take them from here.
 */
export * from "@keyrotate/sandbox/verify";
export {
  type CrashCounting,
  type CrashPoint,
  type CrashSwitch,
  crashSwitch,
} from "./crashSwitch.js";
export { fakeContext } from "./lambdaContext.js";
export {
  BUCKET,
  type Harness,
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
export { withoutBackoff } from "./withoutBackoff.js";
