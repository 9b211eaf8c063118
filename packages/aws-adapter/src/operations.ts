import type { Step } from "@keyrotate/core";

/** The operation each kind of step calls, as call counts name it: one call per step. */
const STEP_OPERATIONS: { readonly [K in Step["_tag"]]: string } = {
  TagUser: "iam:TagUser",
  UntagUser: "iam:UntagUser",
  CreateKey: "iam:CreateAccessKey",
  StoreNewKeySecret: "s3:PutObject",
  DeactivateKey: "iam:UpdateAccessKey",
  DeleteKey: "iam:DeleteAccessKey",
  DeleteStoredSecret: "s3:DeleteObject",
  SendNotice: "ses:SendEmail",
};

/** The operation a step calls, as call counts name it. */
export const operationOf = (step: Step): string => STEP_OPERATIONS[step._tag];

/**
 * Every operation a plan's steps can call: the calls that change the account or send mail.
 * Every other call keyrotate makes is a read. Tests and benchmarks count calls with it.
 */
export const MUTATING_OPERATIONS: ReadonlyArray<string> = Object.values(STEP_OPERATIONS);
