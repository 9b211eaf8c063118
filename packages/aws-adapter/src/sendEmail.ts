import { SendEmailCommand } from "@aws-sdk/client-ses";
import * as E from "fp-ts/lib/Either.js";
import type { AwsClients } from "./clients.js";
import { EMAIL_KIND_NAME, type RenderedEmail } from "./email.js";
import { checkHeaders } from "./emailHeaders.js";
import { AwsError } from "./errors.js";

/**
 * Sends an email with SES `SendEmail` from `from`, after checking that nothing in it can add a
 * header; its kind goes along as the message tag `X-Keyrotate-Notice`.
 */
export const sendEmail = async (
  clients: Pick<AwsClients, "ses">,
  from: string,
  email: RenderedEmail,
): Promise<void> => {
  const checked = checkHeaders(email, from);
  if (E.isLeft(checked)) throw new AwsError("InvalidInput", "ses:SendEmail", checked.left);
  await clients.ses.send(
    new SendEmailCommand({
      Source: from,
      Destination: { ToAddresses: [email.to] },
      Message: {
        Subject: { Data: email.subject, Charset: "UTF-8" },
        Body: {
          Text: { Data: email.text, Charset: "UTF-8" },
          Html: { Data: email.html, Charset: "UTF-8" },
        },
      },
      ...(email.kind === undefined ? {} : { Tags: [{ Name: EMAIL_KIND_NAME, Value: email.kind }] }),
    }),
  );
};
