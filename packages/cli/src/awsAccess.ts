import { type AttemptMiddleware, type AwsClients, createAwsClients } from "@keyrotate/aws-adapter";
import type { Settings } from "@keyrotate/core";

/** Options that say how to reach AWS. */
export const awsOptionSpecs = {
  profile: { type: "string" },
  region: { type: "string" },
  "endpoint-url": { type: "string" },
} as const;

/** How to reach AWS, from `--profile`, `--region` and `--endpoint-url`. */
export interface AwsAccess {
  readonly profile?: string;
  readonly region?: string;
  readonly endpointUrl?: string;
}

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
 * Builds the IAM, S3 and SES clients. Credentials come from the default chain: the
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` of `env` when set (and no `--profile`), otherwise
 * the profile, SSO, container or instance credentials. `--endpoint-url` points all three clients
 * at one endpoint with path-style S3 (a local sandbox). IAM and S3 use `--region`, else
 * `AWS_REGION`/`AWS_DEFAULT_REGION`, else the profile's region, else `SES_REGION`; SES always
 * uses `SES_REGION`.
 */
export const buildClients = (
  access: AwsAccess,
  settings: Settings,
  env: Readonly<Record<string, string | undefined>>,
  middleware: ReadonlyArray<AttemptMiddleware> = [],
): AwsClients => {
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
  const endpoint = access.endpointUrl ?? given(env.AWS_ENDPOINT_URL);
  return createAwsClients({
    settings,
    env,
    middleware,
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
};
