import * as E from "fp-ts/lib/Either.js";
import { EMAIL_KIND_NAME, type RenderedEmail } from "./email.js";
import { checkHeaders, headerProblem } from "./emailHeaders.js";

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
    ...(email.kind === undefined ? [] : [`${EMAIL_KIND_NAME}: ${email.kind}`]),
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
