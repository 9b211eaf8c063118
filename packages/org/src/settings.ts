import { decodeOrgSettings, ORG_SETTING_NAMES, type OrgSettings } from "@keyrotate/aws-adapter";
import {
  decodeSettings,
  type SettingProblem,
  type Settings,
  type SettingsInput,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";

/**
 * The token in `S3_CSV_BUCKET` that stands for the member account's id: bucket names are global,
 * so each member account keeps its users' new secrets in a bucket of its own, named by the
 * member template (`keyrotate-credentials-{accountId}` by default).
 */
export const ACCOUNT_ID_TOKEN = "{accountId}";

/** An account id that makes a valid bucket name, to check the settings before any account. */
const PROBE_ACCOUNT = "000000000000";

/**
 * The policy settings of one member account: the deployment's settings with
 * {@link ACCOUNT_ID_TOKEN} in `S3_CSV_BUCKET` replaced by the account's id.
 *
 * @example settingsForAccount(process.env, "111111111111")
 */
export const settingsForAccount = (
  env: SettingsInput,
  accountId: string,
): E.Either<ReadonlyArray<SettingProblem>, Settings> =>
  decodeSettings({
    ...env,
    S3_CSV_BUCKET: env.S3_CSV_BUCKET?.replaceAll(ACCOUNT_ID_TOKEN, accountId),
  });

/** `RESULTS_BUCKET`: the deployment's bucket for account lists, Map results and org reports. */
const RESULTS_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What the list step needs: the organisation settings and where to write the account list. */
export interface ListSettings {
  readonly org: OrgSettings;
  readonly resultsBucket: string;
}

/** What the worker and summarise steps need: the policy settings per account and the bucket. */
export interface RunSettings {
  readonly org: OrgSettings;
  /** Checked once with a probe account id; each account decodes its own. */
  readonly settings: Settings;
  readonly settingsFor: (accountId: string) => Settings;
  readonly resultsBucket: string;
}

const orgInput = (env: SettingsInput): SettingsInput =>
  Object.fromEntries(ORG_SETTING_NAMES.map((name) => [name, env[name]]));

const resultsBucketOf = (env: SettingsInput, problems: SettingProblem[]): string => {
  const bucket = env.RESULTS_BUCKET?.trim() ?? "";
  if (!RESULTS_BUCKET.test(bucket))
    problems.push({
      setting: "RESULTS_BUCKET",
      value: env.RESULTS_BUCKET,
      message:
        "is required: the bucket of account lists, Map results and org reports (3 to 63 lower-case letters, digits, dots or hyphens)",
    });
  return bucket;
};

/** Decodes the list step's environment: the `ORG_*` settings and `RESULTS_BUCKET`, every problem at once. */
export const decodeListSettings = (
  env: SettingsInput,
): E.Either<ReadonlyArray<SettingProblem>, ListSettings> => {
  const problems: SettingProblem[] = [];
  const org = decodeOrgSettings(orgInput(env));
  if (E.isLeft(org)) problems.push(...org.left);
  const resultsBucket = resultsBucketOf(env, problems);
  return E.isLeft(org) || problems.length > 0
    ? E.left(problems)
    : E.right({ org: org.right, resultsBucket });
};

/**
 * Decodes the worker's and the summarise step's environment: the policy settings (with
 * {@link ACCOUNT_ID_TOKEN} in `S3_CSV_BUCKET`), the `ORG_*` settings and `RESULTS_BUCKET`, every
 * problem at once.
 */
export const decodeRunSettings = (
  env: SettingsInput,
): E.Either<ReadonlyArray<SettingProblem>, RunSettings> => {
  const listed = decodeListSettings(env);
  const settings = settingsForAccount(env, PROBE_ACCOUNT);
  if (E.isLeft(listed) || E.isLeft(settings))
    return E.left([
      ...(E.isLeft(listed) ? listed.left : []),
      ...(E.isLeft(settings) ? settings.left : []),
    ]);
  const settingsFor = (accountId: string): Settings => {
    const decoded = settingsForAccount(env, accountId);
    // The probe decoded, and an account id only puts digits into a valid bucket name.
    if (E.isLeft(decoded)) throw new Error(`settings of ${accountId}: ${decoded.left[0]?.message}`);
    return decoded.right;
  };
  return E.right({ ...listed.right, settings: settings.right, settingsFor });
};
