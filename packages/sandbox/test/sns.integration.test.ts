import {
  CreateTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../src/index.js";
import { caught, raw, sandbox } from "./support.js";

const snsClient = (s: Sandbox) => new SNSClient({ ...s.clientConfig(), maxAttempts: 1 });

describe("SNS through the real SDK", () => {
  it("creates topics idempotently and lists them", async () => {
    const s = await sandbox();
    const sns = snsClient(s);
    const a = await sns.send(new CreateTopicCommand({ Name: "keyrotate-alerts" }));
    const again = await sns.send(new CreateTopicCommand({ Name: "keyrotate-alerts" }));
    await sns.send(new CreateTopicCommand({ Name: "other" }));
    expect(a.TopicArn).toBe("arn:aws:sns:us-east-1:123456789012:keyrotate-alerts");
    expect(again.TopicArn).toBe(a.TopicArn);
    const listed = await sns.send(new ListTopicsCommand({}));
    expect(listed.Topics?.map((t) => t.TopicArn)).toEqual([
      "arn:aws:sns:us-east-1:123456789012:keyrotate-alerts",
      "arn:aws:sns:us-east-1:123456789012:other",
    ]);
    const bad = await caught(() => sns.send(new CreateTopicCommand({ Name: "no spaces" })));
    expect(bad.name).toBe("InvalidParameterException");
  });

  it("records what is published: message, subject and message attributes", async () => {
    const s = await sandbox();
    const sns = snsClient(s);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "keyrotate-alerts" }));
    const sent = await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: "keyrotate run",
        Message: JSON.stringify({ event: "rotated", user: "alice" }),
        MessageAttributes: {
          event: { DataType: "String", StringValue: "rotated" },
          count: { DataType: "Number", StringValue: "3" },
        },
      }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.snsMessages()).toEqual([
      {
        id: sent.MessageId,
        time: new Date("2026-11-23T10:00:00.000Z"),
        topicArn: TopicArn,
        subject: "keyrotate run",
        message: '{"event":"rotated","user":"alice"}',
        messageStructure: null,
        attributes: {
          event: { dataType: "String", stringValue: "rotated" },
          count: { dataType: "Number", stringValue: "3" },
        },
      },
    ]);
    const res = await raw(s, "/_sandbox/sns");
    expect(JSON.parse(res.text).messages[0].subject).toBe("keyrotate run");
  });

  it("answers NotFound for an unknown topic and refuses a message over 256 KiB", async () => {
    const s = await sandbox();
    const sns = snsClient(s);
    const missing = await caught(() =>
      sns.send(
        new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:123456789012:nope", Message: "x" }),
      ),
    );
    expect(missing.name).toBe("NotFoundException");
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "t" }));
    await sns.send(new PublishCommand({ TopicArn, Message: "x".repeat(262_144) }));
    const big = await caught(() =>
      sns.send(new PublishCommand({ TopicArn, Message: "x".repeat(262_145) })),
    );
    expect(big.name).toBe("InvalidParameterException");
    expect(big.message).toContain("Message too long");
    expect(s.snsMessages()).toHaveLength(1);
  });

  it("checks a MessageStructure=json message for a default entry", async () => {
    const s = await sandbox();
    const sns = snsClient(s);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "t" }));
    const json = (Message: string) =>
      new PublishCommand({ TopicArn, MessageStructure: "json", Message });
    await sns.send(json('{"default":"rotated","email":"Your key was rotated."}'));
    const noDefault = await caught(() => sns.send(json('{"email":"x"}')));
    expect(noDefault.message).toContain("No default entry");
    const garbled = await caught(() => sns.send(json("{not json")));
    expect(garbled.message).toContain("failed to parse");
    expect(s.snsMessages().map((m) => m.messageStructure)).toEqual(["json"]);
  });

  it("throttles SNS as fault settings say, with a retryable Throttling", async () => {
    const s = await sandbox({ faults: { throttleRate: 1 } });
    const err = await caught(() => snsClient(s).send(new CreateTopicCommand({ Name: "t" })));
    expect(err.name).toBe("Throttling");
    expect(s.faultCounts().throttled).toBe(1);
  });
});
