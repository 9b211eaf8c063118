/**
 * Child process of the account suite: the baseline, reading the account at `endpoint` the way
 * the original function does (see `readLikeOriginal`), with the same SDK client configuration
 * as keyrotate (the adapter's `createAwsClients`: adaptive retries, 5 attempts), until done or
 * until `limitMs` has passed.
 */
import { createAwsClients } from "@keyrotate/aws-adapter";
import { type AttemptOutcomes, recordOutcomes } from "./attempt-outcomes.js";
import { type BaselineRead, readLikeOriginal } from "./baseline.js";
import { childInput, reportResult } from "./child.js";

/** What the parent passes. */
export interface BaselineChildInput {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly limitMs: number;
}

/** What the child reports. */
export interface BaselineChildResult extends BaselineRead {
  readonly attempts: Record<string, number>;
  readonly outcomes: AttemptOutcomes;
  readonly maxRssBytes: number;
}

const input = childInput<BaselineChildInput>();
const clients = createAwsClients({
  endpoint: input.endpoint,
  region: input.region,
  credentials: input.credentials,
});
const outcomes: AttemptOutcomes = { answered: {}, failed: {} };
recordOutcomes(clients.iam, "iam", outcomes);
const start = performance.now();
const read = await readLikeOriginal(clients.iam, () => performance.now() - start >= input.limitMs);
const result: BaselineChildResult = {
  ...read,
  attempts: clients.calls.snapshot(),
  outcomes,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
};
reportResult(result);
