import * as E from "fp-ts/lib/Either.js";
import type { RenderedEmail } from "./email.js";

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
