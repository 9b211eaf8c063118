import { randomUUID } from "node:crypto";
import {
  type Account,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  type ListOrganizationalUnitsForParentCommandOutput,
  ListTagsForResourceCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { CalendarDate, Settings } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { partitionOf } from "./asff.js";
import { ApiCallCounter, type AwsClients, createAwsClients } from "./clients.js";
import { mapWithConcurrency } from "./concurrency.js";
import type { ReportPolling } from "./credentialReport.js";
import { type AwsError, mapAwsError } from "./errors.js";
import type { ProgressEvent } from "./executePlans.js";
import { type Log, silentLog } from "./log.js";
import {
  type AccountSection,
  assembleOrgReport,
  type OrgReport,
  type SkippedAccount,
  selectionOf,
} from "./orgReport.js";
import type { OrgSettings } from "./orgSettings.js";
import type { RunReport } from "./report.js";
import { runKeyrotate } from "./run.js";
import type { ScanMode } from "./scan.js";

/** The management-side clients of an organisation run, built once, and their call counter. */
export interface OrgClients {
  readonly organizations: OrganizationsClient;
  readonly sts: STSClient;
  readonly calls: ApiCallCounter;
}

/** Options of {@link createOrgClients}: as for `createAwsClients`, all optional. */
export interface CreateOrgClientsOptions {
  /** Region of STS and Organizations; the SDK's default chain when absent. */
  readonly region?: string;
  /** One endpoint for both (the CLI's `--endpoint-url`); beats `AWS_ENDPOINT_URL*`. */
  readonly endpoint?: string;
  /** The management (or delegated administrator) credentials; the default chain when absent. */
  readonly credentials?: NonNullable<ConstructorParameters<typeof STSClient>[0]>["credentials"];
  /** Attempts per call, first included (default 5, adaptive retries). */
  readonly maxAttempts?: number;
}

const counting =
  (service: "organizations" | "sts", calls: ApiCallCounter) =>
  <A, R>(next: (args: A) => Promise<R>, context: { readonly commandName?: string }) =>
  async (args: A): Promise<R> => {
    const name = context.commandName?.replace(/Command$/, "") ?? "Unknown";
    calls.record(`${service}:${name}`);
    return next(args);
  };

const countingOptions = {
  step: "deserialize",
  name: "keyrotateOrgCallCounter",
  priority: "low",
} as const;

/**
 * Builds the Organizations and STS clients of an organisation run once. As with the other
 * clients nothing overrides the SDK's credential chain or `AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL_ORGANIZATIONS` unless passed.
 *
 * @example const orgClients = createOrgClients({ region: "us-east-1" })
 */
export const createOrgClients = (options: CreateOrgClientsOptions = {}): OrgClients => {
  const common = {
    retryMode: "adaptive",
    maxAttempts: options.maxAttempts ?? 5,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  const calls = new ApiCallCounter();
  const organizations = new OrganizationsClient(common);
  const sts = new STSClient(common);
  organizations.middlewareStack.add(counting("organizations", calls), countingOptions);
  sts.middlewareStack.add(counting("sts", calls), countingOptions);
  return { organizations, sts, calls };
};

/** An account found in the organisation. */
export interface OrgAccount {
  readonly id: string;
  readonly name: string;
  readonly status: string;
}

/** The accounts an organisation run covers, and those it leaves alone with the reason. */
export interface AccountSelection {
  readonly discovered: number;
  readonly selected: ReadonlyArray<OrgAccount>;
  readonly skipped: ReadonlyArray<SkippedAccount>;
}

const toAccount = (a: Account): OrgAccount => ({
  id: a.Id ?? "",
  name: a.Name ?? a.Id ?? "",
  status: a.Status ?? "ACTIVE",
});

const listAccounts = async (clients: OrgClients): Promise<OrgAccount[]> => {
  const out: OrgAccount[] = [];
  let token: string | undefined;
  do {
    const page = await clients.organizations.send(new ListAccountsCommand({ NextToken: token }));
    out.push(...(page.Accounts ?? []).map(toAccount));
    token = page.NextToken;
  } while (token !== undefined);
  return out;
};

/** Every account in the subtrees of `parents` (roots or OUs, nested OUs included), each once. */
const listSubtrees = async (
  clients: OrgClients,
  parents: ReadonlyArray<string>,
): Promise<OrgAccount[]> => {
  const seen = new Set<string>();
  const visited = new Set<string>();
  const out: OrgAccount[] = [];
  const queue = [...parents];
  while (queue.length > 0) {
    const parentId = queue.shift() as string;
    if (visited.has(parentId)) continue;
    visited.add(parentId);
    let token: string | undefined;
    do {
      const page = await clients.organizations.send(
        new ListAccountsForParentCommand({ ParentId: parentId, NextToken: token }),
      );
      for (const a of (page.Accounts ?? []).map(toAccount)) {
        if (!seen.has(a.id)) out.push(a);
        seen.add(a.id);
      }
      token = page.NextToken;
    } while (token !== undefined);
    let ouToken: string | undefined;
    do {
      const ous: ListOrganizationalUnitsForParentCommandOutput = await clients.organizations.send(
        new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken: ouToken }),
      );
      for (const ou of ous.OrganizationalUnits ?? []) if (ou.Id) queue.push(ou.Id);
      ouToken = ous.NextToken;
    } while (ouToken !== undefined);
  }
  return out;
};

const accountTags = async (clients: OrgClients, accountId: string) => {
  const tags: { key: string; value: string }[] = [];
  let token: string | undefined;
  do {
    const page = await clients.organizations.send(
      new ListTagsForResourceCommand({ ResourceId: accountId, NextToken: token }),
    );
    for (const t of page.Tags ?? []) tags.push({ key: t.Key ?? "", value: t.Value ?? "" });
    token = page.NextToken;
  } while (token !== undefined);
  return tags;
};

/**
 * Finds the accounts an organisation run covers: the whole organisation, or the subtrees of
 * `ORG_INCLUDE_OUS` plus `ORG_INCLUDE_ACCOUNTS`, less `ORG_EXCLUDE_ACCOUNTS`, suspended
 * accounts and accounts tagged to opt out. A failed listing fails the whole discovery (Left):
 * a partial view of the organisation could silently leave accounts out.
 */
export const discoverAccounts = async (
  clients: OrgClients,
  org: OrgSettings,
): Promise<E.Either<AwsError, AccountSelection>> => {
  let found: OrgAccount[];
  let operation = "organizations:ListAccounts";
  try {
    if (org.includeOus.length > 0) {
      operation = "organizations:ListAccountsForParent";
      found = await listSubtrees(clients, org.includeOus);
      const missing = org.includeAccounts.filter((id) => !found.some((a) => a.id === id));
      if (missing.length > 0) {
        operation = "organizations:ListAccounts";
        const all = await listAccounts(clients);
        found = [...found, ...all.filter((a) => missing.includes(a.id))];
      }
    } else {
      const all = await listAccounts(clients);
      found =
        org.includeAccounts.length > 0
          ? all.filter((a) => org.includeAccounts.includes(a.id))
          : all;
    }
  } catch (e) {
    return E.left(mapAwsError(operation, e));
  }
  const skipped: SkippedAccount[] = org.includeAccounts
    .filter((id) => !found.some((a) => a.id === id))
    .map((accountId) => ({
      accountId,
      reason: "not-in-organization",
      message: `ORG_INCLUDE_ACCOUNTS names ${accountId}, which is not in the organization`,
    }));
  const candidates: OrgAccount[] = [];
  for (const a of found) {
    const skip = (reason: SkippedAccount["reason"], message: string): void => {
      skipped.push({ accountId: a.id, accountName: a.name, reason, message });
    };
    if (org.excludeAccounts.includes(a.id)) skip("excluded", "listed in ORG_EXCLUDE_ACCOUNTS");
    else if (a.status === "SUSPENDED")
      skip("suspended", "the account is SUSPENDED: it cannot be signed in to");
    else if (a.status !== "ACTIVE") skip("not-active", `the account is ${a.status}`);
    else candidates.push(a);
  }
  const optOut = org.optOutTag;
  if (optOut === undefined)
    return E.right({ discovered: found.length, selected: candidates, skipped });
  const tagged = await mapWithConcurrency(candidates, org.concurrency, async (a) => {
    try {
      const tags = await accountTags(clients, a.id);
      return tags.some(
        (t) => t.key === optOut.key && (optOut.value === undefined || t.value === optOut.value),
      )
        ? "opted-out"
        : "in";
    } catch (e) {
      return mapAwsError("organizations:ListTagsForResource", e);
    }
  });
  const selected: OrgAccount[] = [];
  candidates.forEach((a, i) => {
    const t = tagged[i];
    const shown = optOut.value === undefined ? optOut.key : `${optOut.key}=${optOut.value}`;
    if (t === "in") selected.push(a);
    else if (t === "opted-out")
      skipped.push({
        accountId: a.id,
        accountName: a.name,
        reason: "opted-out",
        message: `tagged ${shown} (ORG_OPT_OUT_TAG)`,
      });
    else
      skipped.push({
        accountId: a.id,
        accountName: a.name,
        reason: "opt-out-unknown",
        message: `its tags could not be read, so it may have opted out: ${t?.message}`,
      });
  });
  return E.right({ discovered: found.length, selected, skipped });
};

/** Temporary credentials of a member account. */
export interface AccountCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration?: Date;
}

/** What an organisation run reports as it goes, account by account. */
export type OrgProgressEvent =
  | {
      readonly kind: "discovered";
      readonly selected: number;
      readonly skipped: ReadonlyArray<SkippedAccount>;
    }
  | { readonly kind: "account-started"; readonly accountId: string; readonly accountName: string }
  | { readonly kind: "account-finished"; readonly section: AccountSection };

/** Options of {@link runOrganization}. */
export interface OrganizationRunOptions {
  /** Built once with {@link createOrgClients}, with the management account's credentials. */
  readonly orgClients: OrgClients;
  readonly org: OrgSettings;
  /** The policy settings, the same for every account or per account. */
  readonly settings: Settings | ((accountId: string) => Settings);
  /** The run's UTC date; the adapter never reads a clock to decide. */
  readonly today: CalendarDate;
  /**
   * Builds one account's IAM, S3 and SES clients from its temporary credentials (default:
   * `createAwsClients` with the account's settings and those credentials; `AWS_ENDPOINT_URL*`
   * apply). Each account gets clients of its own: its own call counts and IAM pacing.
   */
  readonly clientsFor?: (credentials: AccountCredentials, accountId: string) => AwsClients;
  readonly dryRun?: boolean;
  readonly scanMode?: ScanMode;
  readonly polling?: ReportPolling;
  readonly log?: Log;
  /** Default: a random UUID; each account's run id is `<runId>-<accountId>`. */
  readonly runId?: string;
  /** Clock for the report's timestamps only (default: the system clock). */
  readonly now?: () => Date;
  /** Asked before each account is started; false defers that account and the rest. */
  readonly shouldStartAccount?: () => boolean;
  /** Asked before each user is started, in every account. */
  readonly shouldStartUser?: () => boolean;
  readonly onAccountProgress?: (event: OrgProgressEvent) => void;
  /** Each account's per-user progress, with the account's id. */
  readonly onProgress?: (accountId: string, event: ProgressEvent) => void;
}

const SESSION_NAME_MAX = 64;

/**
 * Assumes `ORG_ROLE_NAME` in a member account (with `ORG_EXTERNAL_ID`), in the partition of the
 * management clients' region; the session is named `keyrotate-<runId>`. Left with the mapped
 * error (logged as `account-unreachable`) when the role cannot be assumed.
 */
const assumeMemberRole = async (
  orgClients: OrgClients,
  org: OrgSettings,
  runId: string,
  account: OrgAccount,
  log: Log,
): Promise<E.Either<AwsError, AccountCredentials>> => {
  const partition = partitionOf(await orgClients.sts.config.region());
  try {
    const out = await orgClients.sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:${partition}:iam::${account.id}:role/${org.roleName}`,
        RoleSessionName: `keyrotate-${runId}`.slice(0, SESSION_NAME_MAX),
        ...(org.externalId === undefined ? {} : { ExternalId: org.externalId }),
      }),
    );
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined)
      throw new Error("AssumeRole returned no credentials");
    return E.right({
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken ?? "",
    });
  } catch (e) {
    const error = mapAwsError("sts:AssumeRole", e);
    log({
      level: "error",
      event: "account-unreachable",
      message: `account ${account.id}: the role ${org.roleName} could not be assumed: ${error.message}`,
      accountId: account.id,
      error: error.toJSON(),
    });
    return E.left(error);
  }
};

/**
 * How one account's work ended in {@link forEachAccount}: `done` with the work's value, `failed`
 * (the work threw), `unreachable` (the role could not be assumed), `deferred` (never started).
 */
export type AccountOutcome<R> =
  | { readonly status: "done"; readonly value: R }
  | { readonly status: "failed"; readonly error: AwsError }
  | { readonly status: "unreachable"; readonly error: AwsError }
  | { readonly status: "deferred" };

/** One account's work with its temporary credentials: a throw fails that account only. */
export type AccountWork<R> = (account: OrgAccount, credentials: AccountCredentials) => Promise<R>;

/** Assumes the member role in `account` and does `work` there; never throws. */
const workInAccount = async <R>(
  orgClients: OrgClients,
  org: OrgSettings,
  runId: string,
  log: Log,
  account: OrgAccount,
  work: AccountWork<R>,
): Promise<AccountOutcome<R>> => {
  const credentials = await assumeMemberRole(orgClients, org, runId, account, log);
  if (E.isLeft(credentials)) return { status: "unreachable", error: credentials.left };
  try {
    return { status: "done", value: await work(account, credentials.right) };
  } catch (e) {
    return { status: "failed", error: mapAwsError("keyrotate:Run", e) };
  }
};

/** Options of {@link forEachAccount}. */
export interface ForEachAccountOptions<R> {
  readonly orgClients: OrgClients;
  readonly org: OrgSettings;
  /** Names the role session (`keyrotate-<runId>`). */
  readonly runId: string;
  readonly log?: Log;
  readonly work: AccountWork<R>;
  /** Asked before each account is started; false defers that account and the rest. */
  readonly shouldStartAccount?: () => boolean;
  readonly onDiscovered?: (selection: AccountSelection) => void;
  readonly onAccountStarted?: (account: OrgAccount) => void;
  readonly onAccountFinished?: (account: OrgAccount, outcome: AccountOutcome<R>) => void;
}

/** What {@link forEachAccount} found and how each selected account's work ended, in order. */
export interface AccountsDone<R> {
  readonly selection: AccountSelection;
  readonly outcomes: ReadonlyArray<{
    readonly account: OrgAccount;
    readonly outcome: AccountOutcome<R>;
  }>;
}

/**
 * The fan-out of an organisation run, whatever it does per account: discovers the covered
 * accounts ({@link discoverAccounts}), assumes `ORG_ROLE_NAME` (with `ORG_EXTERNAL_ID`) in each,
 * and runs `work` in up to `ORG_CONCURRENCY` accounts at once. A refused AssumeRole or a failing
 * account never stops the others. Left when the organisation could not be listed.
 *
 * @example const done = await forEachAccount({ orgClients, org, runId, work: readOne })
 */
export const forEachAccount = async <R>(
  options: ForEachAccountOptions<R>,
): Promise<E.Either<AwsError, AccountsDone<R>>> => {
  const { orgClients, org, runId } = options;
  const log = options.log ?? silentLog;
  const selection = await discoverAccounts(orgClients, org);
  if (E.isLeft(selection)) return selection;
  options.onDiscovered?.(selection.right);
  const outcomes = await mapWithConcurrency(
    selection.right.selected,
    org.concurrency,
    async (account) => {
      let outcome: AccountOutcome<R> = { status: "deferred" };
      if (options.shouldStartAccount?.() !== false) {
        options.onAccountStarted?.(account);
        outcome = await workInAccount(orgClients, org, runId, log, account, options.work);
      }
      options.onAccountFinished?.(account, outcome);
      return { account, outcome };
    },
  );
  return E.right({ selection: selection.right, outcomes });
};

/** Options of {@link runAccount}: those of an organisation run that concern one account. */
export type AccountRunOptions = Omit<
  OrganizationRunOptions,
  "shouldStartAccount" | "onAccountProgress" | "runId"
> & {
  /** The organisation run's id; the account's run id is `<runId>-<accountId>`. */
  readonly runId: string;
};

/** keyrotate's run in one member account, with the credentials of its member role. */
const keyrotateIn =
  (options: AccountRunOptions): AccountWork<RunReport> =>
  async (account, credentials) => {
    const log = options.log ?? silentLog;
    const settings =
      typeof options.settings === "function" ? options.settings(account.id) : options.settings;
    const clients =
      options.clientsFor?.(credentials, account.id) ?? createAwsClients({ settings, credentials });
    try {
      return await runKeyrotate({
        clients,
        settings,
        today: options.today,
        runId: `${options.runId}-${account.id}`,
        log: (entry) => log({ ...entry, accountId: account.id }),
        ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
        ...(options.scanMode === undefined ? {} : { scanMode: options.scanMode }),
        ...(options.polling === undefined ? {} : { polling: options.polling }),
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(options.shouldStartUser === undefined
          ? {}
          : { shouldStartUser: options.shouldStartUser }),
        ...(options.onProgress === undefined
          ? {}
          : { onProgress: (event: ProgressEvent) => options.onProgress?.(account.id, event) }),
      });
    } finally {
      clients.iam.destroy();
      clients.s3.destroy();
      clients.ses.destroy();
    }
  };

/** An account's section of the org report, from how its run ended. */
const sectionOf = (account: OrgAccount, outcome: AccountOutcome<RunReport>): AccountSection => {
  const section = { accountId: account.id, accountName: account.name };
  switch (outcome.status) {
    case "done":
      return {
        ...section,
        status: outcome.value.status === "failed" ? "failed" : "completed",
        report: outcome.value,
      };
    case "deferred":
      return { ...section, status: "deferred" };
    default:
      return { ...section, status: outcome.status, error: outcome.error.toJSON() };
  }
};

/**
 * Runs keyrotate in one member account of an organisation run: assumes `ORG_ROLE_NAME` there
 * (with `ORG_EXTERNAL_ID`), builds the account's clients from the temporary credentials and runs
 * {@link runKeyrotate}. Never throws: a refused AssumeRole makes the section `unreachable`, a
 * failed run `failed`. The Step Functions worker (`@keyrotate/org`) calls it, one account per
 * invocation; `runOrganization` runs the same work through {@link forEachAccount}.
 *
 * @example const section = await runAccount({ orgClients, org, settings, today, runId }, account)
 */
export const runAccount = async (
  options: AccountRunOptions,
  account: OrgAccount,
): Promise<AccountSection> =>
  sectionOf(
    account,
    await workInAccount(
      options.orgClients,
      options.org,
      options.runId,
      options.log ?? silentLog,
      account,
      keyrotateIn(options),
    ),
  );

/**
 * Runs keyrotate in every covered account of an AWS Organization: discovers the accounts,
 * assumes `ORG_ROLE_NAME` (with `ORG_EXTERNAL_ID`) in each, runs {@link runKeyrotate} in up to
 * `ORG_CONCURRENCY` accounts at once, and merges their reports into one {@link OrgReport}.
 * Failures stay in their account: a refused AssumeRole, a throttled or failing account or a
 * rejecting SES never stops the others.
 *
 * @example const report = await runOrganization({ orgClients, org, settings, today })
 */
export const runOrganization = async (options: OrganizationRunOptions): Promise<OrgReport> => {
  const { orgClients, org, today } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? silentLog;
  const runId = options.runId ?? randomUUID();
  // With per-account settings each account's own dryRun applies; the report says dry only
  // when every account that ran was.
  const dryRun =
    options.dryRun ??
    (typeof options.settings === "function" ? undefined : options.settings.dryRun);
  const startedAt = now().toISOString();
  const parts = { runId, date: today, startedAt, selection: selectionOf(org), dryRun };
  log({ level: "info", event: "org-run-started", message: `org run ${runId} for ${today}`, runId });
  const done = await forEachAccount<RunReport>({
    orgClients,
    org,
    runId,
    log,
    work: keyrotateIn({ ...options, runId }),
    ...(options.shouldStartAccount === undefined
      ? {}
      : { shouldStartAccount: options.shouldStartAccount }),
    onDiscovered: ({ selected, skipped }) =>
      options.onAccountProgress?.({ kind: "discovered", selected: selected.length, skipped }),
    onAccountStarted: (account) =>
      options.onAccountProgress?.({
        kind: "account-started",
        accountId: account.id,
        accountName: account.name,
      }),
    onAccountFinished: (account, outcome) =>
      options.onAccountProgress?.({
        kind: "account-finished",
        section: sectionOf(account, outcome),
      }),
  });
  if (E.isLeft(done)) {
    log({
      level: "error",
      event: "org-discovery-failed",
      message: `the organization could not be listed; no account was run: ${done.left.message}`,
      error: done.left.toJSON(),
    });
    return assembleOrgReport({
      ...parts,
      dryRun: dryRun ?? false,
      finishedAt: now().toISOString(),
      error: done.left.toJSON(),
      discovered: 0,
      sections: [],
      skipped: [],
      apiCalls: orgClients.calls.snapshot(),
    });
  }
  const { skipped, discovered } = done.right.selection;
  const report = assembleOrgReport({
    ...parts,
    finishedAt: now().toISOString(),
    discovered,
    sections: done.right.outcomes.map(({ account, outcome }) => sectionOf(account, outcome)),
    skipped,
    apiCalls: orgClients.calls.snapshot(),
  });
  log({
    level: report.status === "completed" ? "info" : "warn",
    event: "org-run-finished",
    message: `org run ${runId}: ${JSON.stringify(report.totals.accounts)}`,
    counts: report.totals.accounts,
  });
  return report;
};
