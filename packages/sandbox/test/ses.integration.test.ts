import {
  GetAccountSendingEnabledCommand,
  GetIdentityVerificationAttributesCommand,
  GetSendQuotaCommand,
  ListIdentitiesCommand,
  MessageRejected,
  SendEmailCommand,
  type SendEmailCommandInput,
  SendRawEmailCommand,
  UpdateAccountSendingEnabledCommand,
  VerifyDomainIdentityCommand,
  VerifyEmailIdentityCommand,
} from "@aws-sdk/client-ses";
import { describe, expect, it } from "vitest";
import type { Scenario } from "../src/scenario.js";
import { caught, clients, sandbox, sandboxWithClients, T0 } from "./support.js";

/** A sandbox whose SES has `verified` identities (and `ses` settings), and its SES client. */
const sesSandbox = async (
  verified: string[],
  ses: NonNullable<Scenario["ses"]> = {},
  overrides: Parameters<typeof clients>[1] = {},
) => {
  const s = await sandbox({ seed: { verifiedEmails: verified, ses } });
  return { s, ses: clients(s, overrides).ses };
};

/** A one-line mail from keyrotate@example.com to alice@example.com, with `changes`. */
const hello = (changes: Partial<SendEmailCommandInput> = {}) =>
  new SendEmailCommand({
    Source: "keyrotate@example.com",
    Destination: { ToAddresses: ["alice@example.com"] },
    Message: { Subject: { Data: "hi" }, Body: { Text: { Data: "x" } } },
    ...changes,
  });

describe("SES v1 through the real SDK", () => {
  it("verifies identities at once and lists them with IdentityType and pagination", async () => {
    const { ses } = await sandboxWithClients();
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: "security@example.com" }));
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: "alerts@example.com" }));
    const domain = await ses.send(new VerifyDomainIdentityCommand({ Domain: "corp.example" }));
    expect(domain.VerificationToken).toBeTypeOf("string");
    expect((await ses.send(new ListIdentitiesCommand({}))).Identities).toEqual([
      "alerts@example.com",
      "corp.example",
      "security@example.com",
    ]);
    expect(
      (await ses.send(new ListIdentitiesCommand({ IdentityType: "Domain" }))).Identities,
    ).toEqual(["corp.example"]);
    const page = await ses.send(new ListIdentitiesCommand({ MaxItems: 2 }));
    expect(page.Identities).toHaveLength(2);
    const rest = await ses.send(
      new ListIdentitiesCommand({ MaxItems: 2, NextToken: page.NextToken }),
    );
    expect(rest.Identities).toEqual(["security@example.com"]);
    expect(rest.NextToken).toBeUndefined();
    const bad = await caught(() =>
      ses.send(new VerifyEmailIdentityCommand({ EmailAddress: "not-an-address" })),
    );
    expect(bad.name).toBe("InvalidParameterValue");
  });

  it("sends email from a verified address or domain and records every field", async () => {
    const { s, ses } = await sesSandbox(["keyrotate@example.com", "corp.example"]);
    const sent = await ses.send(
      new SendEmailCommand({
        Source: '"Key Rotation" <keyrotate@example.com>',
        Destination: {
          ToAddresses: ["alice@corp.example"],
          CcAddresses: ["lead@corp.example"],
          BccAddresses: ["audit@corp.example"],
        },
        ReplyToAddresses: ["help@corp.example"],
        Message: {
          Subject: { Data: "Your access key is 95 days old" },
          Body: {
            Text: { Data: "Please rotate." },
            Html: { Data: "<p>Please <b>rotate</b>.</p>" },
          },
        },
      }),
    );
    expect(sent.MessageId).toMatch(/^0100[0-9a-f]{16}-/);
    await ses.send(
      new SendEmailCommand({
        Source: "noreply@mail.corp.example",
        Destination: { ToAddresses: ["bob@corp.example"] },
        Message: {
          Subject: { Data: "subdomain of a verified domain" },
          Body: { Text: { Data: "ok" } },
        },
      }),
    );
    expect(s.emails()).toHaveLength(2);
    expect(s.emails()[0]).toEqual({
      id: sent.MessageId,
      time: new Date(T0),
      source: '"Key Rotation" <keyrotate@example.com>',
      destinations: {
        to: ["alice@corp.example"],
        cc: ["lead@corp.example"],
        bcc: ["audit@corp.example"],
      },
      replyTo: ["help@corp.example"],
      subject: "Your access key is 95 days old",
      text: "Please rotate.",
      html: "<p>Please <b>rotate</b>.</p>",
      raw: null,
    });
  });

  it("records the message tags of a send, and refuses a tag SES does not allow", async () => {
    const { s, ses } = await sesSandbox(["keyrotate@example.com"]);
    const send = (tag: { Name: string; Value: string }) => ses.send(hello({ Tags: [tag] }));

    await send({ Name: "X-Keyrotate-Notice", Value: "DeactivatedUnused" });
    const bad = await caught(() => send({ Name: "X-Keyrotate-Notice", Value: "not allowed" }));

    expect(s.emails()).toHaveLength(1);
    expect(s.emails()[0]?.tags).toEqual({ "X-Keyrotate-Notice": "DeactivatedUnused" });
    expect(bad.name).toBe("InvalidParameterValue");
    expect(bad.message).toContain("Invalid tag value <not allowed>");
  });

  it("sends raw email, taking source and recipients from the MIME headers", async () => {
    const { s, ses } = await sesSandbox(["keyrotate@example.com"]);
    const mime = [
      "From: keyrotate@example.com",
      "To: alice@example.com, Bob <bob@example.com>",
      "Subject: Raw notice",
      "Content-Type: text/plain; charset=UTF-8",
      "",
      "Rotate your key, please.",
    ].join("\r\n");
    const res = await ses.send(
      new SendRawEmailCommand({ RawMessage: { Data: Buffer.from(mime) } }),
    );
    expect(s.emails()[0]).toMatchObject({
      id: res.MessageId,
      source: "keyrotate@example.com",
      destinations: { to: ["alice@example.com", "Bob <bob@example.com>"], cc: [], bcc: [] },
      subject: "Raw notice",
      text: "Rotate your key, please.",
      html: null,
      raw: mime,
    });
    await ses.send(
      new SendRawEmailCommand({
        Source: "keyrotate@example.com",
        Destinations: ["ops@example.com"],
        RawMessage: { Data: Buffer.from(mime) },
      }),
    );
    expect(s.emails()[1]?.destinations.to).toEqual(["ops@example.com"]);
  });

  it("rejects mail from an unverified source with MessageRejected (400) and records nothing", async () => {
    const { s, ses } = await sesSandbox(["keyrotate@example.com"]);
    const err = await caught(() => ses.send(hello({ Source: "mallory@evil.example" })));
    expect(err).toBeInstanceOf(MessageRejected);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toBe(
      "Email address is not verified. The following identities failed the check in region US-EAST-1: mallory@evil.example",
    );
    const raw = await caught(() =>
      ses.send(
        new SendRawEmailCommand({
          RawMessage: { Data: Buffer.from("From: x@nowhere.example\r\nTo: a@b.example\r\n\r\nhi") },
        }),
      ),
    );
    expect(raw).toBeInstanceOf(MessageRejected);
    const noRecipients = await caught(() => ses.send(hello({ Destination: {} })));
    expect(noRecipients.name).toBe("InvalidParameterValue");
    expect(s.emails()).toEqual([]);
  });

  it("reports verification status only for verified identities, addresses and domains alike", async () => {
    const { ses } = await sesSandbox(["keyrotate@example.com", "corp.example"]);

    const out = await ses.send(
      new GetIdentityVerificationAttributesCommand({
        Identities: ["keyrotate@example.com", "corp.example", "nobody@elsewhere.example"],
      }),
    );

    expect(out.VerificationAttributes).toEqual({
      "keyrotate@example.com": { VerificationStatus: "Success" },
      "corp.example": { VerificationStatus: "Success" },
    });
  });

  it("pauses and resumes sending for the whole account, refusing every send while paused", async () => {
    const { s, ses } = await sesSandbox(["keyrotate@example.com"], { sendingEnabled: false });
    const send = () => ses.send(hello());

    expect((await ses.send(new GetAccountSendingEnabledCommand({}))).Enabled).toBe(false);
    const refused = await caught(send);
    expect(refused.name).toBe("AccountSendingPausedException");
    expect(refused.$metadata.httpStatusCode).toBe(400);
    expect(s.emails()).toHaveLength(0);

    await ses.send(new UpdateAccountSendingEnabledCommand({ Enabled: true }));

    expect((await ses.send(new GetAccountSendingEnabledCommand({}))).Enabled).toBe(true);
    await send();
    expect(s.emails()).toHaveLength(1);
  });

  it("reports the 24-hour quota and what was sent in it, and refuses sends over the quota", async () => {
    const { s, ses } = await sesSandbox(
      ["keyrotate@example.com"],
      { max24HourSend: 1 },
      { maxAttempts: 1 },
    );
    const send = () => ses.send(hello());

    await send();
    const quota = await ses.send(new GetSendQuotaCommand({}));
    const over = await caught(send);
    s.clock.advanceDays(1);
    const nextDay = await ses.send(new GetSendQuotaCommand({}));

    expect(quota).toMatchObject({ Max24HourSend: 1, SentLast24Hours: 1 });
    expect(quota.MaxSendRate).toBeGreaterThan(0);
    expect(over.message).toBe("Daily message quota exceeded.");
    expect(s.emails()).toHaveLength(1);
    expect(nextDay.SentLast24Hours).toBe(0);
  });
});
