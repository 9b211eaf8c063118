import { type AttemptMiddleware, type AwsClients, createAwsClients } from "@keyrotate/aws-adapter";
import type { Settings } from "@keyrotate/core";
import { CONFIG_PREFIX_SEPARATOR, loadSharedConfigFiles } from "@smithy/core/config";

/** Options that say how to reach AWS. */
export const awsOptionSpecs = {
  profile: { type: "string" },
  region: { type: "string" },
  "endpoint-url": { type: "string" },
} as const;

/**
 * The help lines of `--set` and of the options that say how to reach AWS, for the commands that
 * read an account; `regionUse` says what `--region` is for and its default.
 */
export const accountOptionsHelp = (
  regionUse: string,
): string => `  --set NAME=VALUE       a setting (repeatable; overrides the environment variable NAME)
  --profile NAME         AWS profile (default: the SDK's default credential chain)
  --region REGION        ${regionUse}
  --endpoint-url URL     one endpoint for IAM, S3 and SES (path-style S3), e.g. a local sandbox`;

/** Closes the connections of the clients of a command, once it is done with them. */
export const destroyClients = (clients: Pick<AwsClients, "iam" | "s3" | "ses">): void => {
  clients.iam.destroy();
  clients.s3.destroy();
  clients.ses.destroy();
};

/** How to reach AWS, from `--profile`, `--region` and `--endpoint-url`. */
export interface AwsAccess {
  readonly profile?: string;
  readonly region?: string;
  readonly endpointUrl?: string;
}

/** The SDK's retry modes, as `AWS_RETRY_MODE` and a profile's `retry_mode` name them. */
const retryModes = ["standard", "adaptive"] as const;

/**
 * What the environment and the shared config files add to {@link AwsAccess}, read once before
 * the clients are built: what the SDK itself would read, except where keyrotate's client
 * options would hide it.
 */
export interface AwsConfig {
  /** `AWS_MAX_ATTEMPTS`, else the profile's `max_attempts`: beats the adapter's default. */
  readonly maxAttempts?: number;
  /** `AWS_RETRY_MODE`, else the profile's `retry_mode`: beats the adapter's default. */
  readonly retryMode?: (typeof retryModes)[number];
  /**
   * The profile sets an `endpoint_url` for S3 (its own, or its `services` section's): S3 then
   * needs path-style addressing, as with `AWS_ENDPOINT_URL`.
   */
  readonly profileS3Endpoint: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads {@link AwsConfig} from `env` and the shared config and credentials files (where the
 * SDK looks: `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws`), with every
 * problem: a `--profile` (or `AWS_PROFILE`) that neither file defines, a bad `AWS_MAX_ATTEMPTS`
 * or `AWS_RETRY_MODE`.
 */
export const readAwsConfig = async (
  access: AwsAccess,
  env: Env,
): Promise<{ readonly config: AwsConfig; readonly problems: ReadonlyArray<string> }> => {
  const problems: string[] = [];
  const configFilepath = given(env.AWS_CONFIG_FILE);
  const filepath = given(env.AWS_SHARED_CREDENTIALS_FILE);
  const files = await loadSharedConfigFiles({
    ignoreCache: true,
    ...(configFilepath === undefined ? {} : { configFilepath }),
    ...(filepath === undefined ? {} : { filepath }),
  });
  const envProfile = given(env.AWS_PROFILE);
  const name = access.profile ?? envProfile ?? "default";
  const profile = files.configFile[name];
  if ((access.profile ?? envProfile) !== undefined && profile === undefined) {
    if (files.credentialsFile[name] === undefined) {
      const source = access.profile === undefined ? "AWS_PROFILE" : "--profile";
      problems.push(
        `${source} ${JSON.stringify(name)}: no such profile in the AWS config or credentials file (${configFilepath ?? "~/.aws/config"}, ${filepath ?? "~/.aws/credentials"})`,
      );
    }
  }
  const maxAttemptsText = given(env.AWS_MAX_ATTEMPTS) ?? given(profile?.max_attempts);
  const maxAttempts = maxAttemptsText === undefined ? undefined : Number(maxAttemptsText);
  if (
    maxAttemptsText !== undefined &&
    !(Number.isInteger(maxAttempts) && (maxAttempts ?? 0) >= 1 && (maxAttempts ?? 0) <= 100)
  ) {
    const source = given(env.AWS_MAX_ATTEMPTS) === undefined ? "max_attempts" : "AWS_MAX_ATTEMPTS";
    problems.push(
      `${source} ${JSON.stringify(maxAttemptsText)}: expected a whole number of attempts from 1 to 100`,
    );
  }
  const retryModeText = given(env.AWS_RETRY_MODE) ?? given(profile?.retry_mode);
  const retryMode = retryModes.find((m) => m === retryModeText);
  if (retryModeText !== undefined && retryMode === undefined) {
    const source = given(env.AWS_RETRY_MODE) === undefined ? "retry_mode" : "AWS_RETRY_MODE";
    problems.push(`${source} ${JSON.stringify(retryModeText)}: expected standard or adaptive`);
  }
  const config: AwsConfig = {
    ...(maxAttempts === undefined || problems.length > 0 ? {} : { maxAttempts }),
    ...(retryMode === undefined ? {} : { retryMode }),
    profileS3Endpoint: profile === undefined ? false : profileSetsS3Endpoint(profile, files, env),
  };
  return { config, problems };
};

/**
 * Whether a profile gives S3 an endpoint, as the SDK reads it: its `services` section's
 * `s3 = endpoint_url = …`, else its own `endpoint_url`; none when configured endpoints are
 * ignored (`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the profile's
 * `ignore_configured_endpoint_urls`).
 */
const profileSetsS3Endpoint = (
  profile: Readonly<Record<string, string | undefined>>,
  files: Awaited<ReturnType<typeof loadSharedConfigFiles>>,
  env: Env,
): boolean => {
  const ignored =
    given(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) ?? profile.ignore_configured_endpoint_urls;
  if (ignored?.trim().toLowerCase() === "true") return false;
  const servicesName = given(profile.services);
  const services =
    servicesName === undefined
      ? undefined
      : files.configFile[["services", servicesName].join(CONFIG_PREFIX_SEPARATOR)];
  const s3Endpoint = services?.[["s3", "endpoint_url"].join(CONFIG_PREFIX_SEPARATOR)];
  return given(s3Endpoint) !== undefined || given(profile.endpoint_url) !== undefined;
};

/** Every problem with the AWS options (an endpoint that is not an http(s) URL, a bad region). */
export const awsAccessProblems = (access: AwsAccess): string[] => {
  const problems: string[] = [];
  if (access.endpointUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(access.endpointUrl);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      problems.push(
        `--endpoint-url ${JSON.stringify(access.endpointUrl)}: expected an http:// or https:// URL`,
      );
    }
  }
  if (access.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(access.region)) {
    problems.push(
      `--region ${JSON.stringify(access.region)}: expected an AWS region such as eu-west-1`,
    );
  }
  if (access.profile !== undefined && !/^[\w.@+-]+$/.test(access.profile)) {
    problems.push(`--profile ${JSON.stringify(access.profile)}: expected a profile name`);
  }
  return problems;
};

const given = (s: string | undefined): string | undefined =>
  s === undefined || s.trim() === "" ? undefined : s;

/**
 * Where the CLI's AWS clients go and as whom, as {@link buildClients} explains: the explicit
 * credentials of `env` (unless a profile is chosen, which it selects for the SDK's chain), the
 * region, and an explicit `--endpoint-url` only (the SDK reads the endpoint variables itself).
 */
export const clientPlace = (
  access: AwsAccess,
  settings: Settings,
  env: Env,
): {
  readonly credentials:
    | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
    | undefined;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
} => {
  if (access.profile !== undefined) {
    // The adapter's client options take no profile; the SDK's default chain reads AWS_PROFILE
    // when it resolves credentials and region, so the CLI process selects the profile here.
    process.env.AWS_PROFILE = access.profile;
  }
  const accessKeyId = given(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = given(env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = given(env.AWS_SESSION_TOKEN);
  const credentials =
    access.profile === undefined && accessKeyId !== undefined && secretAccessKey !== undefined
      ? { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) }
      : undefined;
  const region =
    access.region ??
    given(env.AWS_REGION) ??
    given(env.AWS_DEFAULT_REGION) ??
    (access.profile === undefined ? settings.sesRegion : undefined);
  return { credentials, region, endpoint: access.endpointUrl };
};

/**
 * Builds the IAM, S3 and SES clients. Credentials come from the default chain: the
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` of `env` when set (and no `--profile`), otherwise
 * the profile, SSO, container or instance credentials. `--endpoint-url` points all three clients
 * at one endpoint with path-style S3 (a local sandbox); without it the SDK finds the endpoints
 * itself, as in any SDK client (`AWS_ENDPOINT_URL_IAM`, `_S3` and `_SES` before
 * `AWS_ENDPOINT_URL`, then the profile's), and S3 is path-style whenever one is configured. IAM
 * and S3 use `--region`, else `AWS_REGION`/`AWS_DEFAULT_REGION`, else the profile's region, else
 * `SES_REGION`; SES always uses `SES_REGION`. Retries follow `config` (`AWS_MAX_ATTEMPTS`,
 * `AWS_RETRY_MODE`, the profile's), else the adapter's defaults.
 */
export const buildClients = (
  access: AwsAccess,
  settings: Settings,
  env: Env,
  middleware: ReadonlyArray<AttemptMiddleware> = [],
  config: AwsConfig = { profileS3Endpoint: false },
): AwsClients => {
  const { credentials, region, endpoint } = clientPlace(access, settings, env);
  return createAwsClients({
    settings,
    env,
    middleware,
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    ...(config.maxAttempts === undefined ? {} : { maxAttempts: config.maxAttempts }),
    ...(config.retryMode === undefined ? {} : { retryMode: config.retryMode }),
    ...(config.profileS3Endpoint ? { s3PathStyle: true } : {}),
  });
};
