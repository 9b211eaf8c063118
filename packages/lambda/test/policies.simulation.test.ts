import { readFileSync } from "node:fs";
import { join } from "node:path";
import { anonymousPrincipal } from "@cloud-copilot/iam-simulate";
import { ownerOnlyPolicy, PREFLIGHT_OBJECT_KEY } from "@keyrotate/aws-adapter";
import {
  type Decision,
  deployedActions,
  isSecretsManagerStoreOnly,
  type Json,
  Resolver,
  runResourceOf,
  type SimulatedRequest,
  simulate,
} from "@keyrotate/testkit";
import { describe, expect, it } from "vitest";
import { packageDir } from "../scripts/build.js";
import { loadFunctionTemplate, testDeployment } from "./deployment.js";

// The template's policies, resolved for a test account, evaluated by an offline IAM simulator:
// identity policies (the function's role, the readers' managed policy) together with the
// bucket policy and, with a KMS key, the key policy.

const ACCOUNT = "123456789012";
const BUCKET = "keyrotate-credentials-test";
const SENDER = "keyrotate@example.com";
const template = loadFunctionTemplate();

interface Deployed {
  readonly roleArn: string;
  readonly rolePolicies: Array<{ name: string; policy: Json }>;
  readonly readerPolicy: Json;
  readonly bucketPolicy: Json;
  readonly keyPolicy: Json | undefined;
  readonly keyArn: string | undefined;
}

const deploy = (parameters: Record<string, string> = {}): Deployed => {
  const deployment = testDeployment(parameters);
  const r = new Resolver(template, deployment);
  const role = r.properties("FunctionRole") as {
    Policies: Array<{ PolicyName: string; PolicyDocument: Json }>;
  };
  const key = r.properties("CredentialsKey") as { KeyPolicy: Json } | undefined;
  return {
    roleArn: deployment.attributes.FunctionRole?.Arn as string,
    rolePolicies: role.Policies.map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
    readerPolicy: (r.properties("CredentialsReaderPolicy") as { PolicyDocument: Json })
      .PolicyDocument,
    bucketPolicy: (r.properties("CredentialsBucketPolicy") as { PolicyDocument: Json })
      .PolicyDocument,
    keyPolicy: key?.KeyPolicy,
    keyArn: key === undefined ? undefined : deployment.attributes.CredentialsKey?.Arn,
  };
};

/** A request in the test account. */
type Request = Omit<SimulatedRequest, "resourceAccount">;

const decide = (request: Request): Promise<Decision> =>
  simulate({ ...request, resourceAccount: ACCOUNT });

const object = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;
const userArn = (name: string, path = "/") => `arn:aws:iam::${ACCOUNT}:user${path}${name}`;
const identity = (name: string) => `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/${name}`;

/** A request by the function's role, with the bucket policy for S3. */
const asRole = (d: Deployed, action: string, resource: string, context = {}): Request => ({
  principal: d.roleArn,
  action,
  resource,
  context,
  identityPolicies: d.rolePolicies,
  ...(action.startsWith("s3:") ? { resourcePolicy: d.bucketPolicy } : {}),
});

/** A request by an IAM user of the readers' group. */
const asReader = (
  d: Deployed,
  user: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Request => ({
  principal: userArn(user),
  action,
  resource,
  context: { "aws:username": user, ...context },
  identityPolicies: [{ name: "CredentialsReaderPolicy", policy: d.readerPolicy }],
  resourcePolicy: d.bucketPolicy,
});

/** The resource a role's request for `action` is made on in a real run. */
const resourceOf = (action: string) =>
  runResourceOf(action, { account: ACCOUNT, bucket: BUCKET, sender: SENDER, region: "eu-west-1" });

/** The role's decision for each action, on the resource a run uses it on. */
const roleDecisions = async (d: Deployed, actions: ReadonlyArray<string>) => {
  const decisions: Record<string, Decision> = {};
  for (const action of actions) {
    const { resource, context = {} } = await resourceOf(action);
    decisions[action] = await decide(asRole(d, action, resource, context));
  }
  return decisions;
};

describe("the function's role, simulated", () => {
  const d = deploy();

  it("is allowed every operation the adapter calls, on the resources a run uses", async () => {
    // Secrets Manager's only with SecretStore=secretsmanager: simulated below.
    const actions = deployedActions().filter((a) => !isSecretsManagerStoreOnly(a));
    expect(actions.length).toBeGreaterThanOrEqual(14);

    expect(await roleDecisions(d, actions)).toEqual(
      Object.fromEntries(actions.map((a) => [a, "Allowed"])),
    );
  });

  it("reaches users under any IAM path", async () => {
    expect(
      await decide(asRole(d, "iam:CreateAccessKey", userArn("ci-deployer", "/service/team/"))),
    ).toBe("Allowed");
  });

  it.each([
    ["iam:CreateUser", userArn("mallory")],
    ["iam:DeleteUser", userArn("alice")],
    ["iam:AttachUserPolicy", userArn("alice")],
    ["iam:PutUserPolicy", userArn("alice")],
    ["iam:CreateLoginProfile", userArn("alice")],
    ["iam:AddUserToGroup", `arn:aws:iam::${ACCOUNT}:group/admins`],
    ["iam:CreateAccessKey", `arn:aws:iam::210987654321:user/alice`],
    ["iam:ListUsers", "*"],
    ["s3:GetObject", object("keyrotate/other.json")],
    ["iam:UpdateAssumeRolePolicy", `arn:aws:iam::${ACCOUNT}:role/admin`],
    ["s3:GetObject", object("credential/alice/alice_AKIAEXAMPLE000000001.csv")],
    ["s3:PutObject", object("elsewhere/alice.csv")],
    ["s3:PutObject", `arn:aws:s3:::another-bucket/credential/alice/alice.csv`],
    ["s3:DeleteObject", object("reports/2026-11-23.json")],
    ["s3:PutBucketPolicy", `arn:aws:s3:::${BUCKET}`],
    ["s3:ListBucket", `arn:aws:s3:::${BUCKET}`],
    ["ses:SendEmail", identity("ceo@example.org")],
    ["ses:SendRawEmail", identity(SENDER)],
  ])("is denied %s on %s", async (action, resource) => {
    const context = action.startsWith("ses:") ? { "ses:FromAddress": SENDER } : {};
    expect(await decide(asRole(d, action, resource, context))).not.toBe("Allowed");
  });

  it("holds the run lease: puts, reads and deletes keyrotate/lease.json", async () => {
    for (const action of ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]) {
      expect(await decide(asRole(d, action, object("keyrotate/lease.json"))), action).toBe(
        "Allowed",
      );
    }
  });

  it.each([
    ["iam:TagUser", ["last-check-date", "last-check-old-key", "key-rotation-state"], "Allowed"],
    ["iam:UntagUser", ["last-check-date", "last-check-old-key"], "Allowed"],
    ["iam:TagUser", ["email"], "ImplicitlyDenied"],
    ["iam:TagUser", ["key-rotation-state", "key-rotation-exempt"], "ImplicitlyDenied"],
    ["iam:UntagUser", ["email"], "ImplicitlyDenied"],
    ["iam:UntagUser", ["Department"], "ImplicitlyDenied"],
  ])("%s with tag keys %j: %s", async (action, keys, decision) => {
    expect(await decide(asRole(d, action, userArn("alice"), { "aws:TagKeys": keys }))).toBe(
      decision,
    );
  });

  it("tags with the tag-key parameters a deployer chose", async () => {
    const custom = deploy({ StateTagKey: "kr-state" });
    const tag = (keys: string[]) =>
      decide(asRole(custom, "iam:TagUser", userArn("alice"), { "aws:TagKeys": keys }));
    expect(await tag(["kr-state"])).toBe("Allowed");
    expect(await tag(["key-rotation-state"])).toBe("ImplicitlyDenied");
  });

  it("cannot send as another address through the sender's domain identity", async () => {
    expect(
      await decide(
        asRole(d, "ses:SendEmail", identity("example.com"), {
          "ses:FromAddress": "ceo@example.com",
        }),
      ),
    ).not.toBe("Allowed");
    expect(
      await decide(
        asRole(d, "ses:SendEmail", identity("example.com"), { "ses:FromAddress": SENDER }),
      ),
    ).toBe("Allowed");
  });

  it("is refused by the bucket policy over plain HTTP", async () => {
    const request = asRole(d, "s3:PutObject", object("credential/alice/alice_AKIAEXAMPLE1.csv"), {
      "aws:SecureTransport": "false",
    });
    expect(await decide(request)).toBe("ExplicitlyDenied");
  });
});

describe("with SecretStore=secretsmanager, simulated", () => {
  const d = deploy({ SecretStore: "secretsmanager" });
  const secret = (name: string) =>
    `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:keyrotate/${name}-AbCdEf`;
  /** A user's request for their or another user's secret, under that secret's resource policy. */
  const asUser = (user: string, action: string, owner: string, identityPolicy: Json): Request => ({
    principal: userArn(user),
    action,
    resource: secret(owner),
    // What AWS sets for an IAM user's request; the simulator takes it from the context.
    context: { "aws:username": user, "aws:PrincipalArn": userArn(user) },
    identityPolicies: [{ name: "user-policy", policy: identityPolicy }],
    resourcePolicy: JSON.parse(ownerOnlyPolicy(userArn(owner))) as Json,
  });
  const everySecret: Json = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "secretsmanager:*", Resource: "*" }],
  };

  it("is allowed every operation the adapter calls, on keyrotate's secrets", async () => {
    const actions = deployedActions();
    expect(await roleDecisions(d, actions)).toEqual(
      Object.fromEntries(actions.map((a) => [a, "Allowed"])),
    );
  });

  it.each([
    [
      "secretsmanager:PutSecretValue",
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db-AbCdEf`,
    ],
    [
      "secretsmanager:CreateSecret",
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:other-AbCdEf`,
    ],
    [
      "secretsmanager:DeleteSecret",
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db-AbCdEf`,
    ],
    ["secretsmanager:GetSecretValue", secret("alice")],
    [
      "secretsmanager:PutSecretValue",
      `arn:aws:secretsmanager:us-east-1:210987654321:secret:keyrotate/alice-AbCdEf`,
    ],
  ])("does not let the function %s %s", async (action, resource) => {
    expect(await decide(asRole(d, action, resource))).not.toBe("Allowed");
  });

  it("lets a user read their own secret by its resource policy alone", async () => {
    const none: Json = { Version: "2012-10-17", Statement: [] };
    expect(await decide(asUser("bob", "secretsmanager:GetSecretValue", "bob", none))).toBe(
      "Allowed",
    );
  });

  it("does not let user A read user B's secret, even with secretsmanager:* on every secret", async () => {
    expect(
      await decide(asUser("alice", "secretsmanager:GetSecretValue", "bob", everySecret)),
    ).not.toBe("Allowed");
    expect(
      await decide(
        asUser("alice", "secretsmanager:GetSecretValue", "bob", {
          Version: "2012-10-17",
          Statement: [],
        }),
      ),
    ).not.toBe("Allowed");
  });
});

describe("the readers' group policy and the bucket policy, simulated", () => {
  const d = deploy();
  const own = object("credential/alice/alice_AKIAEXAMPLE000000001.csv");

  it("lets a user read and list their own credentials", async () => {
    expect(await decide(asReader(d, "alice", "s3:GetObject", own))).toBe("Allowed");
    expect(
      await decide(
        asReader(d, "alice", "s3:ListBucket", `arn:aws:s3:::${BUCKET}`, {
          "s3:prefix": "credential/alice/",
        }),
      ),
    ).toBe("Allowed");
  });

  it.each([
    ["s3:GetObject", object("credential/bob/bob_AKIAEXAMPLE000000002.csv"), {}],
    ["s3:GetObject", object("credential/alice-admin/alice-admin_AKIAEXAMPLE3.csv"), {}],
    ["s3:GetObject", object("credential/alice"), {}],
    ["s3:PutObject", own, {}],
    ["s3:DeleteObject", own, {}],
    ["s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { "s3:prefix": "credential/bob/" }],
    ["s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { "s3:prefix": "credential/" }],
    ["s3:ListBucket", `arn:aws:s3:::${BUCKET}`, {}],
  ])("does not let alice %s %s %j", async (action, resource, context) => {
    expect(await decide(asReader(d, "alice", action, resource, context))).not.toBe("Allowed");
  });

  it("denies anonymous requests", async () => {
    const anonymous: Request = {
      principal: anonymousPrincipal,
      action: "s3:GetObject",
      resource: own,
      identityPolicies: [],
      resourcePolicy: d.bucketPolicy,
    };
    expect(await decide(anonymous)).not.toBe("Allowed");
    expect(await decide({ ...anonymous, context: { "aws:SecureTransport": "false" } })).toBe(
      "ExplicitlyDenied",
    );
  });

  it("denies the owner's own read over plain HTTP or old TLS", async () => {
    expect(
      await decide(asReader(d, "alice", "s3:GetObject", own, { "aws:SecureTransport": "false" })),
    ).toBe("ExplicitlyDenied");
    expect(
      await decide(asReader(d, "alice", "s3:GetObject", own, { "s3:TlsVersion": "1.1" })),
    ).toBe("ExplicitlyDenied");
  });
});

describe("with a KMS key created by the stack, simulated", () => {
  const d = deploy({ CreateKmsKey: "true" });
  const keyArn = d.keyArn as string;
  const keyPolicy = d.keyPolicy as Json;
  const viaS3 = { "kms:ViaService": "s3.eu-west-1.amazonaws.com" };

  it("lets the function encrypt through S3 by the key policy, and nothing else", async () => {
    const asFunction = (action: string, context: Record<string, string>): Request => ({
      principal: d.roleArn,
      action,
      resource: keyArn,
      context,
      identityPolicies: d.rolePolicies,
      resourcePolicy: keyPolicy,
    });
    expect(await decide(asFunction("kms:GenerateDataKey", viaS3))).toBe("Allowed");
    expect(await decide(asFunction("kms:GenerateDataKey", {}))).not.toBe("Allowed");
    expect(await decide(asFunction("kms:Decrypt", viaS3))).not.toBe("Allowed");
    expect(await decide(asFunction("kms:ScheduleKeyDeletion", {}))).not.toBe("Allowed");
  });

  it("lets the function use the key through Secrets Manager by the key policy, only with that store", async () => {
    const viaSecretsManager = { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" };
    const sm = deploy({ CreateKmsKey: "true", SecretStore: "secretsmanager" });
    const asFunction = (
      on: typeof d,
      action: string,
      context: Record<string, string>,
    ): Request => ({
      principal: on.roleArn,
      action,
      resource: on.keyArn as string,
      context,
      identityPolicies: on.rolePolicies,
      resourcePolicy: on.keyPolicy as Json,
    });
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
      expect(await decide(asFunction(sm, action, viaSecretsManager))).toBe("Allowed");
      expect(await decide(asFunction(sm, action, {}))).not.toBe("Allowed");
      expect(await decide(asFunction(d, action, viaSecretsManager))).not.toBe("Allowed");
    }
  });

  it("refuses credentials stored without the key, and accepts them with it", async () => {
    const put = (context: Record<string, string>) =>
      asRole(d, "s3:PutObject", object("credential/alice/alice_AKIAEXAMPLE000000001.csv"), context);
    expect(await decide(put({ "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn }))).toBe(
      "Allowed",
    );
    expect(await decide(put({ "s3:x-amz-server-side-encryption": "AES256" }))).toBe(
      "ExplicitlyDenied",
    );
  });

  it("lets a reader decrypt through S3 only", async () => {
    const decrypt = (context: Record<string, string>): Request => ({
      principal: userArn("alice"),
      action: "kms:Decrypt",
      resource: keyArn,
      context: { "aws:username": "alice", ...context },
      identityPolicies: [{ name: "CredentialsReaderPolicy", policy: d.readerPolicy }],
      resourcePolicy: keyPolicy,
    });
    expect(await decide(decrypt(viaS3))).toBe("Allowed");
    expect(await decide(decrypt({}))).not.toBe("Allowed");
  });
});

describe("the preflight's object and reads, simulated", () => {
  it("lets the function put and delete the preflight object, with the KMS key the bucket demands", async () => {
    const plain = deploy();
    const kms = deploy({ CreateKmsKey: "true" });
    const withKey = { "s3:x-amz-server-side-encryption-aws-kms-key-id": kms.keyArn as string };

    expect(await decide(asRole(plain, "s3:PutObject", object(PREFLIGHT_OBJECT_KEY)))).toBe(
      "Allowed",
    );
    expect(await decide(asRole(plain, "s3:DeleteObject", object(PREFLIGHT_OBJECT_KEY)))).toBe(
      "Allowed",
    );
    expect(await decide(asRole(kms, "s3:PutObject", object(PREFLIGHT_OBJECT_KEY), withKey))).toBe(
      "Allowed",
    );
    // Without the key the bucket policy refuses it, as it refuses a secret: the check is honest.
    expect(await decide(asRole(kms, "s3:PutObject", object(PREFLIGHT_OBJECT_KEY)))).toBe(
      "ExplicitlyDenied",
    );
  });

  it("lets no reader see the preflight object, whatever their user name", async () => {
    const d = deploy();
    for (const user of ["alice", "keyrotate-preflight.txt", "keyrotate-preflight"]) {
      expect(
        await decide(asReader(d, user, "s3:GetObject", object(PREFLIGHT_OBJECT_KEY))),
      ).not.toBe("Allowed");
      expect(
        await decide(
          asReader(d, user, "s3:ListBucket", `arn:aws:s3:::${BUCKET}`, {
            "s3:prefix": PREFLIGHT_OBJECT_KEY,
          }),
        ),
      ).not.toBe("Allowed");
    }
  });

  it("lets the function read the SES account's sending state, and change none of it", async () => {
    const d = deploy();
    for (const action of [
      "ses:GetIdentityVerificationAttributes",
      "ses:GetAccountSendingEnabled",
      "ses:GetSendQuota",
    ]) {
      expect(await decide(asRole(d, action, "*")), action).toBe("Allowed");
    }
    for (const action of ["ses:UpdateAccountSendingEnabled", "ses:VerifyEmailIdentity"]) {
      expect(await decide(asRole(d, action, "*")), action).not.toBe("Allowed");
    }
  });
});

describe("the documented deny statement for keyrotate's tags (policies/deny-keyrotate-tags.json)", () => {
  const d = deploy();
  const deny = JSON.parse(
    readFileSync(join(packageDir, "policies/deny-keyrotate-tags.json"), "utf8"),
  ) as Json;
  const admin = {
    name: "AdministratorAccess",
    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
  };
  const asAdmin = (action: string, keys: string[]): Request => ({
    principal: userArn("admin"),
    action,
    resource: userArn("alice"),
    context: { "aws:TagKeys": keys, "aws:PrincipalArn": userArn("admin") },
    identityPolicies: [admin, { name: "deny-keyrotate-tags", policy: deny }],
  });

  it("stops anyone else, an administrator too, from writing or removing keyrotate's tags", async () => {
    expect(await decide(asAdmin("iam:TagUser", ["key-rotation-state"]))).toBe("ExplicitlyDenied");
    expect(await decide(asAdmin("iam:TagUser", ["Last-Check-Date"]))).toBe("ExplicitlyDenied");
    expect(await decide(asAdmin("iam:UntagUser", ["last-check-old-key"]))).toBe("ExplicitlyDenied");
    expect(await decide(asAdmin("iam:TagUser", ["email"]))).toBe("Allowed");
  });

  it("leaves keyrotate's own role free to write them", async () => {
    // AWS sets aws:PrincipalArn to the role's ARN for its sessions.
    const request = asRole(d, "iam:TagUser", userArn("alice"), {
      "aws:TagKeys": ["key-rotation-state"],
      "aws:PrincipalArn": d.roleArn,
    });
    expect(
      await decide({
        ...request,
        identityPolicies: [...request.identityPolicies, { name: "deny", policy: deny }],
      }),
    ).toBe("Allowed");
  });
});

describe("with Security Hub, an SNS topic and a webhook parameter, simulated", () => {
  const topic = `arn:aws:sns:eu-west-1:${ACCOUNT}:keyrotate-events`;
  const parameter = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/keyrotate/webhook-url`;
  const product = `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`;
  const hub = `arn:aws:securityhub:eu-west-1:${ACCOUNT}:hub/default`;
  const channels = {
    SecurityHub: "on",
    SnsTopicArn: topic,
    WebhookUrlParameter: "/keyrotate/webhook-url",
  };
  const requests: Array<[string, string]> = [
    ["securityhub:BatchImportFindings", product],
    ["securityhub:GetFindings", hub],
    ["sns:Publish", topic],
    ["ssm:GetParameter", parameter],
  ];

  it("lets the function import into its own product, read the hub, publish to the topic and read the parameter", async () => {
    const d = deploy(channels);
    const decisions = await Promise.all(
      requests.map(async ([action, resource]) => decide(asRole(d, action, resource))),
    );
    expect(decisions).toEqual(requests.map(() => "Allowed"));
  });

  it("grants none of them while the settings are off", async () => {
    const d = deploy();
    const decisions = await Promise.all(
      requests.map(async ([action, resource]) => decide(asRole(d, action, resource))),
    );
    expect(decisions).toEqual(requests.map(() => "ImplicitlyDenied"));
  });

  it.each([
    ["sns:Publish", `arn:aws:sns:eu-west-1:${ACCOUNT}:someone-elses-topic`],
    ["ssm:GetParameter", `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/database-password`],
    [
      "securityhub:BatchImportFindings",
      `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/aws/guardduty`,
    ],
    ["securityhub:BatchUpdateFindings", hub],
    ["ssm:PutParameter", parameter],
  ])("refuses %s on %s", async (action, resource) => {
    expect(await decide(asRole(deploy(channels), action, resource))).not.toBe("Allowed");
  });
});
