import type { AccessKeyId, Notice } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import type { OrgReport } from "./orgReport.js";
import type { RunReport } from "./report.js";
import { secretConsoleUrl, secretCopyCommand } from "./secretFile.js";

/** An email ready to send or write out: one recipient, a subject, a plain-text and an HTML body. */
export interface RenderedEmail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** What a notice needs beyond its own facts. */
export interface NoticeContext {
  /** The bucket holding new secrets (`settings.s3CsvBucket`). */
  readonly bucket: string;
  /** The bucket's region, for the console link. */
  readonly bucketRegion?: string;
  /** The key created by the same plan, for a Rotated notice about a `Created` key. */
  readonly newKeyId?: AccessKeyId;
  /** Who sends (`settings.lambdaFunctionName`), named in the footer. */
  readonly sentBy?: string;
}

type Block =
  | { readonly _tag: "p"; readonly text: string }
  | { readonly _tag: "code"; readonly text: string }
  | { readonly _tag: "link"; readonly label: string; readonly href: string }
  | { readonly _tag: "list"; readonly items: ReadonlyArray<string> };

const p = (text: string): Block => ({ _tag: "p", text });

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (s: string): string =>
  s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");

const days = (n: number): string => `${n} day${n === 1 ? "" : "s"}`;

const PENDING_KEY = "(the new key)";

/**
 * Renders a notice as an email: a subject per kind, a plain-text and an HTML body that name the
 * user, the key, its age where known and the dates of the coming steps; a Rotated notice says
 * where the new secret is (`aws s3 cp …` and a console link). Pure, so that the CLI can write
 * previews and tests can read every word.
 *
 * Everything from the account (user name, address, tags) is escaped in HTML. Headers are checked
 * separately by {@link headerProblem} before anything is sent.
 *
 * @example renderNotice(notice, { bucket: settings.s3CsvBucket, newKeyId }).subject
 */
export const renderNotice = (notice: Notice, context: NoticeContext): RenderedEmail => {
  const { subject, blocks } = compose(notice, context);
  return {
    to: notice.to,
    subject,
    text: renderText(blocks, context),
    html: renderHtml(subject, blocks, context),
  };
};

const compose = (
  notice: Notice,
  ctx: NoticeContext,
): { subject: string; blocks: ReadonlyArray<Block> } => {
  const hello = p(`Hello ${notice.userName},`);
  switch (notice.kind) {
    case "Warning":
      return {
        subject: `Your AWS access key ${notice.keyId} will be rotated on ${notice.rotationDate}`,
        blocks: [
          hello,
          p(
            `The access key ${notice.keyId} of IAM user ${notice.userName} is ${days(notice.keyAge)} old. It will be rotated on ${notice.rotationDate}: a new key will be created for you and the old one deactivated and later deleted.`,
          ),
          ...(notice.inactiveKeyId === undefined
            ? [
                p(
                  "You can rotate it yourself before then: create a new key, switch your applications to it, and delete the old one.",
                ),
              ]
            : [
                p(
                  `You also hold the inactive key ${notice.inactiveKeyId}. Please delete it: while it exists, the rotation cannot create your new key.`,
                ),
              ]),
        ],
      };
    case "TwoActiveKeys":
      return {
        subject: `Action required: IAM user ${notice.userName} has two active access keys`,
        blocks: [
          hello,
          p(`IAM user ${notice.userName} holds two active access keys:`),
          {
            _tag: "list",
            items: [
              `${notice.keyIds[0]}: ${days(notice.keyAges[0])} old`,
              `${notice.keyIds[1]}: ${days(notice.keyAges[1])} old`,
            ],
          },
          p(
            "Please move your applications to one of them and delete the other. Until then, the older key cannot be rotated.",
          ),
        ],
      };
    case "Rotated": {
      const newKeyId =
        notice.newKey._tag === "Created" ? (ctx.newKeyId ?? PENDING_KEY) : notice.newKey.keyId;
      // A key keyrotate made (in this run, or announced again later) always has its file.
      const withFile = notice.newKey._tag !== "Existing";
      const when = notice.earlyDeactivation
        ? `on ${notice.deactivationDate}, or earlier once you have switched to the new key`
        : `on ${notice.deactivationDate}`;
      const inUse =
        notice.hardDeadline > notice.deactivationDate
          ? ` If it is still in use then, it stays active until ${notice.hardDeadline} at the latest.`
          : "";
      return {
        subject: `Your AWS access key ${notice.oldKeyId} was rotated: new key ${newKeyId}`,
        blocks: [
          hello,
          p(
            `The access key ${notice.oldKeyId} of IAM user ${notice.userName} is ${days(notice.oldKeyAge)} old and has been rotated. ${
              withFile
                ? `Your new key is ${newKeyId}.`
                : `Your other active key ${newKeyId} replaces it.`
            }`,
          ),
          ...(withFile
            ? [
                p(
                  `Download the file with the new secret${
                    notice.downloadUntil === undefined
                      ? ""
                      : ` (it can be downloaded until ${notice.downloadUntil})`
                  }, then delete your copy once it is in use:`,
                ),
                {
                  _tag: "code" as const,
                  text: secretCopyCommand(ctx.bucket, notice.userName, newKeyId),
                },
                {
                  _tag: "link" as const,
                  label: "Open the file in the S3 console",
                  href: secretConsoleUrl(ctx.bucket, notice.userName, newKeyId, ctx.bucketRegion),
                },
              ]
            : []),
          p(
            `Switch your applications to ${newKeyId}. The old key ${notice.oldKeyId} will be deactivated ${when}${notice.earlyDeactivation ? "," : ""} and deleted on ${notice.deletionDate}.${inUse}`,
          ),
        ],
      };
    }
    case "OldKeyInUse":
      return {
        subject: `Your old AWS access key ${notice.keyId} is still in use: it stops working on ${notice.hardDeadline}`,
        blocks: [
          hello,
          p(
            `The old access key ${notice.keyId} of IAM user ${notice.userName} was due to be deactivated, but it is still in use${
              notice.lastUsed === undefined ? "" : ` (last used on ${notice.lastUsed})`
            }. Its deactivation waits, but not beyond ${notice.hardDeadline}: on that day it is deactivated whatever uses it.`,
          ),
          p(
            `Switch what still uses ${notice.keyId} to your new key ${notice.newKeyId} before then. Once the old key has gone quiet it is deactivated as planned.`,
          ),
        ],
      };
    case "Deactivated":
      return {
        subject: `Your old AWS access key ${notice.keyId} was deactivated`,
        blocks: [
          hello,
          p(
            `The old access key ${notice.keyId} of IAM user ${notice.userName} has been deactivated: requests signed with it now fail. It will be deleted on ${notice.deletionDate}.`,
          ),
          p(
            "If something stopped working, switch it to your new key. An administrator can reactivate the old key until it is deleted.",
          ),
        ],
      };
    case "DeactivatedUnused":
      return {
        subject: `Your unused AWS access key ${notice.keyId} was deactivated`,
        blocks: [
          hello,
          p(
            `The access key ${notice.keyId} of IAM user ${notice.userName} ${
              notice.lastUsed === undefined
                ? "has never been used"
                : `was last used on ${notice.lastUsed}`
            } and has been deactivated. It will be deleted on ${notice.deletionDate}.`,
          ),
          p("If you still need it, ask an administrator to reactivate it before then."),
        ],
      };
    case "Deleted":
      return {
        subject: `Your old AWS access key ${notice.keyId} was deleted`,
        blocks: [
          hello,
          p(
            `The old access key ${notice.keyId} of IAM user ${notice.userName} has been deleted, as announced. Nothing more is needed from you.`,
          ),
        ],
      };
  }
};

const footer = (ctx: NoticeContext): string =>
  `This message was sent by keyrotate${ctx.sentBy === undefined ? "" : ` (${ctx.sentBy})`}, which keeps AWS access keys young.`;

const blockText = (b: Block): string => {
  switch (b._tag) {
    case "p":
      return b.text;
    case "code":
      return `    ${b.text}`;
    case "link":
      return `${b.label}: ${b.href}`;
    case "list":
      return b.items.map((i) => `  - ${i}`).join("\n");
  }
};

const blockHtml = (b: Block): string => {
  switch (b._tag) {
    case "p":
      return `<p>${escapeHtml(b.text)}</p>`;
    case "code":
      return `<pre><code>${escapeHtml(b.text)}</code></pre>`;
    case "link":
      return `<p><a href="${escapeHtml(b.href)}">${escapeHtml(b.label)}</a></p>`;
    case "list":
      return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`;
  }
};

const renderText = (blocks: ReadonlyArray<Block>, ctx: NoticeContext): string =>
  `${[...blocks.map(blockText), "--", footer(ctx)].join("\n\n")}\n`;

const renderHtml = (subject: string, blocks: ReadonlyArray<Block>, ctx: NoticeContext): string =>
  `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body>
${blocks.map(blockHtml).join("\n")}
<hr><p><small>${escapeHtml(footer(ctx))}</small></p>
</body></html>
`;

/** What a user's run did, in a few words per step that was performed. */
const doneText = (u: RunReport["users"][number]): string[] => {
  const out: string[] = [];
  const ok = u.steps.filter((st) => st.status === "ok").map((st) => st.step);
  const created = ok.find((v) => v.action === "CreateKey");
  for (const v of ok) {
    if (v.action === "CreateKey")
      out.push(`rotated ${v.keyId ?? "the old key"} to ${u.newKeyId ?? "a new key"}`);
    if (v.action === "DeactivateKey") out.push(`deactivated ${v.keyId} (${v.reason})`);
    if (v.action === "DeleteKey") out.push(`deleted ${v.keyId} (${v.reason})`);
    if (v.action !== "SendNotice") continue;
    if (v.noticeKind === "Warning") out.push("warned");
    if (v.noticeKind === "TwoActiveKeys") out.push("asked to delete one of two active keys");
    if (v.noticeKind === "Rotated" && created === undefined) out.push("sent the Rotated notice");
    if (v.noticeKind === "OldKeyInUse") out.push("told that the old key is still in use");
  }
  if (u.compensation.length > 0 && u.compensation.every((c) => c.status === "ok"))
    out.push("undid the failed rotation");
  return out;
};

/** What is left for a later run or for someone to do about a user. */
const waitingText = (u: RunReport["users"][number]): string[] => [
  ...(u.status === "failed"
    ? [
        `${u.error?.message ?? "failed"}${u.markerLeft ? " (marker left: the next run finishes or undoes it)" : ""}`,
      ]
    : []),
  ...(u.status === "deferred" ? ["not started: the next run continues"] : []),
  ...u.findings.map((f) => `${f.code}: ${f.message}`),
];

/**
 * Renders the admin summary of a run: per user, what was done and what is waiting (a failure,
 * a deferral, a notice not yet delivered, an old key still in use, a finding), and the users the
 * scan skipped.
 */
export const renderAdminSummary = (report: RunReport, to: string): RenderedEmail => {
  const c = report.counts;
  const subject = `keyrotate ${report.date}${report.dryRun ? " (dry run)" : ""}: ${
    report.status === "failed"
      ? "the run failed"
      : `${c.rotated} rotated, ${c.deactivated} deactivated, ${c.deleted} deleted, ${c.failed} failed`
  }`;
  const done = report.users.flatMap((u) => {
    const items = doneText(u);
    return items.length === 0 ? [] : [`${u.userName}: ${items.join("; ")}`];
  });
  const waiting = report.users.flatMap((u) => waitingText(u).map((w) => `${u.userName}: ${w}`));
  const skipped = report.skippedUsers.map((s) => `${s.userName}: ${s.reason}: ${s.error.message}`);
  const blocks: Block[] = [
    p(
      `Run ${report.runId} on ${report.date} (${report.scanMode} scan): ${c.usersSeen} users seen, ${c.selected} read in detail.`,
    ),
    ...(report.error === undefined ? [] : [p(`The run failed: ${report.error.message}`)]),
    ...(done.length > 0
      ? [p(report.dryRun ? "Would be done:" : "Done:"), { _tag: "list" as const, items: done }]
      : [p("Nothing was done.")]),
    ...(waiting.length > 0
      ? [p("Waiting or needing attention:"), { _tag: "list" as const, items: waiting }]
      : []),
    ...(skipped.length > 0 ? [p("Skipped users:"), { _tag: "list" as const, items: skipped }] : []),
  ];
  const ctx: NoticeContext = { bucket: "" };
  return { to, subject, text: renderText(blocks, ctx), html: renderHtml(subject, blocks, ctx) };
};

/**
 * Renders the admin summary of an organisation run (the Step Functions summarise step sends it):
 * accounts by outcome, then per account what was done and what is waiting, as in
 * {@link renderAdminSummary}, and the accounts left alone with their reasons.
 */
export const renderOrgAdminSummary = (report: OrgReport, to: string): RenderedEmail => {
  const a = report.totals.accounts;
  const u = report.totals.users;
  const subject = `keyrotate organization ${report.date}${report.dryRun ? " (dry run)" : ""}: ${
    report.error === undefined
      ? `${a.completed} of ${a.selected} accounts completed; ${u.rotated} rotated, ${u.failed} failed`
      : "the organization could not be listed"
  }`;
  const accountLines = report.accounts.map((s) => {
    const r = s.report;
    const why = s.error?.message ?? r?.error?.message;
    return `${s.accountId} ${s.accountName}: ${s.status}${why === undefined ? "" : ` (${why})`}${
      r === undefined
        ? ""
        : `; ${r.counts.usersSeen} users, rotated ${r.counts.rotated}, deactivated ${r.counts.deactivated}, deleted ${r.counts.deleted}, failed ${r.counts.failed}`
    }`;
  });
  const perUser = report.accounts.flatMap((s) =>
    (s.report?.users ?? []).flatMap((user) =>
      [...doneText(user), ...waitingText(user)].map((t) => `${s.accountId} ${user.userName}: ${t}`),
    ),
  );
  const skipped = report.skippedAccounts.map(
    (s) => `${s.accountId}${s.accountName ? ` ${s.accountName}` : ""}: ${s.reason}: ${s.message}`,
  );
  const blocks: Block[] = [
    p(
      `Organization run ${report.runId} on ${report.date}: ${a.discovered} accounts found, ${a.selected} run: ${a.completed} completed, ${a.failed} failed, ${a.unreachable} unreachable, ${a.deferred} deferred; ${a.skipped} skipped. Users seen ${u.usersSeen}; warned ${u.warned}, rotated ${u.rotated}, deactivated ${u.deactivated}, deleted ${u.deleted}, failed ${u.failed}.`,
    ),
    ...(report.error === undefined
      ? []
      : [p(`The organization could not be listed; no account was run: ${report.error.message}`)]),
    ...(accountLines.length > 0 ? [{ _tag: "list" as const, items: accountLines }] : []),
    ...(perUser.length > 0
      ? [
          p(report.dryRun ? "Would be done, or waiting:" : "Done, or waiting:"),
          { _tag: "list" as const, items: perUser },
        ]
      : []),
    ...(skipped.length > 0
      ? [p("Accounts left alone:"), { _tag: "list" as const, items: skipped }]
      : []),
  ];
  const ctx: NoticeContext = { bucket: "" };
  return { to, subject, text: renderText(blocks, ctx), html: renderHtml(subject, blocks, ctx) };
};

/**
 * Why a value cannot go into a mail header (a line break or another control character), or
 * `undefined` when it can. SES takes structured fields, but nothing that could add a header is
 * ever passed on.
 */
export const headerProblem = (value: string): string | undefined =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  /[\u0000-\u001f\u007f]/.test(value) ? "contains a line break or control character" : undefined;

/** Checks the header fields of an email (recipient, sender, subject). */
export const checkHeaders = (
  email: RenderedEmail,
  from: string,
): E.Either<string, RenderedEmail> => {
  for (const [name, value] of [
    ["To", email.to],
    ["From", from],
    ["Subject", email.subject],
  ] as const) {
    const problem = headerProblem(value);
    if (problem !== undefined) return E.left(`the ${name} header ${problem}`);
  }
  return E.right(email);
};

/** Options of {@link renderEml}. */
export interface EmlOptions {
  readonly from: string;
  /** The `Date:` header; time is an argument. */
  readonly date: Date;
  /** A `Message-ID` without angle brackets; none when absent. */
  readonly messageId?: string;
}

const encodeHeader = (value: string): string =>
  /^[\u0020-\u007e]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;

const base64Lines = (s: string): string =>
  (
    Buffer.from(s, "utf8")
      .toString("base64")
      .match(/.{1,76}/g) ?? []
  ).join("\r\n");

const rfc5322Date = (d: Date): string => d.toUTCString().replace(/GMT$/, "+0000");

/**
 * Renders an email as a complete RFC 5322 message (`multipart/alternative`, text then HTML,
 * base64 bodies, CRLF line ends), for the CLI's `.eml` previews. A header value with a line break
 * is refused.
 */
export const renderEml = (email: RenderedEmail, options: EmlOptions): E.Either<string, string> => {
  const checked = checkHeaders(email, options.from);
  if (E.isLeft(checked)) return checked;
  if (options.messageId !== undefined && headerProblem(options.messageId) !== undefined) {
    return E.left("the Message-ID header contains a line break or control character");
  }
  // "=_" never occurs in base64 bodies, so the boundary cannot collide with content.
  const boundary = "=_keyrotate_alternative";
  const headers = [
    `From: ${options.from}`,
    `To: ${email.to}`,
    `Subject: ${encodeHeader(email.subject)}`,
    `Date: ${rfc5322Date(options.date)}`,
    ...(options.messageId === undefined ? [] : [`Message-ID: <${options.messageId}>`]),
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=UTF-8`,
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(body),
    ].join("\r\n");
  return E.right(
    `${[...headers, "", part("text/plain", email.text), part("text/html", email.html), `--${boundary}--`, ""].join("\r\n")}`,
  );
};
