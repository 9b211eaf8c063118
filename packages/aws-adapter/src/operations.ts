import type { Settings, Step } from "@keyrotate/core";

/** Where new secrets go (`SECRET_STORE`). */
export type SecretStore = Settings["secretStore"];

/** The operations each kind of step calls with the S3 store, as call counts name them: one per step. */
const STEP_OPERATIONS: { readonly [K in Step["_tag"]]: ReadonlyArray<string> } = {
  TagUser: ["iam:TagUser"],
  UntagUser: ["iam:UntagUser"],
  CreateKey: ["iam:CreateAccessKey"],
  StoreNewKeySecret: ["s3:PutObject"],
  DeactivateKey: ["iam:UpdateAccessKey"],
  DeleteKey: ["iam:DeleteAccessKey"],
  DeleteStoredSecret: ["s3:DeleteObject"],
  SendNotice: ["ses:SendEmail"],
};

/**
 * The steps whose changing calls differ with `SECRET_STORE=secretsmanager` (`secretsManagerStore.ts`):
 * storing creates the user's secret if needed, puts its policy, then the value; retiring moves or
 * removes the version's staging labels, or deletes a secret left with no other version; deleting a
 * retired key first removes its version's labels. (Each also
 * reads: `iam:GetUser`, `secretsmanager:DescribeSecret`.)
 */
const SECRETS_MANAGER_OPERATIONS: {
  readonly [K in "StoreNewKeySecret" | "DeleteStoredSecret" | "DeleteKey"]: ReadonlyArray<string>;
} = {
  StoreNewKeySecret: [
    "secretsmanager:CreateSecret",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:PutSecretValue",
  ],
  DeleteStoredSecret: ["secretsmanager:UpdateSecretVersionStage", "secretsmanager:DeleteSecret"],
  // A retired key's value loses its labels before the key is deleted (an undelivered key's
  // value goes in the undo's DeleteStoredSecret).
  DeleteKey: ["iam:DeleteAccessKey", "secretsmanager:UpdateSecretVersionStage"],
};

/** The changing operations a step may call with a store, as call counts name them. */
export const operationsOf = (step: Step, store: SecretStore = "s3"): ReadonlyArray<string> =>
  store === "secretsmanager" &&
  (step._tag === "StoreNewKeySecret" ||
    step._tag === "DeleteStoredSecret" ||
    step._tag === "DeleteKey")
    ? SECRETS_MANAGER_OPERATIONS[step._tag]
    : STEP_OPERATIONS[step._tag];

/** The operation a step stands for, as an error names it: its first (with S3, its only) call. */
export const operationOf = (step: Step, store: SecretStore = "s3"): string =>
  operationsOf(step, store)[0] ?? "unknown";

/**
 * Every operation a plan's steps can call, with either store: the calls that change the account
 * or send mail. Every other call keyrotate makes is a read. Tests and benchmarks count calls with it.
 */
export const MUTATING_OPERATIONS: ReadonlyArray<string> = [
  ...new Set(
    [...Object.values(STEP_OPERATIONS), ...Object.values(SECRETS_MANAGER_OPERATIONS)].flat(),
  ),
];
