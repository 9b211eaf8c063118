import { CreateUserCommand, IAMClient, ListUsersCommand } from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import { ListIdentitiesCommand, SESClient } from "@aws-sdk/client-ses";
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterEach, describe, expect, it } from "vitest";
import { caught, sandbox } from "./support.js";

const saved = { ...process.env };

afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe("pointing clients at the sandbox through the environment", () => {
  it("works with AWS_ENDPOINT_URL and the other env() variables alone", async () => {
    const s = await sandbox();
    expect(Object.keys(s.env()).sort()).toEqual([
      "AWS_ACCESS_KEY_ID",
      "AWS_ENDPOINT_URL",
      "AWS_REGION",
      "AWS_SECRET_ACCESS_KEY",
    ]);
    Object.assign(process.env, s.env());
    delete process.env.AWS_PROFILE;
    const iam = new IAMClient({});
    await iam.send(new CreateUserCommand({ UserName: "from-env" }));
    expect((await iam.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName)).toEqual([
      "from-env",
    ]);
    // No forcePathStyle: the SDK addresses an IP endpoint path-style by itself.
    const s3 = new S3Client({});
    await s3.send(new CreateBucketCommand({ Bucket: "env-bucket" }));
    await s3.send(new PutObjectCommand({ Bucket: "env-bucket", Key: "k", Body: "v" }));
    expect(s.objects("env-bucket")[0]?.body.toString()).toBe("v");
    expect((await new SESClient({}).send(new ListIdentitiesCommand({}))).Identities).toEqual([]);
    expect(s.calls()).toMatchObject({
      "iam:CreateUser": 1,
      "s3:PutObject": 1,
      "ses:ListIdentities": 1,
    });
  });

  it("reaches Secrets Manager, Security Hub and SNS through AWS_ENDPOINT_URL and their own variables", async () => {
    const s = await sandbox();
    Object.assign(process.env, s.env());
    delete process.env.AWS_PROFILE;
    const secrets = () => new SecretsManagerClient({ maxAttempts: 1 });
    const hub = () => new SecurityHubClient({ maxAttempts: 1 });
    const sns = () => new SNSClient({ maxAttempts: 1 });
    const missing = new DescribeSecretCommand({ SecretId: "none" });
    expect((await caught(() => secrets().send(missing))).name).toBe("ResourceNotFoundException");
    await hub().send(new GetFindingsCommand({}));
    await sns().send(new ListTopicsCommand({}));
    // The service-specific variables win over AWS_ENDPOINT_URL (here a port nothing listens on).
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = s.url;
    process.env.AWS_ENDPOINT_URL_SECURITYHUB = s.url;
    process.env.AWS_ENDPOINT_URL_SNS = s.url;
    expect((await caught(() => secrets().send(missing))).name).toBe("ResourceNotFoundException");
    await hub().send(new GetFindingsCommand({}));
    await sns().send(new ListTopicsCommand({}));
    expect(s.calls()).toMatchObject({
      "secretsmanager:DescribeSecret": 2,
      "securityhub:GetFindings": 2,
      "sns:ListTopics": 2,
    });
  });
});
