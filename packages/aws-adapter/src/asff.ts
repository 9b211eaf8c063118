/**
 * The compliance report's failing controls as AWS Security Finding Format (ASFF) findings, for
 * `keyrotate report --format asff` and for Security Hub's `BatchImportFindings`. Pure: the
 * caller passes the account, its place and the time.
 */

/** The version of ASFF the findings follow. */
export const ASFF_SCHEMA_VERSION = "2018-10-08" as const;

/** The controls that become findings: Security Hub IAM.3, IAM.8, IAM.22 and CIS 1.13. */
export type AsffControlId = "IAM.3" | "IAM.8" | "IAM.22" | "CIS-1.13";

/** ASFF's severity labels. */
export type AsffSeverityLabel = "INFORMATIONAL" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";

interface AsffControl {
  readonly id: AsffControlId;
  readonly title: string;
  readonly description: string;
  readonly severity: AsffSeverityLabel;
  readonly types: ReadonlyArray<string>;
  /** `key`: one finding per failing key; `user`: one finding per failing user. */
  readonly per: "key" | "user";
}

const bestPractices = "Software and Configuration Checks/AWS Security Best Practices";
const cis =
  "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark";

/** How each control becomes a finding; titles are the controls' own, severities Security Hub's. */
const asffControls: ReadonlyArray<AsffControl> = [
  {
    id: "IAM.3",
    title: "IAM users' access keys should be rotated every 90 days or less",
    description:
      "The access key is Active and more than 90 days old. keyrotate rotates it after warning its owner.",
    severity: "MEDIUM",
    types: [bestPractices],
    per: "key",
  },
  {
    id: "IAM.8",
    title: "Unused IAM user credentials should be removed",
    description: "The access key is Active and has not been used within 90 days.",
    severity: "MEDIUM",
    types: [bestPractices],
    per: "key",
  },
  {
    id: "IAM.22",
    title: "IAM user credentials unused for 45 days should be removed",
    description: "The access key is Active and has not been used within 45 days.",
    severity: "MEDIUM",
    types: [bestPractices],
    per: "key",
  },
  {
    id: "CIS-1.13",
    title: "Ensure there is only one active access key available for any single IAM user",
    description: "The IAM user holds two Active access keys.",
    severity: "LOW",
    types: [bestPractices, cis],
    per: "user",
  },
];

/** A control's result for one user, as the compliance report gives it. */
export interface AsffControlOutcome {
  readonly result: "pass" | "fail" | "unknown";
  readonly reason: string;
  /** The keys that fail a per-key control. */
  readonly keys?: ReadonlyArray<string>;
}

/** One user of a compliance report: its keys and each control's outcome. */
export interface AsffUser {
  readonly userName: string;
  readonly keys: ReadonlyArray<{
    readonly id: string;
    readonly status: "Active" | "Inactive";
    /** `YYYY-MM-DD`. */
    readonly created: string;
  }>;
  readonly controls: { readonly [control: string]: AsffControlOutcome | undefined };
}

/** Where findings belong: the account, and the region and partition of its Security Hub. */
export interface AsffPlace {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

/** An ASFF resource of a keyrotate finding. */
export interface AsffResource {
  readonly Type: "AwsIamAccessKey" | "AwsIamUser";
  readonly Id: string;
  readonly Partition: string;
  readonly Region: string;
  readonly Details?: {
    readonly AwsIamAccessKey: {
      readonly AccessKeyId: string;
      readonly AccountId: string;
      readonly UserName: string;
      readonly PrincipalName: string;
      readonly PrincipalType: "IAMUser";
      readonly Status: "Active" | "Inactive";
      readonly CreatedAt: string;
    };
  };
}

/** An ASFF finding as keyrotate makes it; `Workflow` is never set, so the user's choice stays. */
export interface AsffFinding {
  readonly SchemaVersion: typeof ASFF_SCHEMA_VERSION;
  readonly Id: string;
  readonly ProductArn: string;
  readonly GeneratorId: string;
  readonly AwsAccountId: string;
  readonly Types: ReadonlyArray<string>;
  readonly CreatedAt: string;
  readonly UpdatedAt: string;
  readonly Severity: { readonly Label: AsffSeverityLabel };
  readonly Title: string;
  readonly Description: string;
  readonly ProductFields: { readonly [key: string]: string };
  readonly Resources: ReadonlyArray<AsffResource>;
  readonly Compliance: { readonly Status: "FAILED" | "PASSED" };
  readonly RecordState: "ACTIVE" | "ARCHIVED";
}

/** The partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`. */
export const partitionOf = (region: string | undefined): string =>
  region?.startsWith("cn-") ? "aws-cn" : region?.startsWith("us-gov-") ? "aws-us-gov" : "aws";

/** The ARN of an account's default product, under which a customer imports its own findings. */
export const defaultProductArn = (place: AsffPlace): string =>
  `arn:${place.partition}:securityhub:${place.region}:${place.accountId}:product/${place.accountId}/default`;

/**
 * A finding's Id: stable per account, control and key (or user, for CIS 1.13), so that
 * importing it again updates the same finding.
 */
export const asffFindingId = (accountId: string, control: AsffControlId, subject: string): string =>
  `keyrotate/${accountId}/${control}/${subject}`;

// ASFF's Description is at most 1,024 characters; a reason names keys, so a long one is cut.
const DESCRIPTION_MAX = 1024;
const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/**
 * The user as a resource. Its ARN is built without the user's path (the compliance report does
 * not hold it): a user made with a path (`/division/`) gets an Id that is not its real ARN.
 */
const userResource = (place: AsffPlace, userName: string): AsffResource => ({
  Type: "AwsIamUser",
  Id: `arn:${place.partition}:iam::${place.accountId}:user/${userName}`,
  Partition: place.partition,
  Region: place.region,
});

const keyResource = (
  place: AsffPlace,
  userName: string,
  key: AsffUser["keys"][number],
): AsffResource => ({
  Type: "AwsIamAccessKey",
  Id: `AWS::IAM::AccessKey:${key.id}`,
  Partition: place.partition,
  Region: place.region,
  Details: {
    AwsIamAccessKey: {
      AccessKeyId: key.id,
      AccountId: place.accountId,
      UserName: userName,
      PrincipalName: userName,
      PrincipalType: "IAMUser",
      Status: key.status,
      CreatedAt: `${key.created}T00:00:00Z`,
    },
  },
});

/**
 * The ASFF findings of an account's compliance report: one per key that fails IAM.3, IAM.8 or
 * IAM.22, and one per user that fails CIS 1.13, each FAILED and ACTIVE, created and updated at
 * `now` (an ISO 8601 instant). Only key ids, user names and dates go into a finding: never a
 * secret.
 *
 * @example asffFindings({ accountId: "123456789012", region: "eu-west-1", partition: "aws" }, report.users, report.generatedAt)
 */
export const asffFindings = (
  place: AsffPlace,
  users: ReadonlyArray<AsffUser>,
  now: string,
): AsffFinding[] =>
  users.flatMap((user) =>
    asffControls.flatMap((control) => {
      const outcome = user.controls[control.id];
      if (outcome?.result !== "fail") return [];
      const finding = (subject: string, resources: ReadonlyArray<AsffResource>): AsffFinding => ({
        SchemaVersion: ASFF_SCHEMA_VERSION,
        Id: asffFindingId(place.accountId, control.id, subject),
        ProductArn: defaultProductArn(place),
        GeneratorId: `keyrotate/${control.id}`,
        AwsAccountId: place.accountId,
        Types: control.types,
        CreatedAt: now,
        UpdatedAt: now,
        Severity: { Label: control.severity },
        Title: control.title,
        Description: clip(`${control.description} ${outcome.reason}.`, DESCRIPTION_MAX),
        ProductFields: { "keyrotate/Control": control.id, "keyrotate/UserName": user.userName },
        Resources: resources,
        Compliance: { Status: "FAILED" },
        RecordState: "ACTIVE",
      });
      if (control.per === "user")
        return [finding(`user/${user.userName}`, [userResource(place, user.userName)])];
      return user.keys
        .filter((k) => outcome.keys?.includes(k.id) === true)
        .map((k) =>
          finding(k.id, [keyResource(place, user.userName, k), userResource(place, user.userName)]),
        );
    }),
  );

/**
 * What to import after a new report: today's findings, each keeping the CreatedAt of the
 * previous finding with its Id, and every previous ACTIVE finding that is no longer failing,
 * now PASSED, INFORMATIONAL and ARCHIVED at `now`. Security Hub's own fields (Workflow, notes, …) are left out,
 * so the user's workflow status is never overwritten.
 */
export const asffUpdates = (
  previous: ReadonlyArray<AsffFinding>,
  current: ReadonlyArray<AsffFinding>,
  now: string,
): AsffFinding[] => {
  const before = new Map(previous.map((f) => [f.Id, f]));
  const failing = new Set(current.map((f) => f.Id));
  const kept = current.map((f) => {
    const old = before.get(f.Id);
    return old === undefined ? f : { ...f, CreatedAt: old.CreatedAt };
  });
  const resolved = previous
    .filter((f) => !failing.has(f.Id) && f.RecordState === "ACTIVE")
    .map(
      (f): AsffFinding => ({
        SchemaVersion: f.SchemaVersion,
        Id: f.Id,
        ProductArn: f.ProductArn,
        GeneratorId: f.GeneratorId,
        AwsAccountId: f.AwsAccountId,
        Types: f.Types,
        CreatedAt: f.CreatedAt,
        UpdatedAt: now,
        Severity: { Label: "INFORMATIONAL" },
        Title: f.Title,
        Description: f.Description,
        ProductFields: f.ProductFields,
        Resources: f.Resources,
        Compliance: { Status: "PASSED" },
        RecordState: "ARCHIVED",
      }),
    );
  return [...kept, ...resolved];
};
