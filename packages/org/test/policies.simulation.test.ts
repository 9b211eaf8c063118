import {
  type Decision,
  deployedActions,
  isSecretsManagerStoreOnly,
  type Json,
  type Resolver,
  runResourceOf,
  type SimulatedRequest,
  simulate,
} from "@keyrotate/testkit";
import { describe, expect, it } from "vitest";
import {
  ADMIN_ACCOUNT,
  EXTERNAL_ID,
  MEMBER_ACCOUNT,
  ORGANIZATION_ID,
  resolveMember,
  resolveOrg,
  rolePolicies,
  WORKER_ROLE_ARN,
} from "./deployment.js";

// The cross-account policies of the two templates, resolved for test accounts and evaluated by
// an offline IAM simulator: the worker's role (identity) against the member role's trust policy
// (resource), and the member role's permissions with the credentials bucket's policy.

const MEMBER_ROLE_ARN = `arn:aws:iam::${MEMBER_ACCOUNT}:role/KeyrotateMember`;
const MEMBER_BUCKET = `keyrotate-credentials-${MEMBER_ACCOUNT}`;
const SENDER = "keyrotate@example.com";

/** A role's inline policies, resolved, as the simulator takes them. */
const inlinePolicies = (r: Resolver, roleId: string) =>
  Object.entries(rolePolicies(r, roleId)).map(([name, policy]) => ({
    name,
    policy: policy as unknown as Json,
  }));

const org = resolveOrg();
const member = resolveMember();
const workerPolicies = inlinePolicies(org, "WorkerRole");
const memberPolicies = inlinePolicies(member, "MemberRole");
const trustPolicy = member.properties("MemberRole")?.AssumeRolePolicyDocument as Json;
const bucketPolicy = (member.properties("CredentialsBucketPolicy") as { PolicyDocument: Json })
  .PolicyDocument;

/** What the worker's AssumeRole carries when it comes from inside the organization. */
const fromTheOrg = {
  "aws:PrincipalOrgID": ORGANIZATION_ID,
  "aws:ResourceOrgID": ORGANIZATION_ID,
  "aws:PrincipalAccount": ADMIN_ACCOUNT,
  "sts:ExternalId": EXTERNAL_ID,
};

/** An AssumeRole of `role` by `principal` with its identity policies, against the member role's trust policy. */
const assume = (
  principal: string,
  identityPolicies: SimulatedRequest["identityPolicies"],
  context: Record<string, string>,
  role = MEMBER_ROLE_ARN,
): Promise<Decision> =>
  simulate({
    principal,
    action: "sts:AssumeRole",
    resource: role,
    resourceAccount: role.split(":")[4] as string,
    context,
    identityPolicies,
    // Every role in the member accounts is made by the StackSet with this trust policy; any
    // other role's would be its own (and the worker's identity policy already refuses it).
    resourcePolicy: trustPolicy,
  });

const administrator = [
  {
    name: "AdministratorAccess",
    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
  },
];

/** A request by the member role in its own account, with the bucket's policy for S3. */
const asMember = (
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Promise<Decision> =>
  simulate({
    principal: MEMBER_ROLE_ARN,
    action,
    resource,
    resourceAccount: MEMBER_ACCOUNT,
    context,
    identityPolicies: memberPolicies,
    ...(action.startsWith("s3:") ? { resourcePolicy: bucketPolicy } : {}),
  });

describe("the worker's role and the member role's trust, simulated", () => {
  it("lets the worker assume the member role with the external id, from inside the organization", async () => {
    expect(await assume(WORKER_ROLE_ARN, workerPolicies, fromTheOrg)).toBe("Allowed");
  });

  it.each([
    [
      "another role of the member account",
      `arn:aws:iam::${MEMBER_ACCOUNT}:role/OrganizationAccountAccessRole`,
    ],
    ["an administrator's role", `arn:aws:iam::${MEMBER_ACCOUNT}:role/Admin`],
  ])("lets the worker assume nothing else: not %s", async (_, role) => {
    expect(await assume(WORKER_ROLE_ARN, workerPolicies, fromTheOrg, role)).not.toBe("Allowed");
  });

  it("lets the worker assume no KeyrotateMember role in an account outside the organization", async () => {
    const outside = { ...fromTheOrg, "aws:ResourceOrgID": "o-zzzzzzzzzz" };
    expect(
      await assume(
        WORKER_ROLE_ARN,
        workerPolicies,
        outside,
        "arn:aws:iam::999999999999:role/KeyrotateMember",
      ),
    ).not.toBe("Allowed");
  });

  it.each([
    ["the wrong external id", { ...fromTheOrg, "sts:ExternalId": "guessed" }],
    [
      "no external id",
      { "aws:PrincipalOrgID": ORGANIZATION_ID, "aws:ResourceOrgID": ORGANIZATION_ID },
    ],
    [
      "a principal outside the organization",
      { ...fromTheOrg, "aws:PrincipalOrgID": "o-zzzzzzzzzz" },
    ],
  ])("refuses the worker's role with %s", async (_, context) => {
    expect(await assume(WORKER_ROLE_ARN, workerPolicies, context)).not.toBe("Allowed");
  });

  it.each([
    [
      "another role of the deployment account",
      `arn:aws:iam::${ADMIN_ACCOUNT}:role/keyrotate-org-ListRole-3C4D`,
    ],
    ["an administrator of the deployment account", `arn:aws:iam::${ADMIN_ACCOUNT}:user/admin`],
    [
      "another account's principal that knows the external id",
      "arn:aws:iam::999999999999:role/Attacker",
    ],
    ["another member account's administrator", `arn:aws:iam::${MEMBER_ACCOUNT}:role/Admin`],
  ])("refuses %s, even with administrator rights and the external id", async (_, principal) => {
    const account = principal.split(":")[4] as string;
    const context = {
      ...fromTheOrg,
      "aws:PrincipalAccount": account,
      ...(account === "999999999999" ? { "aws:PrincipalOrgID": "o-zzzzzzzzzz" } : {}),
    };
    expect(await assume(principal, administrator, context)).not.toBe("Allowed");
  });

  it("gives the worker's role nothing in an account but AssumeRole", async () => {
    for (const [action, resource] of [
      ["iam:CreateAccessKey", `arn:aws:iam::${MEMBER_ACCOUNT}:user/alice`],
      ["organizations:ListAccounts", "*"],
      ["s3:GetObject", `arn:aws:s3:::${MEMBER_BUCKET}/credential/alice/alice.csv`],
    ] as const) {
      const decision = await simulate({
        principal: WORKER_ROLE_ARN,
        action,
        resource,
        resourceAccount: ADMIN_ACCOUNT,
        identityPolicies: workerPolicies,
      });
      expect(decision, action).not.toBe("Allowed");
    }
  });
});

describe("the member role's permissions, simulated", () => {
  const place = {
    account: MEMBER_ACCOUNT,
    bucket: MEMBER_BUCKET,
    sender: SENDER,
    region: "eu-west-1",
  };

  it("is allowed every operation the adapter calls in an account, on the resources a run uses", async () => {
    // An organisation run delivers to S3 (the org template sets SECRET_STORE=s3).
    const actions = deployedActions().filter((a) => !isSecretsManagerStoreOnly(a));
    const decisions: Record<string, Decision> = {};
    for (const action of actions) {
      const { resource, context = {} } = await runResourceOf(action, place);
      decisions[action] = await asMember(action, resource, context);
    }
    expect(decisions).toEqual(Object.fromEntries(actions.map((a) => [a, "Allowed"])));
  });

  it.each([
    ["iam:CreateUser", `arn:aws:iam::${MEMBER_ACCOUNT}:user/mallory`],
    ["iam:AttachUserPolicy", `arn:aws:iam::${MEMBER_ACCOUNT}:user/alice`],
    ["iam:ListUsers", "*"],
    ["iam:CreateAccessKey", `arn:aws:iam::333333333333:user/alice`],
    ["iam:UpdateAssumeRolePolicy", `arn:aws:iam::${MEMBER_ACCOUNT}:role/KeyrotateMember`],
    ["sts:AssumeRole", `arn:aws:iam::333333333333:role/KeyrotateMember`],
    ["organizations:ListAccounts", "*"],
    ["s3:GetObject", `arn:aws:s3:::${MEMBER_BUCKET}/credential/alice/alice_AKIAEXAMPLE1.csv`],
    ["s3:PutObject", `arn:aws:s3:::another-bucket/credential/alice/alice.csv`],
    ["ses:SendRawEmail", `arn:aws:ses:eu-west-1:${MEMBER_ACCOUNT}:identity/${SENDER}`],
  ])("is denied %s on %s", async (action, resource) => {
    const context = action.startsWith("ses:") ? { "ses:FromAddress": SENDER } : {};
    expect(await asMember(action, resource, context)).not.toBe("Allowed");
  });

  it("tags only keyrotate's own tags", async () => {
    const user = `arn:aws:iam::${MEMBER_ACCOUNT}:user/alice`;
    expect(await asMember("iam:TagUser", user, { "aws:TagKeys": ["last-check-date"] })).toBe(
      "Allowed",
    );
    expect(await asMember("iam:TagUser", user, { "aws:TagKeys": ["email"] })).not.toBe("Allowed");
  });
});
