import type { SettingProblem, SettingsInput } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";

/**
 * How keyrotate covers an AWS Organization: which accounts, which role it assumes in each, and
 * how many accounts run at once. Decoded from the environment like the policy settings.
 */
export interface OrgSettings {
  /** The role assumed in every member account (`ORG_ROLE_NAME`). */
  readonly roleName: string;
  /** The external id its trust policy requires (`ORG_EXTERNAL_ID`), if any. */
  readonly externalId: string | undefined;
  /** Roots or OUs whose whole subtrees are covered (`ORG_INCLUDE_OUS`); empty: the whole organisation. */
  readonly includeOus: ReadonlyArray<string>;
  /** Accounts covered besides those OUs (`ORG_INCLUDE_ACCOUNTS`); alone: only these accounts. */
  readonly includeAccounts: ReadonlyArray<string>;
  /** Accounts never touched (`ORG_EXCLUDE_ACCOUNTS`); beats every include. */
  readonly excludeAccounts: ReadonlyArray<string>;
  /** An account tag that opts an account out (`ORG_OPT_OUT_TAG`: `key` or `key=value`). */
  readonly optOutTag: { readonly key: string; readonly value: string | undefined } | undefined;
  /** Accounts run at the same time (`ORG_CONCURRENCY`, default 4). */
  readonly concurrency: number;
}

/** The environment names of the organisation settings. */
export const ORG_SETTING_NAMES = [
  "ORG_ROLE_NAME",
  "ORG_EXTERNAL_ID",
  "ORG_INCLUDE_OUS",
  "ORG_INCLUDE_ACCOUNTS",
  "ORG_EXCLUDE_ACCOUNTS",
  "ORG_OPT_OUT_TAG",
  "ORG_CONCURRENCY",
] as const;

/** The default of `ORG_CONCURRENCY`. */
export const DEFAULT_ORG_CONCURRENCY = 4;
/** The largest `ORG_CONCURRENCY`: a guard against a typo starting hundreds of accounts at once. */
export const MAX_ORG_CONCURRENCY = 100;

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const ACCOUNT_ID = /^\d{12}$/;
const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+@-]{1,128}$/u;

const list = (raw: string | undefined): string[] =>
  (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/**
 * Decodes the `ORG_*` settings, with every problem at once, each naming the setting and the
 * value it got (the same {@link SettingProblem} as the policy settings).
 *
 * @example decodeOrgSettings({ ORG_ROLE_NAME: "KeyrotateMember", ORG_INCLUDE_OUS: "ou-ab12-cdef3456" })
 */
export const decodeOrgSettings = (
  input: SettingsInput,
): E.Either<ReadonlyArray<SettingProblem>, OrgSettings> => {
  const problems: SettingProblem[] = [];
  const problem = (setting: string, message: string): void => {
    problems.push({ setting, value: input[setting], message });
  };
  const roleName = input.ORG_ROLE_NAME?.trim() ?? "";
  if (roleName === "")
    problem("ORG_ROLE_NAME", "is required: the role keyrotate assumes in each member account");
  else if (!ROLE_NAME.test(roleName))
    problem("ORG_ROLE_NAME", "expected a role name: 1 to 64 of letters, digits and +=,.@_-");
  const externalId = input.ORG_EXTERNAL_ID?.trim() ?? "";
  if (externalId !== "" && !EXTERNAL_ID.test(externalId))
    problem("ORG_EXTERNAL_ID", "expected 2 to 1224 of letters, digits and +=,.@:/_-");
  const ous = list(input.ORG_INCLUDE_OUS);
  const badOus = ous.filter((id) => !PARENT_ID.test(id));
  if (badOus.length > 0)
    problem(
      "ORG_INCLUDE_OUS",
      `expected comma-separated OU ids (ou-…) or the root id (r-…); not one: ${badOus.join(", ")}`,
    );
  const accountLists = ["ORG_INCLUDE_ACCOUNTS", "ORG_EXCLUDE_ACCOUNTS"] as const;
  const [include, exclude] = accountLists.map((name) => {
    const ids = list(input[name]);
    const bad = ids.filter((id) => !ACCOUNT_ID.test(id));
    if (bad.length > 0)
      problem(name, `expected comma-separated 12-digit account ids; not one: ${bad.join(", ")}`);
    return ids;
  }) as [string[], string[]];
  const tag = input.ORG_OPT_OUT_TAG?.trim() ?? "";
  const eq = tag.indexOf("=");
  const optOutTag =
    tag === ""
      ? undefined
      : eq < 0
        ? { key: tag, value: undefined }
        : { key: tag.slice(0, eq).trim(), value: tag.slice(eq + 1).trim() };
  if (optOutTag !== undefined && !TAG_KEY.test(optOutTag.key))
    problem("ORG_OPT_OUT_TAG", "expected a tag key (1 to 128 characters), optionally =value");
  const rawConcurrency = input.ORG_CONCURRENCY?.trim() ?? "";
  const concurrency = rawConcurrency === "" ? DEFAULT_ORG_CONCURRENCY : Number(rawConcurrency);
  if (
    !/^\d*$/.test(rawConcurrency) ||
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    concurrency > MAX_ORG_CONCURRENCY
  )
    problem(
      "ORG_CONCURRENCY",
      `expected a whole number of accounts from 1 to ${MAX_ORG_CONCURRENCY}`,
    );
  if (problems.length > 0) return E.left(problems);
  return E.right({
    roleName,
    externalId: externalId === "" ? undefined : externalId,
    includeOus: [...new Set(ous)],
    includeAccounts: [...new Set(include)],
    excludeAccounts: [...new Set(exclude)],
    optOutTag,
    concurrency,
  });
};
