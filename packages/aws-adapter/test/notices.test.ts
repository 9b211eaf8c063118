import type {
  AccessKeyId,
  CalendarDate,
  EmailAddress,
  Notice,
  NoticeKind,
  UserName,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { renderAdminSummary } from "../src/adminSummary.js";
import type { RenderedEmail } from "../src/email.js";
import { checkHeaders } from "../src/emailHeaders.js";
import { renderEml } from "../src/eml.js";
import { renderNotice } from "../src/notices.js";
import type { RunReport } from "../src/report.js";

const KEY = "AKIAOLDOLDOLDOLDOLD1" as AccessKeyId;
const NEW = "AKIANEWNEWNEWNEWNEW1" as AccessKeyId;
const base = { to: "alice@example.com" as EmailAddress, userName: "alice" as UserName };
const d = (s: string) => s as CalendarDate;

const notices: Record<NoticeKind, Notice> = {
  Warning: {
    ...base,
    kind: "Warning",
    keyId: KEY,
    keyAge: 38,
    rotationDate: d("2026-07-08"),
    inactiveKeyId: undefined,
  },
  TwoActiveKeys: {
    ...base,
    kind: "TwoActiveKeys",
    keyIds: [KEY, NEW],
    keyAges: [45, 3],
  },
  Rotated: {
    ...base,
    kind: "Rotated",
    oldKeyId: KEY,
    oldKeyAge: 61,
    newKey: { _tag: "Created" },
    deactivationDate: d("2026-06-26"),
    deletionDate: d("2026-07-07"),
    downloadUntil: d("2026-07-10"),
    earlyDeactivation: false,
    hardDeadline: d("2026-07-03"),
  },
  OldKeyInUse: {
    ...base,
    kind: "OldKeyInUse",
    keyId: KEY,
    newKeyId: NEW,
    lastUsed: d("2026-06-25"),
    hardDeadline: d("2026-07-03"),
  },
  Deactivated: { ...base, kind: "Deactivated", keyId: KEY, deletionDate: d("2026-07-07") },
  DeactivatedUnused: {
    ...base,
    kind: "DeactivatedUnused",
    keyId: KEY,
    lastUsed: d("2026-04-01"),
    deletionDate: d("2026-06-26"),
  },
  Deleted: { ...base, kind: "Deleted", keyId: KEY },
};

const ctx = { bucket: "creds-bucket", newKeyId: NEW, bucketRegion: "eu-west-1" };

describe("renderNotice", () => {
  it("gives every kind its own subject", () => {
    const subjects = Object.values(notices).map((n) => renderNotice(n, ctx).subject);
    expect(new Set(subjects).size).toBe(subjects.length);
  });

  it.each(Object.keys(notices) as NoticeKind[])(
    "marks a %s notice with its kind, for the X-Keyrotate-Notice header and message tag",
    (kind) => {
      const email = renderNotice(notices[kind], ctx);
      expect(email.kind).toBe(kind);
    },
  );

  it.each(Object.keys(notices) as NoticeKind[])(
    "names the user and the key in both bodies of a %s notice",
    (kind) => {
      const email = renderNotice(notices[kind], ctx);
      expect(email.to).toBe("alice@example.com");
      for (const body of [email.text, email.html]) {
        expect(body).toContain("alice");
        expect(body).toContain(KEY);
      }
      expect(email.html).toMatch(/^<!DOCTYPE html>/);
    },
  );

  it("tells the age and the rotation day in a warning", () => {
    const { text } = renderNotice(notices.Warning, ctx);
    expect(text).toContain("38 days old");
    expect(text).toContain("2026-07-08");
  });

  it("asks to delete the inactive key that blocks a rotation", () => {
    const blocked: Notice = { ...notices.Warning, inactiveKeyId: NEW } as Notice;
    expect(renderNotice(blocked, ctx).text).toContain(`inactive key ${NEW}`);
  });

  it("tells where the new secret is and when the old key goes, in a Rotated notice", () => {
    const { subject, text, html } = renderNotice(notices.Rotated, ctx);
    const command = `aws s3 cp s3://creds-bucket/credential/alice/alice_${NEW}.csv ./`;
    expect(subject).toContain(NEW);
    expect(text).toContain(command);
    expect(html).toContain(command);
    expect(text).toContain(
      "https://s3.console.aws.amazon.com/s3/object/creds-bucket?region=eu-west-1&prefix=credential%2Falice%2Falice_AKIANEWNEWNEWNEWNEW1.csv",
    );
    expect(html).toContain("region=eu-west-1&amp;prefix=");
    expect(text).toContain("61 days old");
    expect(text).toContain("deactivated on 2026-06-26 and deleted on 2026-07-07");
  });

  it("names the secret file again when a Rotated notice is re-sent for a stored key", () => {
    const resent = { ...notices.Rotated, newKey: { _tag: "Stored", keyId: NEW } } as Notice;
    const { text, html } = renderNotice(resent, { bucket: "creds-bucket" });
    const command = `aws s3 cp s3://creds-bucket/credential/alice/alice_${NEW}.csv ./`;
    expect(text).toContain(command);
    expect(html).toContain(command);
    expect(text).toContain(`Your new key is ${NEW}.`);
  });

  it("tells until when the secret file can be downloaded, and the in-use deadline", () => {
    const { text } = renderNotice(notices.Rotated, ctx);
    expect(text).toContain("it can be downloaded until 2026-07-10");
    expect(text).toContain("stays active until 2026-07-03 at the latest");
  });

  it("says the old key may go earlier with EARLY_DEACTIVATION", () => {
    const early = { ...notices.Rotated, earlyDeactivation: true } as Notice;
    expect(renderNotice(early, ctx).text).toContain(
      "deactivated on 2026-06-26, or earlier once you have switched to the new key, and deleted on 2026-07-07",
    );
    expect(renderNotice(notices.Rotated, ctx).text).not.toContain("or earlier");
  });

  it("names the hard deadline and the new key in an old-key-in-use notice", () => {
    const { subject, text, html } = renderNotice(notices.OldKeyInUse, ctx);
    expect(subject).toContain("2026-07-03");
    for (const body of [text, html]) {
      expect(body).toContain("not beyond 2026-07-03");
      expect(body).toContain(NEW);
      expect(body).toContain("last used on 2026-06-25");
    }
  });

  it("points to the key the user already holds when no key was created", () => {
    const existing = {
      ...notices.Rotated,
      newKey: { _tag: "Existing", keyId: NEW },
    } as Notice;
    const { text } = renderNotice(existing, { bucket: "creds-bucket" });
    expect(text).toContain(`other active key ${NEW}`);
    expect(text).not.toContain("aws s3 cp");
  });

  it("shows a placeholder, never a wrong id, when previewing a rotation before its key exists", () => {
    const { text } = renderNotice(notices.Rotated, { bucket: "creds-bucket" });
    expect(text).toContain("(the new key)");
  });

  it("says never used, or the last use, in an unused-key notice", () => {
    expect(renderNotice(notices.DeactivatedUnused, ctx).text).toContain("last used on 2026-04-01");
    const never = { ...notices.DeactivatedUnused, lastUsed: undefined } as Notice;
    expect(renderNotice(never, ctx).text).toContain("has never been used");
  });

  it("escapes account-supplied text in HTML", () => {
    const hostile = {
      ...notices.Deleted,
      userName: `<script>alert("x")</script>&` as UserName,
    } as Notice;
    const { html, text } = renderNotice(hostile, ctx);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;");
    expect(text).toContain('<script>alert("x")</script>&');
  });

  it("names the sending function in the footer", () => {
    const { text } = renderNotice(notices.Deleted, { ...ctx, sentBy: "rotate-keys" });
    expect(text).toContain("keyrotate (rotate-keys)");
  });
});

describe("checkHeaders", () => {
  const email = renderNotice(notices.Deleted, ctx);

  it("accepts a plain email", () => {
    expect(E.isRight(checkHeaders(email, "keys@example.com"))).toBe(true);
  });

  it.each([
    ["To", { ...email, to: "a@example.com\r\nBcc: b@example.com" }, "keys@example.com"],
    ["Subject", { ...email, subject: "hi\nBcc: b@example.com" }, "keys@example.com"],
    ["From", email, "keys@example.com\rX: y"],
  ])("rejects a line break in %s", (name, e, from) => {
    const checked = checkHeaders(e, from);
    expect(E.isLeft(checked) && checked.left).toContain(name);
  });
});

describe("renderEml", () => {
  const email = renderNotice(notices.Rotated, ctx);
  const date = new Date("2026-06-15T09:30:00Z");

  const decodePart = (eml: string, type: string): string => {
    const part = eml.split("--=_keyrotate_alternative").find((p) => p.includes(type)) ?? "";
    const body = part.split("\r\n\r\n")[1] ?? "";
    return Buffer.from(body.replace(/\r\n/g, ""), "base64").toString("utf8");
  };

  it("writes a full RFC 5322 message with a text and an HTML part", () => {
    const eml = renderEml(email, { from: "keys@example.com", date, messageId: "run-1@keyrotate" });
    if (E.isLeft(eml)) throw new Error(eml.left);
    const [head] = eml.right.split("\r\n\r\n");
    expect(head?.split("\r\n")).toEqual([
      "From: keys@example.com",
      "To: alice@example.com",
      `Subject: ${email.subject}`,
      "Date: Mon, 15 Jun 2026 09:30:00 +0000",
      "Message-ID: <run-1@keyrotate>",
      "X-Keyrotate-Notice: Rotated",
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="=_keyrotate_alternative"',
    ]);
    expect(decodePart(eml.right, "text/plain")).toBe(email.text);
    expect(decodePart(eml.right, "text/html")).toBe(email.html);
    expect(eml.right.endsWith("--=_keyrotate_alternative--\r\n")).toBe(true);
    expect(eml.right.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    expect(Math.max(...eml.right.split("\r\n").map((l) => l.length))).toBeLessThanOrEqual(998);
  });

  it("writes no X-Keyrotate-Notice header for a mail of unknown kind", () => {
    const { kind: _, ...unknown } = email;
    const eml = renderEml(unknown, { from: "keys@example.com", date });
    expect(E.isRight(eml) && eml.right).not.toContain("X-Keyrotate-Notice");
  });

  it("encodes a subject that is not ASCII", () => {
    const eml = renderEml(
      { ...email, subject: "Schlüssel erneuert" },
      { from: "k@example.com", date },
    );
    expect(E.isRight(eml) && eml.right).toContain(
      `Subject: =?UTF-8?B?${Buffer.from("Schlüssel erneuert").toString("base64")}?=`,
    );
  });

  it("refuses a header that would smuggle another header", () => {
    const bad: RenderedEmail = { ...email, to: "a@example.com\nBcc: all@example.com" };
    expect(E.isLeft(renderEml(bad, { from: "k@example.com", date }))).toBe(true);
  });
});

describe("renderAdminSummary", () => {
  it("lists per user what was done and what is waiting, not counters", () => {
    const report = {
      runId: "run-1",
      date: "2026-06-15",
      dryRun: false,
      scanMode: "credential-report",
      status: "completed",
      counts: {
        usersSeen: 3,
        selected: 2,
        handled: 2,
        withFindings: 1,
        warned: 0,
        rotated: 1,
        deactivated: 0,
        deleted: 0,
        noticesSent: 1,
        failed: 1,
        deferred: 0,
        skipped: 0,
      },
      users: [
        {
          userName: "bob",
          status: "failed",
          markerLeft: true,
          error: {
            tag: "AccessDenied",
            operation: "s3:PutObject",
            code: "AccessDenied",
            message: "s3:PutObject failed: denied",
          },
          findings: [{ code: "no-email", message: "no email tag" }],
          steps: [],
          compensation: [],
        },
        {
          userName: "carol",
          status: "ok",
          markerLeft: false,
          newKeyId: NEW,
          steps: [
            { status: "ok", step: { action: "CreateKey", keyId: KEY, summary: "" } },
            { status: "ok", step: { action: "SendNotice", noticeKind: "Rotated", summary: "" } },
          ],
          compensation: [],
          findings: [],
        },
        {
          userName: "dave",
          status: "ok",
          markerLeft: false,
          steps: [
            {
              status: "ok",
              step: { action: "SendNotice", noticeKind: "OldKeyInUse", summary: "" },
            },
          ],
          compensation: [],
          findings: [
            {
              code: "old-key-in-use",
              message: `${KEY} is still in use; at the latest until 2026-07-01`,
            },
          ],
        },
      ],
      skippedUsers: [],
    } as unknown as RunReport;

    const { kind, subject, text, to } = renderAdminSummary(report, "admin@example.com");

    expect(kind).toBe("AdminSummary");
    expect(to).toBe("admin@example.com");
    expect(subject).toBe("keyrotate 2026-06-15: 1 rotated, 0 deactivated, 0 deleted, 1 failed");
    expect(text).not.toContain("usersSeen");
    expect(text).toContain("3 users seen, 2 read in detail");
    expect(text).toContain(`carol: rotated ${KEY} to ${NEW}`);
    expect(text).toContain("dave: told that the old key is still in use");
    expect(text).toContain("Waiting or needing attention:");
    expect(text).toContain(
      `dave: old-key-in-use: ${KEY} is still in use; at the latest until 2026-07-01`,
    );
    expect(text).toContain("bob: s3:PutObject failed: denied (marker left");
    expect(text).toContain("bob: no-email: no email tag");
  });
});
