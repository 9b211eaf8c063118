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
export { fakeContext } from "./lambdaContext.js";
