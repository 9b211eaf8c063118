import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../src/index.js";
import { caught, sandbox } from "./support.js";

const ssmClient = (s: Sandbox) => new SSMClient({ ...s.clientConfig(), maxAttempts: 1 });

describe("SSM GetParameter through the real SDK", () => {
  it("returns a seeded SecureString decrypted only WithDecryption", async () => {
    const s = await sandbox();
    s.putParameter("/keyrotate/webhook-url", "https://hooks.example.com/T/B/x");
    const ssm = ssmClient(s);

    const clear = await ssm.send(
      new GetParameterCommand({ Name: "/keyrotate/webhook-url", WithDecryption: true }),
    );
    const sealed = await ssm.send(new GetParameterCommand({ Name: "/keyrotate/webhook-url" }));

    expect(clear.Parameter).toMatchObject({
      Name: "/keyrotate/webhook-url",
      Type: "SecureString",
      Value: "https://hooks.example.com/T/B/x",
      Version: 1,
      ARN: "arn:aws:ssm:us-east-1:123456789012:parameter/keyrotate/webhook-url",
    });
    expect(sealed.Parameter?.Value).not.toContain("hooks.example.com");
  });

  it("finds a parameter by its ARN, and counts versions of an overwritten one", async () => {
    const s = await sandbox();
    s.putParameter("plain", "one", "String");
    s.putParameter("plain", "two", "String");

    const out = await ssmClient(s).send(
      new GetParameterCommand({ Name: "arn:aws:ssm:us-east-1:123456789012:parameter/plain" }),
    );

    expect(out.Parameter).toMatchObject({ Value: "two", Version: 2, Type: "String" });
  });

  it("answers ParameterNotFound for a parameter that does not exist", async () => {
    const s = await sandbox();

    const e = await caught(() =>
      ssmClient(s).send(new GetParameterCommand({ Name: "/nowhere", WithDecryption: true })),
    );

    expect(e.name).toBe("ParameterNotFound");
    expect(s.calls()).toMatchObject({ "ssm:GetParameter": 1 });
  });

  it("refuses a name SSM reserves", async () => {
    const s = await sandbox();

    expect(() => s.putParameter("aws/x", "v")).toThrow(/not valid/);
  });
});
