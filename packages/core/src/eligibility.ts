import * as E from "fp-ts/lib/Either.js";
import type { Tag, UserSnapshot } from "./AccessKey.js";
import { type CalendarDate, daysBetween, parseCalendarDate } from "./CalendarDate.js";
import { type EmailAddress, parseEmailAddress } from "./EmailAddress.js";
import { type Finding, finding } from "./Plan.js";
import type { PolicySettings } from "./Settings.js";

/** Whether a user is handled, and the address of its notices when it is. */
export type Eligibility =
  | { readonly _tag: "Handled"; readonly to: EmailAddress }
  | { readonly _tag: "NotHandled"; readonly findings: ReadonlyArray<Finding> };

/**
 * Decides whether a user is handled: exactly one valid email address in the email tag, and not
 * exempt (POLICY.md, "Who is handled"). An exemption date is inclusive: exempt until the end
 * of that day.
 */
export const eligibility = (
  settings: PolicySettings,
  today: CalendarDate,
  user: UserSnapshot,
): Eligibility => {
  const findings: Finding[] = [];
  let to: EmailAddress | undefined;
  const email = findTag(user.tags, settings.emailTagKey);
  if (email === undefined || email === "") {
    findings.push(finding("no-email", `no ${settings.emailTagKey} tag: the user is not handled`));
  } else {
    const parsed = parseEmailAddress(email);
    if (E.isLeft(parsed)) {
      findings.push(
        finding(
          "bad-email",
          `the ${settings.emailTagKey} tag ${parsed.left}: the user is not handled`,
        ),
      );
    } else {
      to = parsed.right;
    }
  }
  const exempt = findTag(user.tags, settings.exemptTagKey);
  if (exempt !== undefined) {
    const value = exempt.trim().toLowerCase();
    const until = parseCalendarDate(value);
    if (value === "true") {
      findings.push(finding("exempt", `exempt by the ${settings.exemptTagKey} tag`));
    } else if (until !== undefined) {
      if (daysBetween(today, until) >= 0) {
        findings.push(
          finding("exempt", `exempt until ${until} by the ${settings.exemptTagKey} tag`),
        );
      }
    } else if (value !== "false") {
      findings.push(
        finding(
          "bad-exempt-value",
          `the ${settings.exemptTagKey} tag must be true, false or a YYYY-MM-DD date: the user is not handled`,
        ),
      );
    }
  }
  return to !== undefined && findings.length === 0
    ? { _tag: "Handled", to }
    : { _tag: "NotHandled", findings };
};

const findTag = (tags: ReadonlyArray<Tag>, key: string): string | undefined => {
  for (const tag of tags) if (tag.key === key) return tag.value;
  return undefined;
};
