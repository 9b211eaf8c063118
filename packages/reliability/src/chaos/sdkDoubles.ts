/**
 * The SDK doubles of the chaos simulation: the production clients without their backoff sleeps,
 * and an SES that refuses some sends as a real one does (400 `MessageRejected`, never retried).
 */
import { MessageRejected } from "@aws-sdk/client-ses";
import { type AttemptMiddleware, type AwsClients, createAwsClients } from "@keyrotate/aws-adapter";
import type { Settings } from "@keyrotate/core";
import type { Sandbox } from "@keyrotate/sandbox";
import { withoutBackoff } from "@keyrotate/testkit";

export /** A number in [0, 1) from a string (FNV-1a): the same dice for the same notice, in any order. */
const dice = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  return (h >>> 0) / 4_294_967_296;
};

/** The production clients (5 attempts) on the sandbox, their backoff sleeps skipped. */
export const chaosClients = (
  sandbox: Sandbox,
  settings: Settings,
  middleware: AttemptMiddleware[],
): AwsClients => {
  const { endpoint, region, credentials } = sandbox.clientConfig();
  // IAM unpaced, as backoff sleeps are skipped: the faults here are random, not a rate, and
  // pacing would only wait.
  return withoutBackoff(
    createAwsClients({ settings, endpoint, region, credentials, middleware, iamPacing: false }),
  );
};

/**
 * Makes `clients`' SES refuse a `SendEmail` whenever `refusal` gives a reason for its recipient
 * and subject: a 400 `MessageRejected` with that message, which the SDK never retries.
 */
export const rejectSends = (
  clients: AwsClients,
  refusal: (to: string, subject: string) => string | undefined,
): AwsClients => {
  type Input = {
    readonly Destination?: { readonly ToAddresses?: ReadonlyArray<string> };
    readonly Message?: { readonly Subject?: { readonly Data?: string } };
  };
  clients.ses.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "SendEmailCommand") {
        const input = args.input as Input;
        const to = input.Destination?.ToAddresses?.join(",") ?? "";
        const why = refusal(to, input.Message?.Subject?.Data ?? "");
        if (why !== undefined) {
          throw new MessageRejected({ message: why, $metadata: { httpStatusCode: 400 } });
        }
      }
      return next(args);
    },
    { step: "initialize", name: "chaosRejectSends" },
  );
  return clients;
};
