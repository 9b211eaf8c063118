/**
 * @keyrotate/sandbox/verify: what a test or the demo checks on a sandbox after keyrotate ran,
 * kept apart from the emulator: the secret-hygiene scanner, and the checks of POLICY.md's
 * promises on the account's state (keys, tags, stored objects, sent mail, the key trail).
 * Imported by the CLI's demo (product code, so it ships with the sandbox package) and
 * re-exported by `@keyrotate/testkit` for tests.
 */
export * from "./invariants.js";
export * from "./notices.js";
export {
  deliveredTexts,
  describeLeaks,
  emailTexts,
  type LabelledTexts,
  type SecretHygiene,
  type SecretLeak,
  type SecretSource,
  scanForSecrets,
  secretHygiene,
  textsOf,
  webhookTexts,
} from "./secretHygiene.js";
