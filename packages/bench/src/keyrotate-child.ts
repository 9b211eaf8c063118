/**
 * Child process of the account suite: one real keyrotate run (`runKeyrotate`, plans applied)
 * against the sandbox at `endpoint`, with the adapter's default clients (adaptive retries, 5
 * attempts) and default credential-report polling. Reports its wall time, its phases, its calls
 * and its own peak memory: the sandbox runs in the parent, so none of its memory counts here.
 */
import { createAwsClients, runKeyrotate } from "@keyrotate/aws-adapter";
import type { CalendarDate } from "@keyrotate/core";
import { type AttemptOutcomes, recordOutcomes } from "./attempt-outcomes.js";
import { type ChildMemory, childInput, reportResult } from "./child.js";
import { benchSettings } from "./scenario.js";

/** What the parent passes. */
export interface KeyrotateChildInput {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly today: string;
}

/** What the child reports. */
export interface KeyrotateChildResult extends ChildMemory {
  readonly status: string;
  readonly wallMs: number;
  /** From the start to the end of the credential report's reading and triage. */
  readonly reportMs: number;
  readonly usersSeen: number;
  readonly selected: number;
  readonly rotated: number;
  readonly failed: number;
  /** Attempts by operation, as the adapter's counter saw them. */
  readonly attempts: Record<string, number>;
  /** How the attempts ended: answered, or failed by error code (throttled). */
  readonly outcomes: AttemptOutcomes;
}

const input = childInput<KeyrotateChildInput>();
const settings = benchSettings(input.region);

const clients = createAwsClients({
  settings,
  endpoint: input.endpoint,
  region: input.region,
  credentials: input.credentials,
});
const outcomes: AttemptOutcomes = { answered: {}, failed: {} };
recordOutcomes(clients.iam, "iam", outcomes);
recordOutcomes(clients.s3, "s3", outcomes);
recordOutcomes(clients.ses, "ses", outcomes);
const idleRssBytes = process.memoryUsage().rss;

const start = performance.now();
let reportMs = Number.NaN;
const report = await runKeyrotate({
  clients,
  settings,
  today: input.today as CalendarDate,
  log: (entry) => {
    if (entry.event === "users-selected") reportMs = performance.now() - start;
  },
});
const wallMs = performance.now() - start;

const result: KeyrotateChildResult = {
  status: report.status,
  wallMs,
  reportMs,
  usersSeen: report.counts.usersSeen,
  selected: report.counts.selected,
  rotated: report.counts.rotated,
  failed: report.counts.failed,
  attempts: report.apiCalls,
  outcomes,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  idleRssBytes,
};
reportResult(result);
