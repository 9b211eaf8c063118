import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { decodeSettings, settingSpecs } from "@keyrotate/core";
import {
  adapterActions,
  deployedActions,
  isSecretsManagerStoreOnly,
  type Json,
  listUsersModeOnly,
  loadSpecification,
  Resolver,
  referenceProblems,
  settingGatedActions,
  templateSpecProblems,
} from "@keyrotate/testkit";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { packageDir } from "../scripts/build.js";
import { loadFunctionTemplate, testDeployment } from "./deployment.js";

const template = loadFunctionTemplate();
const spec = loadSpecification();
const resolved = (parameters: Record<string, string> = {}) =>
  new Resolver(template, testDeployment(parameters));

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  Principal?: unknown;
};
type PolicyDocument = { Statement: Statement[] };
const list = (x: string | string[]): string[] => (Array.isArray(x) ? x : [x]);

/** A deployed resource's resolved properties (a missing one fails the test). */
const propsOf = (r: Resolver, id: string): Record<string, Json> => {
  const props = r.properties(id);
  if (props === undefined) throw new Error(`${id} is not deployed`);
  return props;
};

/** The function's environment, resolved. */
const envOf = (r: Resolver): Record<string, string> =>
  (propsOf(r, "KeyrotateFunction").Environment as { Variables: Record<string, string> }).Variables;

/** The inline policies of the function's role, by name, resolved. */
const rolePolicies = (r: Resolver): Record<string, PolicyDocument> =>
  Object.fromEntries(
    (
      propsOf(r, "FunctionRole").Policies as Array<{
        PolicyName: string;
        PolicyDocument: PolicyDocument;
      }>
    ).map((p) => [p.PolicyName, p.PolicyDocument]),
  );

describe("the SAM template", () => {
  it("uses only resource types and properties of the CloudFormation specification, with every required one", () => {
    // @aws-cdk/cfnspec ships CloudFormation's specification and SAM's resource specification
    // (AWS::Serverless::*), so the function is checked against SAM's own property list.
    expect(templateSpecProblems(template, spec)).toEqual([]);
    expect(Number.parseInt(spec.ResourceSpecificationVersion, 10)).toBeGreaterThan(100);
  });

  it("refers only to parameters, conditions, resources and attributes that exist", () => {
    expect(referenceProblems(template, spec)).toEqual([]);
  });

  it("deploys the bundle as a scheduled arm64 function on a current Node.js runtime", () => {
    const fn = template.Resources.KeyrotateFunction;
    const props = resolved().properties("KeyrotateFunction") ?? {};

    expect(fn?.Type).toBe("AWS::Serverless::Function");
    expect(props).toMatchObject({
      CodeUri: "dist/keyrotate-lambda.zip",
      Handler: "index.handler",
      Architectures: ["arm64"],
      Timeout: "900",
      MemorySize: "256",
      ReservedConcurrentExecutions: 1,
      Role: "arn:aws:iam::123456789012:role/keyrotate-FunctionRole-1A2B3C4D",
      Events: { Daily: { Type: "Schedule", Properties: { Schedule: "cron(0 6 * * ? *)" } } },
    });
    expect(props.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(fn?.Metadata).toEqual({ SkipBuild: true });
  });

  it("maps every setting to a parameter whose default is the core's default", () => {
    const r = resolved();
    const env = envOf(r);
    const settings = Object.keys(settingSpecs);

    expect(settings.filter((name) => !(name in env))).toEqual([]);
    // Settings of POLICY.md the core may not read yet on this branch (issue 13's timing rules).
    const coming = ["MIN_NOTICE_DAYS", "IN_USE_DELAY_DAYS", "EARLY_DEACTIVATION"].filter(
      (name) => !settings.includes(name),
    );
    expect(Object.keys(env).filter((name) => !settings.includes(name))).toEqual([
      ...coming,
      "POWERTOOLS_SERVICE_NAME",
      "POWERTOOLS_METRICS_NAMESPACE",
    ]);
    expect(env).toMatchObject({
      MIN_NOTICE_DAYS: "7",
      IN_USE_DELAY_DAYS: "7",
      EARLY_DEACTIVATION: "false",
    });
    const fromTemplate = decodeSettings(env);
    const coreDefaults = decodeSettings({
      SES_EMAIL: "keyrotate@example.com",
      SES_REGION: "eu-west-1",
      S3_CSV_BUCKET: "keyrotate-credentials-test",
      LAMBDA_FUNCTION_NAME: "keyrotate",
    });
    expect(E.isRight(fromTemplate)).toBe(true);
    expect(fromTemplate).toEqual(coreDefaults);
    // Every setting but the bucket (a resource) and WEBHOOK_URL (a secret: the function reads it
    // from the SSM parameter WEBHOOK_URL_PARAMETER names) comes from a parameter.
    const rawProperties = template.Resources.KeyrotateFunction?.Properties as Record<string, Json>;
    const rawEnv = (rawProperties.Environment as { Variables: Record<string, Json> }).Variables;
    const fromParameter = (v: Json): boolean =>
      JSON.stringify(v)
        .match(/"Ref":"([^"]+)"/g)
        ?.some((m) => m.slice(7, -1) in template.Parameters) ?? false;
    expect(
      settings.filter(
        (name) =>
          !["S3_CSV_BUCKET", "WEBHOOK_URL"].includes(name) && !fromParameter(rawEnv[name] as Json),
      ),
    ).toEqual([]);
    expect(rawEnv.WEBHOOK_URL).toBe("off");
  });

  it("passes the settings a deployer chooses through to the function", () => {
    const r = resolved({
      SesRegion: "us-east-1",
      WarningDays: "45",
      OverdueDays: "90",
      ReminderIntervalDays: "1",
      UnusedDays: "45",
      TwoActiveKeys: "enforce",
      InactiveBlocker: "delete",
      DryRun: "true",
      AdminEmail: "security@example.com",
      CreateKmsKey: "true",
    });
    const env = envOf(r);

    const settings = decodeSettings(env);

    expect(settings).toEqual(
      E.right(
        expect.objectContaining({
          sesRegion: "us-east-1",
          warningDays: 45,
          overdueDays: 90,
          reminderIntervalDays: 1,
          unusedDays: 45,
          twoActiveKeys: "enforce",
          inactiveBlocker: "delete",
          dryRun: true,
          adminEmail: "security@example.com",
          kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        }),
      ),
    );
  });

  it("keeps the credentials bucket private, encrypted, TLS-only and short-lived", () => {
    const r = resolved();
    const bucket = r.properties("CredentialsBucket") ?? {};
    const policy = (r.properties("CredentialsBucketPolicy") ?? {}) as {
      Bucket: string;
      PolicyDocument: PolicyDocument;
    };

    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
      ],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }],
    });
    // Issue 12: no longer 7 days, but until the old key is gone (see the expiry tests below).
    expect(bucket.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({
          Status: "Enabled",
          Prefix: "credential/",
          ExpirationInDays: "(days sum)",
        }),
      ],
    });
    expect(bucket.VersioningConfiguration).toBeUndefined();
    expect(r.properties("CredentialsBucket")?.AccessControl).toBeUndefined();
    expect(policy.Bucket).toBe("keyrotate-credentials-test");
    expect(policy.PolicyDocument.Statement).toContainEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [
        "arn:aws:s3:::keyrotate-credentials-test",
        "arn:aws:s3:::keyrotate-credentials-test/*",
      ],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(policy.PolicyDocument.Statement.every((s) => s.Effect === "Deny")).toBe(true);
    expect(
      resolved({ BucketVersioning: "true" }).properties("CredentialsBucket")
        ?.VersioningConfiguration,
    ).toEqual({
      Status: "Enabled",
    });
  });

  it("creates the KMS key only when asked, with a key policy that lets the function encrypt", () => {
    expect(resolved().exists("CredentialsKey")).toBe(false);
    const r = resolved({ CreateKmsKey: "true" });
    const key = r.properties("CredentialsKey") as {
      KeyPolicy: PolicyDocument;
      EnableKeyRotation: boolean;
    };

    expect(key.EnableKeyRotation).toBe(true);
    expect(key.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::123456789012:role/keyrotate-FunctionRole-1A2B3C4D" },
        Action: "kms:GenerateDataKey",
      }),
    );
  });

  it("grants the role exactly the AWS operations the adapter's code calls, with no wildcard action", () => {
    // Secrets Manager's operations only with SecretStore=secretsmanager (issue 17).
    const operations = deployedActions().filter((a) => !isSecretsManagerStoreOnly(a));
    const policies = rolePolicies(resolved());
    const allActions = Object.values(policies).flatMap((p) =>
      p.Statement.flatMap((s) => list(s.Action)),
    );
    const keyrotateActions =
      policies["keyrotate-operations"]?.Statement.flatMap((s) => list(s.Action)) ?? [];

    // Sanity: the derivation sees the adapter's calls (rotation, scan, storage, mail).
    expect(operations).toEqual(
      expect.arrayContaining([
        "iam:CreateAccessKey",
        "s3:PutObject",
        "s3:GetObject",
        "ses:SendEmail",
      ]),
    );
    expect(adapterActions()).toEqual(expect.arrayContaining([...listUsersModeOnly]));
    expect([...new Set(keyrotateActions)].sort()).toEqual(operations);
    expect(allActions.filter((a) => a.includes("*"))).toEqual([]);
    // Beyond the adapter's operations: only its logs and its on-failure destination.
    expect(allActions.filter((a) => !operations.includes(a)).sort()).toEqual([
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sqs:SendMessage",
    ]);
    expect(
      rolePolicies(resolved({ KmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/abcd" }))[
        "keyrotate-operations"
      ]?.Statement.flatMap((s) => list(s.Action)),
    ).toContain("kms:GenerateDataKey");
    const withSecretsManager = rolePolicies(resolved({ SecretStore: "secretsmanager" }))[
      "keyrotate-operations"
    ]?.Statement.flatMap((s) => list(s.Action));
    expect([...new Set(withSecretsManager)].sort()).toEqual(deployedActions());
    expect(deployedActions().filter(isSecretsManagerStoreOnly)).not.toContain(
      "secretsmanager:GetSecretValue",
    );
  });

  it("grants Security Hub, SNS and SSM only when their setting is on, each on its one resource", () => {
    const off = rolePolicies(resolved())["keyrotate-operations"]?.Statement ?? [];
    const on =
      rolePolicies(
        resolved({
          SecurityHub: "on",
          SnsTopicArn: "arn:aws:sns:eu-west-1:123456789012:keyrotate-events",
          WebhookUrlParameter: "/keyrotate/webhook-url",
        }),
      )["keyrotate-operations"]?.Statement ?? [];
    const gated = Object.values(settingGatedActions).flat();
    const grantsOf = (statements: typeof on) =>
      statements.flatMap((s) =>
        list(s.Action)
          .filter((a) => gated.includes(a))
          .map((a) => [a, s.Resource]),
      );

    expect(grantsOf(off)).toEqual([]);
    expect(grantsOf(on)).toEqual([
      [
        "securityhub:BatchImportFindings",
        "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
      ],
      ["securityhub:GetFindings", "arn:aws:securityhub:eu-west-1:123456789012:hub/default"],
      ["sns:Publish", "arn:aws:sns:eu-west-1:123456789012:keyrotate-events"],
      ["ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/keyrotate/webhook-url"],
    ]);
    // Every action a setting turns on is one the adapter's code calls.
    expect(adapterActions()).toEqual(expect.arrayContaining(gated));
  });

  it("narrows the role's resources: users of this account, the credential/ prefix, the sender identity", () => {
    // The preflight (issue 13) adds three SES reads, and nothing else: its object is under credential/.
    const statements =
      rolePolicies(resolved({ SecretStore: "secretsmanager" }))["keyrotate-operations"]
        ?.Statement ?? [];
    const resourcesOf = (action: string) =>
      statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));

    for (const action of deployedActions()) {
      const resources = resourcesOf(action);
      if (
        [
          "iam:GenerateCredentialReport",
          "iam:GetCredentialReport",
          // The preflight's SES reads: account-wide, they take no resource.
          "ses:GetIdentityVerificationAttributes",
          "ses:GetAccountSendingEnabled",
          "ses:GetSendQuota",
        ].includes(action)
      ) {
        expect(resources, action).toEqual(["*"]);
      } else if (action.startsWith("iam:")) {
        expect(resources, action).toEqual(["arn:aws:iam::123456789012:user/*"]);
      } else if (action === "s3:GetObject") {
        expect(resources, action).toEqual([
          "arn:aws:s3:::keyrotate-credentials-test/keyrotate/lease.json",
        ]);
      } else if (action.startsWith("secretsmanager:")) {
        // Only keyrotate's secrets, keyrotate/<user name> (issue 17).
        expect(resources, action).toEqual([
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keyrotate/*",
        ]);
      } else if (action.startsWith("s3:")) {
        expect(resources, action).toEqual([
          "arn:aws:s3:::keyrotate-credentials-test/credential/*",
          "arn:aws:s3:::keyrotate-credentials-test/keyrotate/lease.json",
        ]);
      } else {
        expect(resources, action).toEqual([
          "arn:aws:ses:eu-west-1:123456789012:identity/keyrotate@example.com",
          "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
        ]);
      }
    }
  });

  it("grants no iam:ListUsers: the deployed handler never selects the list-users scan mode", () => {
    const bundleEntry = readFileSync(join(packageDir, "src/bundle.ts"), "utf8");
    const event = readFileSync(join(packageDir, "src/event.ts"), "utf8");
    const statements =
      rolePolicies(resolved({ SecretStore: "secretsmanager" }))["keyrotate-operations"]
        ?.Statement ?? [];

    expect(bundleEntry).toContain("createHandler({ env: process.env })");
    expect(event).not.toMatch(/scanMode|list-users/);
    expect(statements.flatMap((s) => list(s.Action))).not.toContain("iam:ListUsers");
  });

  it("limits TagUser and UntagUser to keyrotate's three tag keys, from the parameters", () => {
    const r = resolved({ StateTagKey: "kr-state", LastCheckDateTagKey: "kr-date" });
    const statements = rolePolicies(r)["keyrotate-operations"]?.Statement ?? [];
    const tagging = statements.filter((s) => list(s.Action).some((a) => a.endsWith("TagUser")));

    expect(tagging).toHaveLength(1);
    expect(list(tagging[0]?.Action ?? [])).toEqual(["iam:TagUser", "iam:UntagUser"]);
    expect(tagging[0]?.Condition).toEqual({
      "ForAllValues:StringEquals": { "aws:TagKeys": ["kr-date", "last-check-old-key", "kr-state"] },
    });
  });

  it("keeps a new secret until its old key is deleted: the lifecycle sums the day parameters", async () => {
    const raw = template.Resources.CredentialsBucket?.Properties as Record<string, Json>;
    const rule = (raw.LifecycleConfiguration as { Rules: Array<Record<string, Json>> }).Rules[0];
    expect(rule?.ExpirationInDays).toEqual({ "Fn::GetAtt": ["CredentialsExpiryDays", "Days"] });
    const fn = template.Resources.DaysSumFunction?.Properties as
      | { Code: { ZipFile: string } }
      | undefined;
    const code = fn?.Code.ZipFile ?? "";

    for (const [parameters, expected] of [
      [{}, 28],
      [{ DeactivateDays: "30", InUseDelayDays: "0", DeletionDays: "45" }, 76],
    ] as const) {
      const addDays = (
        resolved(parameters).properties("CredentialsExpiryDays") as {
          AddDays: Json[];
        }
      ).AddDays;
      const answer = await runCustomResource(code, { RequestType: "Create", addDays });
      expect(answer).toMatchObject({ Status: "SUCCESS", Data: { Days: String(expected) } });
    }
    expect(
      await runCustomResource(code, { RequestType: "Update", addDays: ["10", "x", "10", 1] }),
    ).toMatchObject({ Status: "FAILED", Reason: expect.stringContaining("AddDays") });
  });

  it("sends failed invocations to a queue and alarms on the function's errors", () => {
    const r = resolved({ AlarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops" });
    const fn = r.properties("KeyrotateFunction") ?? {};
    const alarm = r.properties("FunctionErrorsAlarm") ?? {};

    expect(fn.EventInvokeConfig).toMatchObject({
      DestinationConfig: {
        OnFailure: {
          Type: "SQS",
          Destination: "arn:aws:sqs:eu-west-1:123456789012:keyrotate-FailedRunsQueue-5E6F",
        },
      },
    });
    expect(alarm).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: "keyrotate" }],
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
      AlarmActions: ["arn:aws:sns:eu-west-1:123456789012:ops"],
    });
    expect(resolved().properties("FunctionErrorsAlarm")?.AlarmActions).toBeUndefined();
    expect(r.properties("RunFailuresAlarm")).toMatchObject({
      Namespace: "keyrotate",
      MetricName: "failures",
      Dimensions: [{ Name: "service", Value: "keyrotate" }],
    });
  });
});

/**
 * Runs the custom resource's inline code as Lambda would (`exports.handler`), with CloudFormation's
 * response URL on a local server, and returns what it answered.
 */
const runCustomResource = async (
  code: string,
  request: { RequestType: string; addDays: ReadonlyArray<Json> },
): Promise<Record<string, unknown>> => {
  let answered: Record<string, unknown> = {};
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      answered = { method: req.method, ...JSON.parse(Buffer.concat(parts).toString("utf8")) };
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const module = { exports: {} as { handler?: (e: unknown, c: unknown) => Promise<void> } };
    new Function("exports", "module", code)(module.exports, module);
    await module.exports.handler?.(
      {
        RequestType: request.RequestType,
        ResponseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`,
        StackId: "stack",
        RequestId: "request",
        LogicalResourceId: "CredentialsExpiryDays",
        ResourceProperties: { ServiceToken: "arn", AddDays: request.addDays },
      },
      { logStreamName: "stream" },
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  expect(answered.method).toBe("PUT");
  return answered;
};
