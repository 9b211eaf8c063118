import type { AwsClients } from "@keyrotate/aws-adapter";

/**
 * Keeps the SDK's retry decisions (throttling and transient errors, 5xx and resets included, up
 * to `maxAttempts` attempts) but drops its backoff sleeps: simulated time, as the sandbox's
 * clock is. Without it, a 180-day chaos run spends hours in exponential backoff.
 */
export const withoutBackoff = (clients: AwsClients, maxAttempts = 5): AwsClients => {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  const strategy = {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (
      previous: { getRetryCount(): number },
      info: { readonly errorType: string },
    ) => {
      const retryable = info.errorType === "THROTTLING" || info.errorType === "TRANSIENT";
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts) throw new Error("no retry");
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => {},
  };
  for (const client of [clients.iam, clients.s3, clients.ses, clients.secretsManager]) {
    (client.config as { retryStrategy: unknown }).retryStrategy = async () => strategy;
  }
  return clients;
};
