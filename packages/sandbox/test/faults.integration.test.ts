import {
  CreateUserCommand,
  GetUserCommand,
  ListUsersCommand,
  TagUserCommand,
} from "@aws-sdk/client-iam";
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import { ListIdentitiesCommand } from "@aws-sdk/client-ses";
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { FaultSettingsError } from "../src/index.js";
import {
  caught,
  clients,
  sandbox,
  sandboxWithClients,
  sdkRetryClassification,
  thrown,
} from "./support.js";

const retry = sdkRetryClassification();

describe("faults and limits", () => {
  it("throttles IAM and SES with a retryable 400 Throttling and S3 with a retryable 503 SlowDown", async () => {
    const s = await sandbox({ seed: { buckets: ["throttled"] } });
    s.setFaults({
      throttle: {
        iam: { ratePerSecond: 0.001, burst: 1 },
        s3: { ratePerSecond: 0.001, burst: 1 },
        ses: { ratePerSecond: 0.001, burst: 1 },
      },
    });
    const { iam, s3, ses } = clients(s, { maxAttempts: 1 });
    await iam.send(new ListUsersCommand({}));
    const iamErr = await caught(() => iam.send(new ListUsersCommand({})));
    expect(iamErr.name).toBe("Throttling");
    expect(iamErr.message).toBe("Rate exceeded");
    expect(iamErr.$metadata.httpStatusCode).toBe(400);
    expect(retry.isThrottlingError(iamErr)).toBe(true);

    await ses.send(new ListIdentitiesCommand({}));
    const sesErr = await caught(() => ses.send(new ListIdentitiesCommand({})));
    expect(sesErr.name).toBe("Throttling");
    expect(retry.isThrottlingError(sesErr)).toBe(true);

    await s3.send(new ListObjectsV2Command({ Bucket: "throttled" }));
    const s3Err = await caught(() => s3.send(new ListObjectsV2Command({ Bucket: "throttled" })));
    expect(s3Err.name).toBe("SlowDown");
    expect(s3Err.$metadata.httpStatusCode).toBe(503);
    expect(retry.isThrottlingError(s3Err)).toBe(true);
    expect(s.calls()["iam:ListUsers"]).toBe(2);
  });

  it("throttles Secrets Manager, Security Hub and SNS with each one's own code, retryable to the SDK", async () => {
    const s = await sandbox({ faults: { throttleRate: 1 } });
    const config = { ...s.clientConfig(), maxAttempts: 1 };
    const errors = [
      await caught(() =>
        new SecretsManagerClient(config).send(new DescribeSecretCommand({ SecretId: "k" })),
      ),
      await caught(() => new SecurityHubClient(config).send(new GetFindingsCommand({}))),
      await caught(() => new SNSClient(config).send(new ListTopicsCommand({}))),
    ];
    expect(errors.map((e) => [e.name, e.$metadata.httpStatusCode])).toEqual([
      ["ThrottlingException", 400],
      ["LimitExceededException", 429],
      ["Throttling", 400],
    ]);
    expect(errors.every((e) => retry.isThrottlingError(e))).toBe(true);
  });

  it("lets a default client ride out throttling with retries", async () => {
    // Seeded throttling, one call at a time: which attempts are throttled depends on the seed
    // only, never on the machine's speed or the SDK's random backoff.
    const { s, iam } = await sandboxWithClients({ randomSeed: 7, faults: { throttleRate: 0.5 } });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await iam.send(new ListUsersCommand({})));
    expect(results.every((r) => r.$metadata.httpStatusCode === 200)).toBe(true);
    expect(Math.max(...results.map((r) => r.$metadata.attempts ?? 1))).toBeGreaterThan(1);
    expect(s.calls()["iam:ListUsers"]).toBeGreaterThan(4);
    expect(s.faultCounts().throttled).toBe((s.calls()["iam:ListUsers"] ?? 0) - 4);
  });

  it("injects random 5xx errors and resets reproducibly from the random seed", async () => {
    async function run(): Promise<string[]> {
      const { s, iam } = await sandboxWithClients(
        { randomSeed: 7, faults: { errorRate: 0.3, resetRate: 0.2 } },
        { maxAttempts: 1 },
      );
      const outcomes: string[] = [];
      for (let i = 0; i < 40; i++) {
        try {
          await iam.send(new ListUsersCommand({}));
          outcomes.push("ok");
        } catch (e) {
          const err = e as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
          outcomes.push(
            err.$metadata?.httpStatusCode
              ? `${err.$metadata.httpStatusCode} ${err.name}`
              : `reset ${err.code ?? err.name}`,
          );
          if (err.$metadata?.httpStatusCode)
            expect(retry.isTransientError(err) || retry.isServerError(err)).toBe(true);
          else expect(retry.isTransientError(err)).toBe(true);
        }
      }
      await s.close();
      return outcomes;
    }
    const first = await run();
    expect(first).toEqual(await run());
    expect(first.filter((o) => o === "ok").length).toBeGreaterThan(10);
    expect(first.some((o) => o === "500 InternalFailure" || o === "503 ServiceUnavailable")).toBe(
      true,
    );
    expect(first.some((o) => o.startsWith("reset"))).toBe(true);
  });

  it("crashes every call after the Nth with 500 InternalFailure, or with connection resets", async () => {
    const { s, iam } = await sandboxWithClients({}, { maxAttempts: 1 });
    await iam.send(new ListUsersCommand({}));
    s.setFaults({ crashAfterCalls: 2 });
    await iam.send(new ListUsersCommand({}));
    await iam.send(new ListUsersCommand({}));
    for (let i = 0; i < 3; i++) {
      const err = await caught(() => iam.send(new ListUsersCommand({})));
      expect(err.name).toBe("InternalFailure");
      expect(err.$metadata.httpStatusCode).toBe(500);
    }
    s.setFaults({ crashAfterCalls: 0, crashMode: "reset" });
    const reset = await caught(() => iam.send(new ListUsersCommand({})));
    expect(reset.$metadata?.httpStatusCode).toBeUndefined();
    expect(retry.isTransientError(reset)).toBe(true);
    s.setFaults({});
    expect((await iam.send(new ListUsersCommand({}))).$metadata.httpStatusCode).toBe(200);
    expect(s.calls()["iam:ListUsers"]).toBe(8);
  });

  it("fails the next N calls of one operation as configured, then recovers", async () => {
    const { s, iam, s3 } = await sandboxWithClients(
      { seed: { buckets: ["bkt"], users: [{ name: "alice" }] } },
      { maxAttempts: 1 },
    );
    s.setFaults({
      failOperations: {
        "s3:PutObject": { count: 1, status: 500, code: "InternalError" },
        "iam:TagUser": {
          count: 2,
          status: 400,
          code: "LimitExceeded",
          message: "tag quota (injected)",
        },
      },
    });
    const putErr = await caught(() =>
      s3.send(new PutObjectCommand({ Bucket: "bkt", Key: "k", Body: "v" })),
    );
    expect(putErr.name).toBe("InternalError");
    expect(putErr.$metadata.httpStatusCode).toBe(500);
    await s3.send(new PutObjectCommand({ Bucket: "bkt", Key: "k", Body: "v" }));
    for (let i = 0; i < 2; i++) {
      const tagErr = await caught(() =>
        iam.send(new TagUserCommand({ UserName: "alice", Tags: [{ Key: "a", Value: "b" }] })),
      );
      expect(tagErr.name).toBe("LimitExceededException");
      expect(tagErr.message).toBe("tag quota (injected)");
    }
    await iam.send(new TagUserCommand({ UserName: "alice", Tags: [{ Key: "a", Value: "b" }] }));
    expect(s.faults().failOperations).toEqual({
      "s3:PutObject": { count: 0, status: 500, code: "InternalError" },
      "iam:TagUser": {
        count: 0,
        status: 400,
        code: "LimitExceeded",
        message: "tag quota (injected)",
      },
    });
    expect(s.calls()).toEqual({ "iam:TagUser": 3, "s3:PutObject": 2 });
    const defaultRetry = clients(s).s3;
    s.setFaults({ failOperations: { "s3:PutObject": { count: 2 } } });
    const recovered = await defaultRetry.send(
      new PutObjectCommand({ Bucket: "bkt", Key: "k2", Body: "v" }),
    );
    expect(recovered.$metadata.attempts).toBe(3);
  });

  it("lets `skip` calls of an operation pass before its failures start", async () => {
    const { s, s3 } = await sandboxWithClients({ seed: { buckets: ["bkt"] } }, { maxAttempts: 1 });
    s.setFaults({ failOperations: { "s3:PutObject": { skip: 1, count: 1, status: 403 } } });
    const put = (key: string) =>
      s3.send(new PutObjectCommand({ Bucket: "bkt", Key: key, Body: "v" }));

    await put("first");
    const second = await caught(() => put("second"));
    await put("third");

    expect(second.$metadata.httpStatusCode).toBe(403);
    expect(s.objects("bkt").map((o) => o.key)).toEqual(["first", "third"]);
  });

  it("adds latency with jitter to every call", async () => {
    const { iam } = await sandboxWithClients({ faults: { latencyMs: 60, latencyJitterMs: 20 } });
    const started = performance.now();
    await iam.send(new GetUserCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it("counts every call per service:Operation, including failed ones, and resets the counts", async () => {
    const { s, iam, s3, ses } = await sandboxWithClients(
      { seed: { buckets: ["counted"] } },
      { maxAttempts: 1 },
    );
    await iam.send(new CreateUserCommand({ UserName: "u1" }));
    await caught(() => iam.send(new CreateUserCommand({ UserName: "u1" })));
    await s3.send(new CreateBucketCommand({ Bucket: "another" }));
    await ses.send(new ListIdentitiesCommand({}));
    expect(s.calls()).toEqual({
      "iam:CreateUser": 2,
      "s3:CreateBucket": 1,
      "ses:ListIdentities": 1,
    });
    s.resetCalls();
    expect(s.calls()).toEqual({});
  });

  it("refuses invalid fault settings with every problem listed", () => {
    return sandbox().then((s) => {
      const error = thrown(() =>
        s.setFaults({
          errorRate: 2,
          crashMode: "explode" as "error",
          throttle: { ec2: { ratePerSecond: 0 } } as never,
        }),
      );
      expect(error).toBeInstanceOf(FaultSettingsError);
      expect((error as FaultSettingsError).problems).toEqual([
        "faults.errorRate: must be a number between 0 and 1",
        'faults.crashMode: must be "error" or "reset"',
        "faults.throttle.ec2: unknown service (use iam, s3, ses, secretsmanager, securityhub, sns, ssm)",
        "faults.throttle.ec2.ratePerSecond: must be a number > 0",
      ]);
    });
  });
});
