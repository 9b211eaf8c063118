import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";

/**
 * One plain email address, as the policy accepts it in a user's email tag.
 *
 * Notices go to this address through SES; a value that could smuggle a second recipient or a
 * header (CR, LF, comma, angle brackets, a display name) is never an EmailAddress.
 */
export type EmailAddress = t.Branded<string, EmailAddressBrand>;

/** Brand of {@link EmailAddress}. */
export interface EmailAddressBrand {
  readonly EmailAddress: unique symbol;
}

const localPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const domainLabel = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

// The common case, checked in one pass: letters, digits and ._%+- before one @, a dotted domain.
const plainAddress =
  /^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** Why a string is not an {@link EmailAddress}, or `undefined` when it is one. */
export const emailProblem = (s: string): string | undefined => {
  if (s.length <= 254 && plainAddress.test(s) && s.indexOf("@") <= 64) return undefined;
  if (s.length === 0) return "is empty";
  if (s.length > 254) return "is longer than 254 characters";
  if (/[\r\n]/.test(s)) return "contains a line break";
  if (/[,;]/.test(s)) return "holds more than one address";
  if (/[<>"]/.test(s)) return "has a display name or angle brackets";
  if (/\s/.test(s)) return "contains white space";
  const at = s.lastIndexOf("@");
  if (at <= 0 || s.indexOf("@") !== at) return "is not of the form local@domain";
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.length > 64 || !localPart.test(local)) return "has an invalid local part";
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((l) => domainLabel.test(l))) {
    return "has an invalid domain";
  }
  if (!/^[A-Za-z]{2,}$/.test(labels[labels.length - 1] ?? "")) return "has an invalid domain";
  return undefined;
};

/**
 * io-ts codec for {@link EmailAddress}.
 *
 * @example EmailAddress.is("alice@example.com") // true; "Alice <alice@example.com>" is not
 */
export const EmailAddress = t.brand(
  t.string,
  (s): s is EmailAddress => emailProblem(s) === undefined,
  "EmailAddress",
);

/** Parses one email address, or explains why the value is not one. */
export const parseEmailAddress = (s: string): E.Either<string, EmailAddress> => {
  const problem = emailProblem(s);
  return problem === undefined ? E.right(s as EmailAddress) : E.left(problem);
};
