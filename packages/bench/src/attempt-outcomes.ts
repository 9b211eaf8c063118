/** Attempts by outcome: `service:Operation` → count, and `service:Operation:ErrorCode` → count. */
export interface AttemptOutcomes {
  readonly answered: Record<string, number>;
  readonly failed: Record<string, number>;
}

/** A client whose middleware stack takes a deserialize-step middleware (any SDK v3 client). */
interface StackOwner {
  readonly middlewareStack: {
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's stack is typed per client; any client will do here.
    add(middleware: any, options: { step: "deserialize"; name: string; priority: "high" }): void;
  };
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Records how each attempt of `client`'s calls ended: answered, or failed with an error code
 * (`Throttling` when the sandbox's token bucket refused it). The middleware sits outside the
 * SDK's deserializer, inside its retry loop, so it sees every attempt's parsed outcome.
 */
export const recordOutcomes = (
  client: StackOwner,
  service: string,
  into: AttemptOutcomes,
): void => {
  client.middlewareStack.add(
    <A, R>(next: (args: A) => Promise<R>, context: { readonly commandName?: string }) =>
      async (args: A): Promise<R> => {
        const op = `${service}:${(context.commandName ?? "Unknown").replace(/Command$/, "")}`;
        try {
          const result = await next(args);
          bump(into.answered, op);
          return result;
        } catch (e) {
          const code = e instanceof Error ? e.name : "Unknown";
          bump(into.failed, `${op}:${code}`);
          throw e;
        }
      },
    { step: "deserialize", name: "benchAttemptOutcomes", priority: "high" },
  );
};

/** Failed attempts whose error code is `code` (e.g. `Throttling`). */
export const failedWith = (outcomes: AttemptOutcomes, code: string): number =>
  Object.entries(outcomes.failed).reduce((n, [k, c]) => (k.endsWith(`:${code}`) ? n + c : n), 0);
