import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Deployment, type Json, loadTemplate, Resolver } from "@keyrotate/testkit";

// The org package's two templates resolved for fixed test accounts: the state machine's stack in
// a delegated administrator account, the member stack in a member account.

export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const templatePath = join(packageDir, "template.yaml");
export const memberTemplatePath = join(packageDir, "member-role.yaml");

export const ADMIN_ACCOUNT = "123456789012";
export const MEMBER_ACCOUNT = "222222222222";
export const ORGANIZATION_ID = "o-abcdef1234";
export const EXTERNAL_ID = "keyrotate-org-external-id";
export const REGION = "eu-west-1";
export const WORKER_ROLE_ARN = `arn:aws:iam::${ADMIN_ACCOUNT}:role/keyrotate-org-WorkerRole-1A2B`;
export const RESULTS_BUCKET = "keyrotate-org-results-test";

const arnRole = (name: string, account = ADMIN_ACCOUNT) => ({
  Ref: name,
  Arn: `arn:aws:iam::${account}:role/${name}`,
});
const fn = (name: string) => ({
  Ref: name,
  Arn: `arn:aws:lambda:${REGION}:${ADMIN_ACCOUNT}:function:${name}`,
});

/** The state machine's stack. */
export const orgDeployment = (parameters: Readonly<Record<string, string>> = {}): Deployment => ({
  accountId: ADMIN_ACCOUNT,
  region: REGION,
  stackName: "keyrotate-org",
  parameters: {
    OrganizationId: ORGANIZATION_ID,
    ExternalId: EXTERNAL_ID,
    SesEmail: "keyrotate@example.com",
    ...parameters,
  },
  attributes: {
    ResultsBucket: { Ref: RESULTS_BUCKET, Arn: `arn:aws:s3:::${RESULTS_BUCKET}` },
    ResultsBucketPolicy: { Ref: RESULTS_BUCKET },
    ListRole: arnRole("keyrotate-org-ListRole-3C4D"),
    WorkerRole: { Ref: "keyrotate-org-WorkerRole-1A2B", Arn: WORKER_ROLE_ARN },
    SummariseRole: arnRole("keyrotate-org-SummariseRole-5E6F"),
    StateMachineRole: arnRole("keyrotate-org-StateMachineRole-7G8H"),
    ListFunction: fn("keyrotate-org-ListFunction-1"),
    WorkerFunction: fn("keyrotate-org-WorkerFunction-2"),
    SummariseFunction: fn("keyrotate-org-SummariseFunction-3"),
    OrgStateMachine: {
      Ref: `arn:aws:states:${REGION}:${ADMIN_ACCOUNT}:stateMachine:keyrotate-org`,
      Name: "keyrotate-org",
    },
  },
});

/** The member stack, as the StackSet deploys it in {@link MEMBER_ACCOUNT}. */
export const memberDeployment = (
  parameters: Readonly<Record<string, string>> = {},
): Deployment => ({
  accountId: MEMBER_ACCOUNT,
  region: REGION,
  stackName: "StackSet-keyrotate-member-0a1b",
  parameters: {
    WorkerRoleArn: WORKER_ROLE_ARN,
    OrganizationId: ORGANIZATION_ID,
    ExternalId: EXTERNAL_ID,
    SesEmail: "keyrotate@example.com",
    ...parameters,
  },
  attributes: {
    CredentialsBucket: {
      Ref: `keyrotate-credentials-${MEMBER_ACCOUNT}`,
      Arn: `arn:aws:s3:::keyrotate-credentials-${MEMBER_ACCOUNT}`,
    },
    CredentialsBucketPolicy: { Ref: `keyrotate-credentials-${MEMBER_ACCOUNT}` },
    MemberRole: arnRole("KeyrotateMember", MEMBER_ACCOUNT),
    CredentialsReaderPolicy: {
      Ref: `arn:aws:iam::${MEMBER_ACCOUNT}:policy/keyrotate-CredentialsReaderPolicy-9I0J`,
    },
  },
});

export const orgTemplate = loadTemplate(templatePath);
export const memberTemplate = loadTemplate(memberTemplatePath);

/** A statement of a policy document, resolved. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: Json;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}
export interface PolicyDocument {
  readonly Statement: Statement[];
}

export const list = (x: string | string[] | undefined): string[] =>
  x === undefined ? [] : Array.isArray(x) ? x : [x];

/** The inline policies of a role, by name, resolved. */
export const rolePolicies = (r: Resolver, roleId: string): Record<string, PolicyDocument> =>
  Object.fromEntries(
    (
      (r.properties(roleId) as { Policies: Array<{ PolicyName: string; PolicyDocument: Json }> })
        .Policies ?? []
    ).map((p) => [p.PolicyName, p.PolicyDocument as unknown as PolicyDocument]),
  );

/** The actions a role's inline policies allow. */
export const allowedActions = (r: Resolver, roleId: string): string[] =>
  [
    ...new Set(
      Object.values(rolePolicies(r, roleId)).flatMap((p) =>
        p.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action)),
      ),
    ),
  ].sort();

export const resolveOrg = (parameters: Record<string, string> = {}) =>
  new Resolver(orgTemplate, orgDeployment(parameters));
export const resolveMember = (parameters: Record<string, string> = {}) =>
  new Resolver(memberTemplate, memberDeployment(parameters));
