import type { NoticeKind } from "@keyrotate/core";

/** Which mail keyrotate sends: a user notice (the core's kinds) or a run's admin summary. */
export type EmailKind = NoticeKind | "AdminSummary";

/**
 * The name that says which mail this is, with an {@link EmailKind} as value: a header of the
 * `.eml` previews, and an SES message tag on every mail sent (SES v1 `SendEmail` takes tags, not
 * headers). Tests and checkers recognise a notice by it instead of by its subject's wording.
 */
export const EMAIL_KIND_NAME = "X-Keyrotate-Notice";

/** An email ready to send or write out: one recipient, a subject, a plain-text and an HTML body. */
export interface RenderedEmail {
  /** Which mail it is; absent for mail read back from elsewhere (the demo's sandbox mail). */
  readonly kind?: EmailKind;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}
