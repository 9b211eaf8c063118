/** The secret scanner ships with the sandbox (the CLI's demo uses it); tests take it from here. */
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
} from "@keyrotate/sandbox/verify";
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
