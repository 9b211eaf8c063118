/**
 * @keyrotate/sandbox/verify: what a test or the demo checks on a sandbox after keyrotate ran.
 * Kept apart from the emulator: the secret-hygiene scanner. Imported by the CLI's demo (product
 * code, so it ships with the sandbox package) and re-exported by `@keyrotate/testkit` for tests.
 */
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
} from "./secretHygiene.js";
