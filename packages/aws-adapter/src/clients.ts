import { IAMClient, type IAMClientConfig } from "@aws-sdk/client-iam";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecurityHubClient } from "@aws-sdk/client-securityhub";
import { SESClient } from "@aws-sdk/client-ses";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { STSClient } from "@aws-sdk/client-sts";
import { AdaptiveRetryStrategy, StandardRetryStrategy } from "@smithy/core/retry";
import { mapAwsError } from "./errors.js";
import { DEFAULT_IAM_PACING, type LearnedPacing, PacedBackoff, TokenBucket } from "./pacing.js";

/** The services keyrotate calls, as they prefix operation names in call counts. */
export type ServiceName =
  | "iam"
  | "s3"
  | "ses"
  | "secretsmanager"
  | "securityhub"
  | "sns"
  | "ssm"
  | "sts";

/**
 * Counts SDK calls by `service:Operation` (e.g. `iam:ListAccessKeys`), every attempt included,
 * so that a run report can show what a run cost and tests can hold the adapter to its budget.
 */
export class ApiCallCounter {
  private readonly counts = new Map<string, number>();

  /** Counts one attempt of `operation`. */
  record(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  /** A copy of the counts, keys sorted. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of [...this.counts.keys()].sort()) out[key] = this.counts.get(key) ?? 0;
    return out;
  }

  /** The total count, or that of one service. */
  total(service?: ServiceName): number {
    let n = 0;
    for (const [key, count] of this.counts) {
      if (service === undefined || key.startsWith(`${service}:`)) n += count;
    }
    return n;
  }

  /** The counts accumulated since `before` (a snapshot taken earlier). */
  since(before: Readonly<Record<string, number>>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, count] of Object.entries(this.snapshot())) {
      const diff = count - (before[key] ?? 0);
      if (diff > 0) out[key] = diff;
    }
    return out;
  }
}

/**
 * The clients keyrotate uses, built once, and the counter of their calls. IAM, S3, SES and
 * Secrets Manager are built at once; the clients of the optional channels (Security Hub, SNS,
 * SSM, and STS for the account id of findings) on first call, their SDK packages loaded only
 * then, so that a run without them (and a Lambda's cold start) does not pay for them.
 */
export interface AwsClients {
  readonly iam: IAMClient;
  readonly s3: S3Client;
  readonly ses: SESClient;
  /** Used only with `SECRET_STORE=secretsmanager`; in IAM's region, as S3 is. */
  readonly secretsManager: SecretsManagerClient;
  /** Security Hub of the run's region (`SECURITY_HUB=on`). */
  readonly securityHub: () => Promise<SecurityHubClient>;
  /** SNS in the region of `SNS_TOPIC_ARN`'s topic when given, else the run's region. */
  readonly sns: () => Promise<SNSClient>;
  /** SSM, for `WEBHOOK_URL_PARAMETER`. */
  readonly ssm: () => Promise<SSMClient>;
  /** STS, for the account id of findings (`GetCallerIdentity`). */
  readonly sts: () => Promise<STSClient>;
  readonly calls: ApiCallCounter;
}

/** Options of {@link createAwsClients}. Everything is optional: the SDK's defaults apply. */
export interface CreateAwsClientsOptions {
  /**
   * Region of the SES sender (`settings.sesRegion`) and of the SNS topic (`settings.snsTopicArn`);
   * passing the whole `Settings` works.
   */
  readonly settings?: { readonly sesRegion: string; readonly snsTopicArn?: string | undefined };
  /** Region of IAM and S3; the SDK's default chain (`AWS_REGION`, profile) when absent. */
  readonly region?: string;
  /** One endpoint for all three services (the CLI's `--endpoint-url`); beats the env vars. */
  readonly endpoint?: string;
  /** Credentials; the SDK's default provider chain when absent. */
  readonly credentials?: NonNullable<IAMClientConfig["credentials"]>;
  /** The SDK's retry mode (default `adaptive`: client-side rate limiting on throttling). */
  readonly retryMode?: "standard" | "adaptive";
  /** Attempts per call, first included (default 5). */
  readonly maxAttempts?: number;
  /**
   * S3 path-style addressing even when neither `endpoint` nor `AWS_ENDPOINT_URL*` says so: for
   * an endpoint the SDK finds elsewhere, such as a profile's `endpoint_url`.
   */
  readonly s3PathStyle?: boolean;
  /** Where `AWS_ENDPOINT_URL*` are read to decide on S3 path-style (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Extra middleware, e.g. a fault injector in tests; runs on every attempt like the counter. */
  readonly middleware?: ReadonlyArray<AttemptMiddleware>;
  /**
   * Client-side pacing of IAM calls (every attempt, retries included): a token bucket that parallel
   * users wait on instead of bursting into IAM's throttle and waiting out the SDK's retry delays.
   * Default {@link DEFAULT_IAM_PACING}: 20 attempts/s, burst 15, learned (slower on a throttle,
   * slowly faster while nothing is throttled), and IAM then uses the SDK's standard retries (the
   * bucket does what adaptive mode would, without its stalls), a first throttled retry waiting
   * only for the bucket ({@link PacedBackoff}). A `Pacing` without `learn: true`
   * holds a fixed rate; `false` turns pacing off (IAM then retries in `retryMode`).
   */
  readonly iamPacing?: LearnedPacing | false;
}

/**
 * Sees every attempt of every call before it goes out: `operation` is `service:Operation`.
 * Throwing fails that attempt before it is sent. A returned function runs once AWS has answered;
 * throwing there fails an attempt that took effect (a response lost on the way back).
 */
export type AttemptMiddleware = (operation: string) => undefined | (() => void);

const operationOf = (service: ServiceName, commandName: unknown): string =>
  `${service}:${typeof commandName === "string" ? commandName.replace(/Command$/, "") : "Unknown"}`;

/** A deserialize-step middleware that counts each attempt, then runs the extra middleware. */
const counting =
  (service: ServiceName, calls: ApiCallCounter, extra: ReadonlyArray<AttemptMiddleware>) =>
  <A, R>(next: (args: A) => Promise<R>, context: { readonly commandName?: string }) =>
  async (args: A): Promise<R> => {
    const operation = operationOf(service, context.commandName);
    calls.record(operation);
    const afterwards = extra.map((m) => m(operation));
    const result = await next(args);
    for (const after of afterwards) after?.();
    return result;
  };

// The deserialize step runs inside the retry loop, so every attempt is seen.
const countingOptions = {
  step: "deserialize",
  name: "keyrotateCallCounter",
  priority: "low",
} as const;

/**
 * A middleware that waits for a token of `bucket` before each attempt goes out, and tells the
 * bucket whether IAM answered or throttled it.
 */
const pacing =
  (bucket: TokenBucket) =>
  <A, R>(next: (args: A) => Promise<R>) =>
  async (args: A): Promise<R> => {
    await bucket.take();
    try {
      const out = await next(args);
      bucket.succeeded();
      return out;
    } catch (e) {
      if (!isQuotaError(e) && mapAwsError("iam:Unknown", e).tag === "Throttled") bucket.throttled();
      throw e;
    }
  };

// Inside the retry loop (every attempt waits its turn), before the deserializer and the counter.
const pacingOptions = { step: "deserialize", name: "keyrotatePacing", priority: "high" } as const;

type RetryToken = Awaited<ReturnType<AdaptiveRetryStrategy["acquireInitialRetryToken"]>>;
type RetryErrorInfo = Parameters<StandardRetryStrategy["refreshRetryTokenForRetry"]>[1];

/** What the SDK's standard and adaptive strategies have in common. */
interface RetryStrategy {
  readonly mode: string;
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

/**
 * Whether an error is an AWS quota (`LimitExceeded`: a third access key, a 51st tag) rather than a
 * rate limit. The SDK files IAM's `LimitExceededException` under throttling, so it would retry
 * it, and in adaptive mode slow every later call of the client, for a condition no wait can fix.
 */
export const isQuotaError = (error: unknown): boolean => {
  const names = ["name", "Code", "code"].map((k) => (error as Record<string, unknown> | null)?.[k]);
  return names.some((n) => n === "LimitExceeded" || n === "LimitExceededException");
};

/**
 * The SDK's standard or adaptive retry strategy, except that a quota error (see
 * {@link isQuotaError}) is never retried and never counts as throttling: the call fails at its
 * first attempt, for that user only, and the client's send rate stays where it was.
 */
export class QuotaAwareRetryStrategy implements RetryStrategy {
  readonly mode: string;

  constructor(private readonly inner: RetryStrategy) {
    this.mode = inner.mode;
  }

  acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    return this.inner.acquireInitialRetryToken(scope);
  }

  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    if (isQuotaError(errorInfo.error)) {
      return Promise.reject(new Error("a quota error is not retried"));
    }
    return this.inner.refreshRetryTokenForRetry(token, errorInfo);
  }

  recordSuccess(token: RetryToken): void {
    this.inner.recordSuccess(token);
  }
}

const retryStrategy = (mode: "standard" | "adaptive", maxAttempts: number): RetryStrategy =>
  new QuotaAwareRetryStrategy(
    mode === "adaptive"
      ? new AdaptiveRetryStrategy(async () => maxAttempts)
      : new StandardRetryStrategy(maxAttempts),
  );

/**
 * IAM's retries under a learning bucket: standard, with {@link PacedBackoff}'s delays (a first
 * throttled retry waits only for the bucket, which has slowed down and emptied itself).
 */
const pacedRetryStrategy = (maxAttempts: number): RetryStrategy =>
  new QuotaAwareRetryStrategy(
    new StandardRetryStrategy({
      maxAttempts,
      baseDelay: PacedBackoff.BASE_DELAY_MS,
      backoff: new PacedBackoff(),
    }),
  );

/**
 * Builds the IAM, S3, SES and Secrets Manager clients once, for the whole process (a Lambda builds them outside
 * its handler), with the SDK's adaptive retries (standard for IAM under its learning pacing, see
 * `iamPacing`) and a call counter on each. A quota error
 * (`LimitExceeded`) is never retried: see {@link QuotaAwareRetryStrategy}.
 *
 * The default credential chain and the `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_IAM`, `_S3`, `_SES`,
 * `_SECRETS_MANAGER`, `_SECURITYHUB`, `_SNS`, `_SSM` and `_STS` variables work as in any SDK
 * client: nothing is passed that would override them. S3 uses
 * path-style addressing whenever a custom endpoint is configured, so that local stand-ins work.
 *
 * @example const clients = createAwsClients({ settings }); // SES in settings.sesRegion
 */
export const createAwsClients = (options: CreateAwsClientsOptions = {}): AwsClients => {
  const env = options.env ?? process.env;
  const retryMode = options.retryMode ?? "adaptive";
  const maxAttempts = options.maxAttempts ?? 5;
  // One strategy per client, as the SDK builds them: each keeps its own retry quota and send rate.
  const common = {
    retryMode,
    maxAttempts,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  const customS3Endpoint =
    options.s3PathStyle === true ||
    options.endpoint !== undefined ||
    nonEmpty(env.AWS_ENDPOINT_URL) ||
    nonEmpty(env.AWS_ENDPOINT_URL_S3);
  const sesRegion = options.settings?.sesRegion;
  const calls = new ApiCallCounter();
  const iamPacing = options.iamPacing ?? DEFAULT_IAM_PACING;
  // A learning bucket slows IAM down itself; the SDK's adaptive limiter on top would stall twice.
  const learning = iamPacing !== false && iamPacing.learn === true;
  const iam = new IAMClient({
    ...common,
    retryMode: learning ? "standard" : retryMode,
    retryStrategy: learning
      ? pacedRetryStrategy(maxAttempts)
      : retryStrategy(retryMode, maxAttempts),
  });
  const s3 = new S3Client({
    ...common,
    retryStrategy: retryStrategy(retryMode, maxAttempts),
    ...(customS3Endpoint ? { forcePathStyle: true } : {}),
  });
  const ses = new SESClient({
    ...common,
    retryStrategy: retryStrategy(retryMode, maxAttempts),
    ...(sesRegion === undefined ? {} : { region: sesRegion }),
  });
  const secretsManager = new SecretsManagerClient({
    ...common,
    retryStrategy: retryStrategy(retryMode, maxAttempts),
  });
  const extra = options.middleware ?? [];
  iam.middlewareStack.add(counting("iam", calls, extra), countingOptions);
  if (iamPacing !== false) {
    iam.middlewareStack.add(pacing(new TokenBucket(iamPacing)), pacingOptions);
  }
  s3.middlewareStack.add(counting("s3", calls, extra), countingOptions);
  ses.middlewareStack.add(counting("ses", calls, extra), countingOptions);
  secretsManager.middlewareStack.add(counting("secretsmanager", calls, extra), countingOptions);
  // The region of the topic: an ARN's fourth field.
  const snsRegion = options.settings?.snsTopicArn?.split(":")[3];
  const config = () => ({ ...common, retryStrategy: retryStrategy(retryMode, maxAttempts) });
  // Each made on first call, its SDK package loaded then, counted like the others.
  const onFirstCall = <C extends { readonly middlewareStack: unknown }>(
    service: ServiceName,
    make: (sdk: typeof import("./channelClients.js")) => C,
  ): (() => Promise<C>) =>
    once(async () => {
      const client = make(await import("./channelClients.js"));
      (client.middlewareStack as IAMClient["middlewareStack"]).add(
        counting(service, calls, extra),
        countingOptions,
      );
      return client;
    });
  const securityHub = onFirstCall("securityhub", (sdk) => new sdk.SecurityHubClient(config()));
  const sns = onFirstCall(
    "sns",
    (sdk) =>
      new sdk.SNSClient({ ...config(), ...(snsRegion === undefined ? {} : { region: snsRegion }) }),
  );
  const ssm = onFirstCall("ssm", (sdk) => new sdk.SSMClient(config()));
  const sts = onFirstCall("sts", (sdk) => new sdk.STSClient(config()));
  return { iam, s3, ses, secretsManager, securityHub, sns, ssm, sts, calls };
};

/** `make`'s result, made on the first call only. */
const once = <A>(make: () => A): (() => A) => {
  let made: { readonly value: A } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

const nonEmpty = (s: string | undefined): boolean => s !== undefined && s.trim() !== "";
