import type { ParsedOptions } from "./args.js";

/** The options that turn `run` into an organisation run. */
export const orgOptionSpecs = {
  org: { type: "boolean" },
  accounts: { type: "string" },
} as const;

/** The help text of those options. */
export const orgOptionsHelp = `  --org                  every covered account of the AWS Organization (ORG_* settings; see below)
  --accounts ID,ID       only these accounts of the organization (implies --org)`;

/** The help text of `plan`'s organisation options. */
export const orgPlanOptionsHelp = `  --org                  every covered account of the AWS Organization: a dry run of each
                         (ORG_* settings, as for "keyrotate run --org"); --as-of works too
  --accounts ID,ID       only these accounts of the organization (implies --org)`;

/** The help paragraph on organisation runs. */
export const orgHelp = `Organizations: with --org (or --accounts) the credentials are the management account's (or a
delegated administrator's). keyrotate lists the organization, assumes ORG_ROLE_NAME in each
covered account and runs there, ORG_CONCURRENCY accounts at a time, printing a line per account
as it finishes. Settings (environment or --set): ORG_ROLE_NAME (required), ORG_EXTERNAL_ID,
ORG_INCLUDE_OUS, ORG_INCLUDE_ACCOUNTS, ORG_EXCLUDE_ACCOUNTS, ORG_OPT_OUT_TAG, ORG_CONCURRENCY.
An organization run applies without a per-account plan review: it needs --yes or --dry-run.
--json prints the organization report. Exit code 1 when an account did not complete or a user
failed in one.`;

/** Whether the options ask for an organisation run. */
export const wantsOrg = (parsed: ParsedOptions): boolean =>
  parsed.flags.has("org") || parsed.strings.has("accounts");
