import type { AccessKeyId, Notice } from "@keyrotate/core";
import type { RenderedEmail } from "./email.js";
import { type Block, list, paragraph, renderBodies } from "./emailMarkup.js";
import { secretConsoleUrl, secretCopyCommand } from "./secretFile.js";
import { getSecretValueCommand, secretConsoleLink, secretName } from "./secretsManagerStore.js";

/** What a notice needs beyond its own facts. */
export interface NoticeContext {
  /** The bucket holding new secrets (`settings.s3CsvBucket`). */
  readonly bucket: string;
  /** The bucket's region, for the console link. */
  readonly bucketRegion?: string;
  /**
   * With `SECRET_STORE=secretsmanager`: the region of the users' secrets. A Rotated notice then
   * names the user's secret and its `get-secret-value` command instead of the S3 file.
   */
  readonly secretsManagerRegion?: string;
  /** The key created by the same plan, for a Rotated notice about a `Created` key. */
  readonly newKeyId?: AccessKeyId;
  /** Who sends (`settings.lambdaFunctionName`), named in the footer. */
  readonly sentBy?: string;
}

const days = (n: number): string => `${n} day${n === 1 ? "" : "s"}`;

const PENDING_KEY = "(the new key)";

/**
 * Renders a notice as an email: a subject per kind, a plain-text and an HTML body that name the
 * user, the key, its age where known and the dates of the coming steps; a Rotated notice says
 * where the new secret is (`aws s3 cp …` and a console link). Pure, so that the CLI can write
 * previews and tests can read every word.
 *
 * Everything from the account (user name, address, tags) is escaped in HTML. Headers are checked
 * separately by `headerProblem` before anything is sent.
 *
 * @example renderNotice(notice, { bucket: settings.s3CsvBucket, newKeyId }).subject
 */
export const renderNotice = (notice: Notice, context: NoticeContext): RenderedEmail => {
  const { subject, blocks } = compose(notice, context);
  return {
    kind: notice.kind,
    to: notice.to,
    subject,
    ...renderBodies(subject, blocks, context.sentBy),
  };
};

const compose = (
  notice: Notice,
  ctx: NoticeContext,
): { subject: string; blocks: ReadonlyArray<Block> } => {
  const letter = (subject: string, ...blocks: ReadonlyArray<Block>) => ({
    subject,
    blocks: [paragraph(`Hello ${notice.userName},`), ...blocks],
  });
  switch (notice.kind) {
    case "Warning":
      return letter(
        `Your AWS access key ${notice.keyId} will be rotated on ${notice.rotationDate}`,
        paragraph(
          `The access key ${notice.keyId} of IAM user ${notice.userName} is ${days(notice.keyAge)} old. It will be rotated on ${notice.rotationDate}: a new key will be created for you and the old one deactivated and later deleted.`,
        ),
        paragraph(
          notice.inactiveKeyId === undefined
            ? "You can rotate it yourself before then: create a new key, switch your applications to it, and delete the old one."
            : `You also hold the inactive key ${notice.inactiveKeyId}. Please delete it: while it exists, the rotation cannot create your new key.`,
        ),
      );
    case "TwoActiveKeys":
      return letter(
        `Action required: IAM user ${notice.userName} has two active access keys`,
        paragraph(`IAM user ${notice.userName} holds two active access keys:`),
        list([
          `${notice.keyIds[0]}: ${days(notice.keyAges[0])} old`,
          `${notice.keyIds[1]}: ${days(notice.keyAges[1])} old`,
        ]),
        paragraph(
          "Please move your applications to one of them and delete the other. Until then, the older key cannot be rotated.",
        ),
      );
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
      return letter(
        `Your AWS access key ${notice.oldKeyId} was rotated: new key ${newKeyId}`,
        paragraph(
          `The access key ${notice.oldKeyId} of IAM user ${notice.userName} is ${days(notice.oldKeyAge)} old and has been rotated. ${
            withFile
              ? `Your new key is ${newKeyId}.`
              : `Your other active key ${newKeyId} replaces it.`
          }`,
        ),
        ...(withFile && ctx.secretsManagerRegion !== undefined
          ? [
              paragraph(
                `Read the new secret from your secret ${secretName(notice.userName)} in Secrets Manager (only you can read it${
                  notice.downloadUntil === undefined ? "" : `, until ${notice.downloadUntil}`
                }), then keep it where your applications need it:`,
              ),
              {
                _tag: "code" as const,
                text: getSecretValueCommand(notice.userName, ctx.secretsManagerRegion),
              },
              {
                _tag: "link" as const,
                label: "Open the secret in the Secrets Manager console",
                href: secretConsoleLink(notice.userName, ctx.secretsManagerRegion),
              },
            ]
          : withFile
            ? [
                paragraph(
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
        paragraph(
          `Switch your applications to ${newKeyId}. The old key ${notice.oldKeyId} will be deactivated ${when}${notice.earlyDeactivation ? "," : ""} and deleted on ${notice.deletionDate}.${inUse}`,
        ),
      );
    }
    case "OldKeyInUse":
      return letter(
        `Your old AWS access key ${notice.keyId} is still in use: it stops working on ${notice.hardDeadline}`,
        paragraph(
          `The old access key ${notice.keyId} of IAM user ${notice.userName} was due to be deactivated, but it is still in use${
            notice.lastUsed === undefined ? "" : ` (last used on ${notice.lastUsed})`
          }. Its deactivation waits, but not beyond ${notice.hardDeadline}: on that day it is deactivated whatever uses it.`,
        ),
        paragraph(
          `Switch what still uses ${notice.keyId} to your new key ${notice.newKeyId} before then. Once the old key has gone quiet it is deactivated as planned.`,
        ),
      );
    case "Deactivated":
      return letter(
        `Your old AWS access key ${notice.keyId} was deactivated`,
        paragraph(
          `The old access key ${notice.keyId} of IAM user ${notice.userName} has been deactivated: requests signed with it now fail. It will be deleted on ${notice.deletionDate}.`,
        ),
        paragraph(
          "If something stopped working, switch it to your new key. An administrator can reactivate the old key until it is deleted.",
        ),
      );
    case "DeactivatedUnused":
      return letter(
        `Your unused AWS access key ${notice.keyId} was deactivated`,
        paragraph(
          `The access key ${notice.keyId} of IAM user ${notice.userName} ${
            notice.lastUsed === undefined
              ? "has never been used"
              : `was last used on ${notice.lastUsed}`
          } and has been deactivated. It will be deleted on ${notice.deletionDate}.`,
        ),
        paragraph("If you still need it, ask an administrator to reactivate it before then."),
      );
    case "Deleted":
      return letter(
        `Your old AWS access key ${notice.keyId} was deleted`,
        paragraph(
          `The old access key ${notice.keyId} of IAM user ${notice.userName} has been deleted, as announced. Nothing more is needed from you.`,
        ),
      );
  }
};
