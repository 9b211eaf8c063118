import { ListUsersCommand } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { authorization, clients, raw, sandbox, sendQuery } from "./support.js";

const IAM_NS = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"';

describe("malformed and unknown requests get AWS-style errors, never a crash", () => {
  it("answers an unknown IAM action with InvalidAction in IAM's error XML", async () => {
    const s = await sandbox();
    const res = await sendQuery(s, "iam", { Action: "LaunchRockets", Version: "2010-05-08" });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/xml");
    expect(res.text).toMatch(
      new RegExp(
        `^<\\?xml version="1.0" encoding="UTF-8"\\?><ErrorResponse ${IAM_NS}><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation LaunchRockets for version 2010-05-08</Message></Error><RequestId>[0-9a-f-]{36}</RequestId></ErrorResponse>$`,
      ),
    );
    expect(s.calls()).toEqual({ "iam:LaunchRockets": 1 });
  });

  it("answers a missing parameter with MissingParameter and a missing Action with MissingAction", async () => {
    const s = await sandbox();
    const missing = await sendQuery(s, "iam", { Action: "CreateUser", Version: "2010-05-08" });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain(
      "<Code>MissingParameter</Code><Message>The request must contain the parameter UserName.</Message>",
    );
    const sesMissing = await sendQuery(s, "ses", { Action: "SendEmail", Version: "2010-12-01" });
    expect(sesMissing.text).toContain(
      '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">',
    );
    expect(sesMissing.text).toContain("<Code>MissingParameter</Code>");
    const noAction = await sendQuery(s, "iam", { Version: "2010-05-08" });
    expect(noAction.text).toContain("<Code>MissingAction</Code>");
    const wrongVersion = await sendQuery(s, "iam", { Action: "ListUsers", Version: "1999-01-01" });
    expect(wrongVersion.text).toContain("<Code>InvalidAction</Code>");
  });

  it("answers malformed input with ValidationError or InvalidInput", async () => {
    const s = await sandbox({ seed: { users: [{ name: "alice" }] } });
    const maxItems = await sendQuery(s, "iam", { Action: "ListUsers", MaxItems: "lots" });
    expect(maxItems.status).toBe(400);
    expect(maxItems.text).toContain("<Code>ValidationError</Code>");
    const tagWithoutValue = await sendQuery(s, "iam", {
      Action: "TagUser",
      UserName: "alice",
      "Tags.member.1.Key": "k",
    });
    expect(tagWithoutValue.text).toContain("<Code>ValidationError</Code>");
    const rawMail = await sendQuery(s, "ses", {
      Action: "SendRawEmail",
      Version: "2010-12-01",
      "RawMessage.Data": "%%%",
    });
    expect(rawMail.text).toContain("<Code>InvalidParameterValue</Code>");
    const badUri = await raw(s, "/bucket/%E0%A4%A", {
      headers: { authorization: authorization("s3") },
    });
    expect(badUri.status).toBe(400);
    expect(badUri.text).toContain("<Code>InvalidURI</Code>");
    const otherService = await sendQuery(s, "ec2" as "iam", { Action: "DescribeInstances" });
    expect(otherService.status).toBe(400);
    expect(otherService.text).toContain("does not emulate the ec2 service");
  });

  it("routes unsigned requests by their shape and still serves the SDK afterwards", async () => {
    const s = await sandbox({ seed: { users: [{ name: "alice" }] } });
    const form = await raw(s, "/", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=ListUsers&Version=2010-05-08",
    });
    expect(form.status).toBe(200);
    expect(form.text).toContain("<UserName>alice</UserName>");
    const get = await raw(s, "/?Action=ListUsers&Version=2010-05-08", {
      headers: { authorization: authorization("iam") },
    });
    expect(get.text).toContain("<ListUsersResult>");
    const presigned = await raw(
      s,
      `/?Action=ListUsers&Version=2010-05-08&X-Amz-Credential=${encodeURIComponent("AKIASANDBOXADMIN0001/20261123/us-east-1/iam/aws4_request")}`,
    );
    expect(presigned.text).toContain("<ListUsersResult>");
    const s3 = await raw(s, "/");
    expect(s3.text).toContain("<ListAllMyBucketsResult");
    const ok = await clients(s).iam.send(new ListUsersCommand({}));
    expect(ok.Users).toHaveLength(1);
  });
});
