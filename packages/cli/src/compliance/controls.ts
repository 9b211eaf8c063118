/** The ids of the controls a compliance report checks. */
export type ControlId = "CIS-1.12" | "CIS-1.13" | "CIS-1.14" | "IAM.3" | "IAM.8" | "IAM.22";

/** A control of a compliance framework, and how keyrotate's report evaluates it. */
export interface Control {
  readonly id: ControlId;
  readonly framework: string;
  /** The control's own title. */
  readonly title: string;
  /** What the report checks, exactly: thresholds and which keys count. */
  readonly check: string;
}

// The thresholds live with the evaluation of the controls, in the adapter (`controls.ts`).
import {
  CIS_UNUSED_DAYS,
  IAM8_UNUSED_DAYS,
  IAM22_UNUSED_DAYS,
  MAX_KEY_AGE_DAYS,
} from "@keyrotate/aws-adapter";

export { CIS_UNUSED_DAYS, IAM8_UNUSED_DAYS, IAM22_UNUSED_DAYS, MAX_KEY_AGE_DAYS };

/**
 * The controls a compliance report maps keys to: CIS AWS Foundations Benchmark (v1.4.0 to
 * v3.0.0 numbering) 1.12 to 1.14, and AWS Security Hub IAM.3, IAM.8 and IAM.22. Only access keys are
 * evaluated: console passwords are outside keyrotate's reach.
 */
export const controls: ReadonlyArray<Control> = [
  {
    id: "CIS-1.12",
    framework: "CIS AWS Foundations Benchmark",
    title: "Ensure credentials unused for 45 days or greater are disabled",
    check: `fails when an Active key was last used ${CIS_UNUSED_DAYS} or more days ago, or was never used and is ${CIS_UNUSED_DAYS} or more days old`,
  },
  {
    id: "CIS-1.13",
    framework: "CIS AWS Foundations Benchmark",
    title: "Ensure there is only one active access key available for any single IAM user",
    check: "fails when the user holds two Active keys",
  },
  {
    id: "CIS-1.14",
    framework: "CIS AWS Foundations Benchmark",
    title: "Ensure access keys are rotated every 90 days or less",
    check: `fails when an Active key is more than ${MAX_KEY_AGE_DAYS} days old`,
  },
  {
    id: "IAM.3",
    framework: "AWS Security Hub",
    title: "IAM users' access keys should be rotated every 90 days or less",
    check: `fails when an Active key is more than ${MAX_KEY_AGE_DAYS} days old (AWS Config rule access-keys-rotated, maxAccessKeyAge 90)`,
  },
  {
    id: "IAM.8",
    framework: "AWS Security Hub",
    title: "Unused IAM user credentials should be removed",
    check: `fails when an Active key has not been used within ${IAM8_UNUSED_DAYS} days (AWS Config rule iam-user-unused-credentials-check, maxCredentialUsageAge 90)`,
  },
  {
    id: "IAM.22",
    framework: "AWS Security Hub",
    title: "IAM user credentials unused for 45 days should be removed",
    check: `fails when an Active key has not been used within ${IAM22_UNUSED_DAYS} days (AWS Config rule iam-user-unused-credentials-check, maxCredentialUsageAge 45)`,
  },
];
