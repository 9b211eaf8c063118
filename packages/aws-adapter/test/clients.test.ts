import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ListUsersCommand } from "@aws-sdk/client-iam";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { GetFindingsCommand } from "@aws-sdk/client-securityhub";
import { PublishCommand } from "@aws-sdk/client-sns";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiCallCounter, createAwsClients } from "../src/clients.js";
import { mapAwsError } from "../src/errors.js";
import { settingsFrom } from "./fixtures.js";

const listUsersXml = `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><IsTruncated>false</IsTruncated><Users/></ListUsersResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></ListUsersResponse>`;

/** A local endpoint that fails the first `failures` requests with a 500, then answers ListUsers. */
let server: Server;
let url: string;
let failures = 0;
let failureCode = "ServiceFailure";
let failureStatus = 500;
let received = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received += 1;
      if (failures > 0) {
        failures -= 1;
        res.writeHead(failureStatus, { "content-type": "text/xml" });
        res.end(
          `<ErrorResponse><Error><Type>Receiver</Type><Code>${failureCode}</Code><Message>failed</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(listUsersXml);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" };

/** Makes the next `n` requests fail with `code` and `status` (a 500 ServiceFailure by default). */
const failNext = (n: number, code = "ServiceFailure", status = 500) => {
  failures = n;
  failureCode = code;
  failureStatus = status;
};

describe("createAwsClients", () => {
  it("counts every attempt of a call by service:Operation, retries included", async () => {
    const clients = createAwsClients({ endpoint: url, region: "us-east-1", credentials });
    failNext(2);
    received = 0;

    await clients.iam.send(new ListUsersCommand({}));

    expect(received).toBe(3);
    expect(clients.calls.snapshot()).toEqual({ "iam:ListUsers": 3 });
    expect(clients.calls.total("iam")).toBe(3);
    expect(clients.calls.total("s3")).toBe(0);
  });

  it.each([["adaptive" as const], ["standard" as const]])(
    "does not retry IAM's LimitExceeded (a quota, not throttling) in %s mode",
    async (retryMode) => {
      const clients = createAwsClients({
        endpoint: url,
        region: "us-east-1",
        credentials,
        retryMode,
      });
      failNext(5, "LimitExceeded", 409);
      received = 0;

      const error = await clients.iam.send(new ListUsersCommand({})).catch((e: unknown) => e);

      expect(received).toBe(1);
      expect(mapAwsError("iam:ListUsers", error)).toMatchObject({
        tag: "LimitExceeded",
        code: "LimitExceeded",
      });
      failNext(0);
    },
  );

  it("still retries throttling", async () => {
    const clients = createAwsClients({ endpoint: url, region: "us-east-1", credentials });
    failNext(1, "Throttling", 400);
    received = 0;

    await clients.iam.send(new ListUsersCommand({}));

    expect(received).toBe(2);
  });

  it("retries IAM's first throttle without the SDK's throttling delay: its pacing waits", async () => {
    const paced = createAwsClients({ endpoint: url, region: "us-east-1", credentials });
    failNext(1, "Throttling", 400);
    received = 0;

    const out = await paced.iam.send(new ListUsersCommand({}));

    expect(received).toBe(2);
    expect(out.$metadata).toMatchObject({ attempts: 2, totalRetryDelay: 0 });
  });

  // Contract change (issue 16): IAM retries in standard mode under its learning pacing, which
  // does the slowing down; unpaced, it keeps the adaptive default.
  it("uses the SDK's adaptive retry mode by default and standard on request", async () => {
    const adaptive = createAwsClients({ region: "us-east-1", credentials });
    const standard = createAwsClients({ region: "us-east-1", credentials, retryMode: "standard" });
    const unpaced = createAwsClients({ region: "us-east-1", credentials, iamPacing: false });
    expect(await adaptive.s3.config.retryStrategy()).toMatchObject({ mode: "adaptive" });
    expect(await adaptive.ses.config.retryStrategy()).toMatchObject({ mode: "adaptive" });
    expect(await adaptive.iam.config.retryStrategy()).toMatchObject({ mode: "standard" });
    expect(await unpaced.iam.config.retryStrategy()).toMatchObject({ mode: "adaptive" });
    expect(await standard.s3.config.retryStrategy()).toMatchObject({ mode: "standard" });
  });

  it("puts SES in the settings' SES region", async () => {
    const clients = createAwsClients({
      settings: settingsFrom({ SES_REGION: "ap-southeast-2" }),
      region: "us-east-1",
      credentials,
    });
    expect(await clients.ses.config.region()).toBe("ap-southeast-2");
    expect(await clients.s3.config.region()).toBe("us-east-1");
  });

  it("sends every service to an explicit endpoint and uses path-style S3 there", async () => {
    const clients = createAwsClients({ endpoint: url, region: "us-east-1", credentials });
    for (const client of [clients.iam, clients.s3, clients.ses]) {
      const endpoint = await client.config.endpoint?.();
      expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe(url);
    }
    expect(clients.s3.config.forcePathStyle).toBe(true);
  });

  it.each([["AWS_ENDPOINT_URL"], ["AWS_ENDPOINT_URL_S3"]])(
    "uses path-style S3 when %s is set",
    (name) => {
      const clients = createAwsClients({ region: "us-east-1", credentials, env: { [name]: url } });
      expect(clients.s3.config.forcePathStyle).toBe(true);
    },
  );

  it("leaves virtual-hosted S3 and the SDK's endpoint resolution alone without a custom endpoint", () => {
    const clients = createAwsClients({ region: "us-east-1", credentials, env: {} });
    expect(clients.s3.config.forcePathStyle).toBe(false);
    expect(clients.iam.config.endpoint).toBeUndefined();
  });

  it("honours AWS_ENDPOINT_URL_IAM as the SDK reads it", async () => {
    const before = process.env.AWS_ENDPOINT_URL_IAM;
    process.env.AWS_ENDPOINT_URL_IAM = url;
    try {
      const clients = createAwsClients({ region: "us-east-1", credentials });
      received = 0;
      await clients.iam.send(new ListUsersCommand({}));
      expect(received).toBe(1);
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_IAM;
      else process.env.AWS_ENDPOINT_URL_IAM = before;
    }
  });

  it("honours AWS_ENDPOINT_URL_SECRETS_MANAGER as the SDK reads it, and counts the calls", async () => {
    const before = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = url;
    try {
      const clients = createAwsClients({ region: "us-east-1", credentials, maxAttempts: 1 });
      received = 0;
      // The stand-in answers in IAM's XML, which Secrets Manager's JSON reader refuses: what
      // counts here is where the request went.
      await clients.secretsManager
        .send(new DescribeSecretCommand({ SecretId: "keyrotate/alice" }))
        .catch(() => undefined);
      expect(received).toBe(1);
      expect(clients.calls.snapshot()).toEqual({ "secretsmanager:DescribeSecret": 1 });
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = before;
    }
  });

  it.each([
    ["AWS_ENDPOINT_URL_SECURITYHUB", "securityhub:GetFindings"],
    ["AWS_ENDPOINT_URL_SNS", "sns:Publish"],
    ["AWS_ENDPOINT_URL_SSM", "ssm:GetParameter"],
  ] as const)("lets the channel clients follow %s as the SDK reads it", async (name, operation) => {
    const before = process.env[name];
    process.env[name] = url;
    try {
      const clients = createAwsClients({ region: "us-east-1", credentials, maxAttempts: 1 });
      received = 0;
      // The local server answers IAM's XML: the call may fail to parse, but it reached the server.
      const call =
        operation === "securityhub:GetFindings"
          ? (await clients.securityHub()).send(new GetFindingsCommand({}))
          : operation === "sns:Publish"
            ? (await clients.sns()).send(
                new PublishCommand({
                  TopicArn: "arn:aws:sns:us-east-1:123456789012:t",
                  Message: "m",
                }),
              )
            : (await clients.ssm()).send(new GetParameterCommand({ Name: "/p" }));
      await call.catch(() => undefined);
      expect(received).toBe(1);
      expect(clients.calls.snapshot()).toEqual({ [operation]: 1 });
    } finally {
      if (before === undefined) delete process.env[name];
      else process.env[name] = before;
    }
  });

  it("makes a channel client once, on first call, in its topic's region for SNS", async () => {
    const clients = createAwsClients({
      settings: settingsFrom({ SNS_TOPIC_ARN: "arn:aws:sns:eu-central-1:123456789012:events" }),
      region: "us-east-1",
      credentials,
    });

    const [a, b] = await Promise.all([clients.sns(), clients.sns()]);

    expect(a).toBe(b);
    expect(await a.config.region()).toBe("eu-central-1");
    expect(await (await clients.securityHub()).config.region()).toBe("us-east-1");
  });

  it("runs extra middleware on every attempt, so tests can cut a run short after N calls", async () => {
    let seen = 0;
    const clients = createAwsClients({
      endpoint: url,
      region: "us-east-1",
      credentials,
      maxAttempts: 1,
      middleware: [
        (operation) => {
          seen += 1;
          if (seen > 1) {
            throw Object.assign(new Error(`crash before ${operation}`), { code: "ECONNRESET" });
          }
          return undefined;
        },
      ],
    });

    await clients.iam.send(new ListUsersCommand({}));
    const error = await clients.iam.send(new ListUsersCommand({})).catch((e: unknown) => e);

    expect(mapAwsError("iam:ListUsers", error).tag).toBe("ServiceFailure");
    expect(clients.calls.snapshot()).toEqual({ "iam:ListUsers": 2 });
  });

  it("lets extra middleware fail a call after AWS answered it, as a lost response would", async () => {
    received = 0;
    const clients = createAwsClients({
      endpoint: url,
      region: "us-east-1",
      credentials,
      maxAttempts: 1,
      middleware: [
        () => () => {
          throw Object.assign(new Error("response lost"), { code: "ECONNRESET" });
        },
      ],
    });

    const error = await clients.iam.send(new ListUsersCommand({})).catch((e: unknown) => e);

    expect(received).toBe(1);
    expect(mapAwsError("iam:ListUsers", error).tag).toBe("ServiceFailure");
  });
});

describe("ApiCallCounter", () => {
  it("tells the calls made since an earlier snapshot", () => {
    const counter = new ApiCallCounter();
    counter.record("iam:ListUsers");
    const before = counter.snapshot();
    counter.record("iam:ListUsers");
    counter.record("s3:PutObject");
    expect(counter.since(before)).toEqual({ "iam:ListUsers": 1, "s3:PutObject": 1 });
  });
});
