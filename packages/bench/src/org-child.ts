/**
 * Child process of the organisation suite: one `runOrganization` over the sandbox's organisation
 * from the management account's credentials, with the adapter's default clients per account.
 * Reports the wall time, each account's own time and answered calls, the process's peak memory,
 * and what merging the accounts' reports costs (the org report's size, and the heap and time to
 * read it back and total it, as a summarise step over the workers' results does).
 */
import {
  type AccountSection,
  accountCounts,
  createAwsClients,
  createOrgClients,
  decodeOrgSettings,
  runOrganization,
} from "@keyrotate/aws-adapter";
import type { CalendarDate } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { type AttemptOutcomes, recordOutcomes } from "./attempt-outcomes.js";
import { type ChildMemory, childInput, reportResult } from "./child.js";
import { benchSettings } from "./scenario.js";

/** What the parent passes. */
export interface OrgChildInput {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly today: string;
  readonly roleName: string;
  readonly concurrency: number;
  /** Accounts left out of the run (the management account, the reference twin). */
  readonly excludeAccounts: ReadonlyArray<string>;
}

/** One account as the organisation run went. */
export interface OrgChildAccount {
  readonly accountId: string;
  readonly status: string;
  /** From AssumeRole to the end of its run. */
  readonly ms: number;
  readonly outcomes: AttemptOutcomes;
  readonly rotated: number;
}

/** What the child reports. */
export interface OrgChildResult extends ChildMemory {
  readonly status: string;
  readonly wallMs: number;
  readonly accounts: ReadonlyArray<OrgChildAccount>;
  /** The organisation report as JSON, in bytes. */
  readonly reportBytes: number;
  /** Heap grown by reading the report back from JSON and totalling it, in bytes. */
  readonly mergeHeapBytes: number;
  readonly mergeMs: number;
  /** CPU time (user and system) of this process during the run, in ms. */
  readonly cpuMs: number;
}

const input = childInput<OrgChildInput>();
const settings = benchSettings(input.region);
const org = decodeOrgSettings({
  ORG_ROLE_NAME: input.roleName,
  ORG_CONCURRENCY: String(input.concurrency),
  ORG_EXCLUDE_ACCOUNTS: input.excludeAccounts.join(","),
});
if (E.isLeft(org)) throw new Error(JSON.stringify(org.left));
const { endpoint, region } = input;
const orgClients = createOrgClients({ endpoint, region, credentials: input.credentials });
const outcomes = new Map<string, AttemptOutcomes>();
const started = new Map<string, number>();
const finished = new Map<string, number>();
const idleRssBytes = process.memoryUsage().rss;

const start = performance.now();
const cpuBefore = process.cpuUsage();
const report = await runOrganization({
  orgClients,
  org: org.right,
  settings,
  today: input.today as CalendarDate,
  clientsFor: (credentials, accountId) => {
    const clients = createAwsClients({ settings, endpoint, region, credentials });
    const into: AttemptOutcomes = { answered: {}, failed: {} };
    recordOutcomes(clients.iam, "iam", into);
    recordOutcomes(clients.s3, "s3", into);
    recordOutcomes(clients.ses, "ses", into);
    outcomes.set(accountId, into);
    return clients;
  },
  onAccountProgress: (e) => {
    if (e.kind === "account-started") started.set(e.accountId, performance.now());
    if (e.kind === "account-finished") finished.set(e.section.accountId, performance.now());
  },
});
const wallMs = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);

const text = JSON.stringify(report);
global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const mergeStart = performance.now();
const sections = (JSON.parse(text) as { accounts: AccountSection[] }).accounts;
const merged = accountCounts(sections.length, sections, []);
const mergeMs = performance.now() - mergeStart;
const mergeHeapBytes = Math.max(0, process.memoryUsage().heapUsed - heapBefore);

const result: OrgChildResult = {
  status: `${report.status} (${merged.completed} completed)`,
  wallMs,
  accounts: report.accounts.map((s) => ({
    accountId: s.accountId,
    status: s.status,
    ms: (finished.get(s.accountId) ?? 0) - (started.get(s.accountId) ?? 0),
    outcomes: outcomes.get(s.accountId) ?? { answered: {}, failed: {} },
    rotated: s.report?.counts.rotated ?? 0,
  })),
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  idleRssBytes,
  reportBytes: Buffer.byteLength(text),
  mergeHeapBytes,
  mergeMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
};
reportResult(result);
