import { SendEmailCommand } from "@aws-sdk/client-ses";
import * as E from "fp-ts/lib/Either.js";
import type { AwsClients } from "./clients.js";
import { AwsError } from "./errors.js";
import { checkHeaders, type RenderedEmail } from "./notices.js";

/**
 * Sends an email with SES `SendEmail` from `from`, after checking that nothing in it can add a
 * header.
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
    }),
  );
};
