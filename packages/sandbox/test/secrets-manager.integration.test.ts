import { CreateAccessKeyCommand, IAMClient, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../src/index.js";
import { secretHygiene } from "../src/verify/secretHygiene.js";
import { authorization, caught, raw, sandbox } from "./support.js";

const smClient = (s: Sandbox, config: Partial<ReturnType<Sandbox["clientConfig"]>> = {}) =>
  new SecretsManagerClient({ ...s.clientConfig(), ...config, maxAttempts: 1 });

const POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:user/alice" },
      Action: "secretsmanager:GetSecretValue",
      Resource: "*",
    },
  ],
});

describe("Secrets Manager through the real SDK", () => {
  it("creates a secret with an AWS-shaped ARN, tags and KMS key, and reads its value by name or ARN", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    const created = await sm.send(
      new CreateSecretCommand({
        Name: "keyrotate/alice",
        SecretString: '{"AccessKeyId":"AKIAEXAMPLE"}',
        KmsKeyId: "alias/keyrotate",
        Tags: [{ Key: "owner", Value: "alice" }],
      }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:keyrotate\/alice-[A-Za-z0-9]{6}$/,
    );
    const byName = await sm.send(new GetSecretValueCommand({ SecretId: "keyrotate/alice" }));
    const byArn = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(byName.SecretString).toBe('{"AccessKeyId":"AKIAEXAMPLE"}');
    expect(byName.VersionId).toBe(created.VersionId);
    expect(byName.VersionStages).toEqual(["AWSCURRENT"]);
    expect(byName.CreatedDate?.toISOString()).toBe("2026-11-23T10:00:00.000Z");
    expect(byArn.VersionId).toBe(created.VersionId);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: "keyrotate/alice" }));
    expect(described.KmsKeyId).toBe("alias/keyrotate");
    expect(described.Tags).toEqual([{ Key: "owner", Value: "alice" }]);
    const again = await caught(() =>
      sm.send(new CreateSecretCommand({ Name: "keyrotate/alice", SecretString: "x" })),
    );
    expect(again.name).toBe("ResourceExistsException");
    expect(again.$metadata.httpStatusCode).toBe(400);
  });

  it("moves AWSCURRENT to each new version and AWSPREVIOUS to the one before, as AWS does", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    const v1 = await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "one" }));
    const v2 = await sm.send(new PutSecretValueCommand({ SecretId: "k", SecretString: "two" }));
    const v3 = await sm.send(new PutSecretValueCommand({ SecretId: "k", SecretString: "three" }));
    expect(v3.VersionStages).toEqual(["AWSCURRENT"]);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: "k" }))).SecretString).toBe(
      "three",
    );
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: "k", VersionStage: "AWSPREVIOUS" }),
    );
    expect(previous.SecretString).toBe("two");
    expect(previous.VersionId).toBe(v2.VersionId);
    const oldest = await sm.send(
      new GetSecretValueCommand({ SecretId: "k", VersionId: v1.VersionId }),
    );
    expect(oldest.SecretString).toBe("one");
    expect(oldest.VersionStages).toEqual([]);
    const stages = (await sm.send(new DescribeSecretCommand({ SecretId: "k" }))).VersionIdsToStages;
    expect(stages).toEqual({
      [v2.VersionId as string]: ["AWSPREVIOUS"],
      [v3.VersionId as string]: ["AWSCURRENT"],
    });
  });

  it("moves a staging label back with UpdateSecretVersionStage, AWSPREVIOUS following AWSCURRENT", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    const v1 = await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "one" }));
    const v2 = await sm.send(new PutSecretValueCommand({ SecretId: "k", SecretString: "two" }));
    const stageOf = async () =>
      (await sm.send(new DescribeSecretCommand({ SecretId: "k" }))).VersionIdsToStages;
    const unnamed = await caught(() =>
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: "k",
          VersionStage: "AWSCURRENT",
          MoveToVersionId: v1.VersionId,
        }),
      ),
    );
    expect(unnamed.name).toBe("InvalidParameterException");
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: "k",
        VersionStage: "AWSCURRENT",
        MoveToVersionId: v1.VersionId,
        RemoveFromVersionId: v2.VersionId,
      }),
    );
    expect(await stageOf()).toEqual({
      [v1.VersionId as string]: ["AWSCURRENT"],
      [v2.VersionId as string]: ["AWSPREVIOUS"],
    });
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: "k",
        VersionStage: "AWSPREVIOUS",
        RemoveFromVersionId: v2.VersionId,
      }),
    );
    expect(await stageOf()).toEqual({ [v1.VersionId as string]: ["AWSCURRENT"] });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: "k" }))).SecretString).toBe("one");
  });

  it("treats a retried PutSecretValue with the same token as one version and refuses a changed value", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "one" }));
    const token = "11111111-2222-4333-8444-555555555555";
    const first = await sm.send(
      new PutSecretValueCommand({ SecretId: "k", SecretString: "two", ClientRequestToken: token }),
    );
    const retried = await sm.send(
      new PutSecretValueCommand({ SecretId: "k", SecretString: "two", ClientRequestToken: token }),
    );
    expect(retried.VersionId).toBe(first.VersionId);
    expect(first.VersionId).toBe(token);
    const changed = await caught(() =>
      sm.send(
        new PutSecretValueCommand({ SecretId: "k", SecretString: "3", ClientRequestToken: token }),
      ),
    );
    expect(changed.name).toBe("ResourceExistsException");
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: "k", VersionStage: "AWSPREVIOUS" })))
        .SecretString,
    ).toBe("one");
  });

  it("answers a retried CreateSecret (same token, same value) as the first, as after a lost response", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    const token = "aaaaaaaa-2222-4333-8444-555555555555";
    const create = (SecretString: string) =>
      sm.send(new CreateSecretCommand({ Name: "k", SecretString, ClientRequestToken: token }));
    const first = await create("one");
    const retried = await create("one");
    expect(retried).toMatchObject({ ARN: first.ARN, VersionId: token });
    expect((await caught(() => create("other"))).name).toBe("ResourceExistsException");
    const fresh = await caught(() =>
      sm.send(new CreateSecretCommand({ Name: "k", SecretString: "one" })),
    );
    expect(fresh.name).toBe("ResourceExistsException");
    expect(s.secrets()[0]?.versions).toHaveLength(1);
  });

  it("answers ResourceNotFoundException for an unknown secret, version or staging label", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "one" }));
    for (const input of [
      { SecretId: "nope" },
      { SecretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:k-AAAAAA" },
      { SecretId: "k", VersionStage: "AWSPREVIOUS" },
      { SecretId: "k", VersionId: "00000000-0000-4000-8000-000000000000" },
    ]) {
      const err = await caught(() => sm.send(new GetSecretValueCommand(input)));
      expect(err.name).toBe("ResourceNotFoundException");
    }
  });

  it("stores a resource policy as given and refuses one that is not JSON", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "one" }));
    expect((await sm.send(new GetResourcePolicyCommand({ SecretId: "k" }))).ResourcePolicy).toBe(
      undefined,
    );
    await sm.send(new PutResourcePolicyCommand({ SecretId: "k", ResourcePolicy: POLICY }));
    expect((await sm.send(new GetResourcePolicyCommand({ SecretId: "k" }))).ResourcePolicy).toBe(
      POLICY,
    );
    const bad = await caught(() =>
      sm.send(new PutResourcePolicyCommand({ SecretId: "k", ResourcePolicy: "{not json" })),
    );
    expect(bad.name).toBe("MalformedPolicyDocumentException");
    expect(s.secrets()[0]?.resourcePolicy).toBe(POLICY);
  });

  it("schedules deletion in a 7-30 day window, refuses reads meanwhile and forgets the secret after it", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "one" }));
    for (const RecoveryWindowInDays of [6, 31]) {
      const err = await caught(() =>
        sm.send(new DeleteSecretCommand({ SecretId: "k", RecoveryWindowInDays })),
      );
      expect(err.name).toBe("InvalidParameterException");
    }
    const both = await caught(() =>
      sm.send(
        new DeleteSecretCommand({
          SecretId: "k",
          RecoveryWindowInDays: 7,
          ForceDeleteWithoutRecovery: true,
        }),
      ),
    );
    expect(both.name).toBe("InvalidParameterException");
    const deleted = await sm.send(
      new DeleteSecretCommand({ SecretId: "k", RecoveryWindowInDays: 7 }),
    );
    expect(deleted.DeletionDate?.toISOString()).toBe("2026-11-30T10:00:00.000Z");
    const read = await caught(() => sm.send(new GetSecretValueCommand({ SecretId: "k" })));
    expect(read.name).toBe("InvalidRequestException");
    const put = await caught(() =>
      sm.send(new PutSecretValueCommand({ SecretId: "k", SecretString: "two" })),
    );
    expect(put.name).toBe("InvalidRequestException");
    const recreate = await caught(() =>
      sm.send(new CreateSecretCommand({ Name: "k", SecretString: "two" })),
    );
    expect(recreate.name).toBe("InvalidRequestException");
    expect(
      (await sm.send(new DescribeSecretCommand({ SecretId: "k" }))).DeletedDate?.toISOString(),
    ).toBe("2026-11-23T10:00:00.000Z");
    s.clock.advanceDays(7);
    const gone = await caught(() => sm.send(new DescribeSecretCommand({ SecretId: "k" })));
    expect(gone.name).toBe("ResourceNotFoundException");
    expect(s.secrets()).toEqual([]);
  });

  it("deletes at once with ForceDeleteWithoutRecovery, so the name can be used again", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "one" }));
    await sm.send(new DeleteSecretCommand({ SecretId: "k", ForceDeleteWithoutRecovery: true }));
    const read = await caught(() => sm.send(new GetSecretValueCommand({ SecretId: "k" })));
    expect(read.name).toBe("ResourceNotFoundException");
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "again" }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: "k" }))).SecretString).toBe(
      "again",
    );
  });

  it("refuses to store or read a value with a declared KMS key that is disabled", async () => {
    const s = await sandbox({ seed: { kmsKeys: [{ id: "alias/off", state: "Disabled" }] } });
    const sm = smClient(s);
    const refused = await caught(() =>
      sm.send(new CreateSecretCommand({ Name: "k", SecretString: "v", KmsKeyId: "alias/off" })),
    );
    expect(refused.name).toBe("EncryptionFailure");
    expect(s.secrets()).toEqual([]);
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "v", KmsKeyId: "alias/on" }));
    s.seed({ kmsKeys: [{ id: "alias/on", state: "Disabled" }] });
    const unreadable = await caught(() => sm.send(new GetSecretValueCommand({ SecretId: "k" })));
    expect(unreadable.name).toBe("DecryptionFailure");
  });

  it("keeps secrets per account: a member account does not see the management account's", async () => {
    const s = await sandbox({
      seed: {
        organization: { accounts: [{ id: "222222222222", name: "dev" }] },
      },
    });
    const member = smClient(s, s.account("222222222222").clientConfig());
    await smClient(s).send(new CreateSecretCommand({ Name: "k", SecretString: "one" }));
    const err = await caught(() => member.send(new GetSecretValueCommand({ SecretId: "k" })));
    expect(err.name).toBe("ResourceNotFoundException");
    const own = await member.send(new CreateSecretCommand({ Name: "k", SecretString: "dev" }));
    expect(own.ARN).toContain(":222222222222:secret:k-");
    expect(
      s
        .account("222222222222")
        .secrets()
        .map((x) => x.name),
    ).toEqual(["k"]);
  });

  it("shows secrets for inspection, values only when asked", async () => {
    const s = await sandbox();
    const sm = smClient(s);
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "hidden-value" }));
    expect(JSON.stringify(s.secrets())).not.toContain("hidden-value");
    expect(s.secrets({ values: true })[0]?.versions[0]?.secretString).toBe("hidden-value");
    const plain = await raw(s, "/_sandbox/secrets");
    expect(plain.status).toBe(200);
    expect(plain.text).not.toContain("hidden-value");
    expect(JSON.parse(plain.text).secrets[0].versions[0].stages).toEqual(["AWSCURRENT"]);
    const withValues = await raw(s, "/_sandbox/secrets?values=1");
    expect(JSON.parse(withValues.text).secrets[0].versions[0].secretString).toBe("hidden-value");
  });

  it("lets the secret scanner flag a stored value only when it holds an issued access key's secret", async () => {
    const s = await sandbox({ seed: { users: [{ name: "alice" }] } });
    const sm = smClient(s);
    const { AccessKey } = await new IAMClient(s.clientConfig()).send(
      new CreateAccessKeyCommand({ UserName: "alice" }),
    );
    await sm.send(
      new CreateSecretCommand({
        Name: "keyrotate/alice",
        SecretString: JSON.stringify({
          AccessKeyId: AccessKey?.AccessKeyId,
          SecretAccessKey: AccessKey?.SecretAccessKey,
        }),
      }),
    );
    await sm.send(
      new CreateSecretCommand({ Name: "app/db", SecretString: "a-database-password-not-a-key" }),
    );
    const hygiene = secretHygiene(s);
    expect(hygiene.scan({ stored: s.secrets({ values: true }) })).toEqual([
      { where: "stored", accessKeyId: AccessKey?.AccessKeyId, form: "verbatim" },
    ]);
    expect(hygiene.scan({ inspected: s.secrets(), db: s.secrets({ values: true })[0] })).toEqual(
      [],
    );
  });

  it("answers a body that is not JSON, an unknown operation and a deactivated key in JSON 1.1 errors", async () => {
    const s = await sandbox({ seed: { users: [{ name: "alice" }] } });
    const call = (target: string, body: string) =>
      raw(s, "/", {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": target,
          authorization: authorization("secretsmanager"),
        },
        body,
      });
    const garbled = await call("secretsmanager.CreateSecret", "{not json");
    expect(garbled.status).toBe(400);
    expect(garbled.headers.get("x-amzn-errortype")).toBe("SerializationException");
    const unknown = await call("secretsmanager.RotateSecret", "{}");
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).__type).toBe("UnknownOperationException");
    const iam = new IAMClient(s.clientConfig());
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    const credentials = {
      accessKeyId: AccessKey?.AccessKeyId as string,
      secretAccessKey: AccessKey?.SecretAccessKey as string,
    };
    await iam.send(
      new UpdateAccessKeyCommand({
        UserName: "alice",
        AccessKeyId: credentials.accessKeyId,
        Status: "Inactive",
      }),
    );
    const refused = await caught(() =>
      smClient(s, { credentials }).send(new GetSecretValueCommand({ SecretId: "k" })),
    );
    expect(refused.name).toBe("UnrecognizedClientException");
  });

  it("fails Secrets Manager calls as fault settings say", async () => {
    const s = await sandbox({
      faults: { failOperations: { "secretsmanager:CreateSecret": { count: 1, status: 500 } } },
    });
    const sm = smClient(s);
    const err = await caught(() =>
      sm.send(new CreateSecretCommand({ Name: "k", SecretString: "v" })),
    );
    expect(err.$metadata.httpStatusCode).toBe(500);
    expect(s.secrets()).toEqual([]);
    await sm.send(new CreateSecretCommand({ Name: "k", SecretString: "v" }));
    expect(s.calls()["secretsmanager:CreateSecret"]).toBe(2);
  });
});
