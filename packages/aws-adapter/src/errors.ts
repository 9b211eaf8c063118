/**
 * The closed set of failures the adapter reports. Every SDK exception (and every network
 * failure) is folded into one of these by its class name or error code, keeping the original
 * as `cause`; the message is safe to log: it never holds a secret.
 */
export type AwsErrorTag =
  /** AWS throttled the call and the SDK's retries did not get through. */
  | "Throttled"
  /** The user, key, bucket or object does not exist (any more). */
  | "NotFound"
  /** An AWS quota: two keys per user, 50 tags, report generation rate, SES sending quota. */
  | "LimitExceeded"
  /** The caller may not do this: IAM, bucket or KMS policy, unverified SES identity, bad credentials. */
  | "AccessDenied"
  /** AWS rejected the request itself: a malformed value, a header-unsafe address. */
  | "InvalidInput"
  /** AWS failed or could not be reached (5xx, timeouts, resets): the outcome may be unknown. */
  | "ServiceFailure"
  /** The credential report could not be obtained in time (still generating, absent, expired). */
  | "ReportUnavailable"
  /** The credential report was obtained but is malformed or truncated. */
  | "MalformedReport"
  /** Another keyrotate run holds the run lease and did not finish within the wait. */
  | "LeaseHeld"
  /** Anything else. */
  | "Unexpected";

/** The JSON form of an {@link AwsError}, as runs reports and logs carry it. */
export interface AwsErrorJson {
  readonly tag: AwsErrorTag;
  /** `service:Operation`, e.g. `iam:CreateAccessKey`. */
  readonly operation: string;
  /** The AWS error code or exception name, when AWS gave one. */
  readonly code: string | undefined;
  readonly message: string;
}

/**
 * A failed AWS call (or report), tagged with one of the {@link AwsErrorTag}s.
 *
 * Callers switch on `tag` rather than on SDK classes, so that the SDK stays inside the adapter.
 */
export class AwsError extends Error {
  override readonly name = "AwsError";

  /** The AWS error code or exception name, when AWS gave one. */
  readonly code: string | undefined;

  constructor(
    readonly tag: AwsErrorTag,
    readonly operation: string,
    message: string,
    code: string | undefined = undefined,
    options: { readonly cause?: unknown } = {},
  ) {
    super(redactSecrets(message), options.cause === undefined ? {} : { cause: options.cause });
    this.code = code === undefined ? undefined : redactSecrets(code);
  }

  /** The report form: tag, operation, code and message; never the cause. */
  toJSON(): AwsErrorJson {
    return { tag: this.tag, operation: this.operation, code: this.code, message: this.message };
  }
}

const byCode: ReadonlyArray<readonly [AwsErrorTag, ReadonlyArray<string>]> = [
  [
    "Throttled",
    [
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "TooManyRequestsException",
      "RequestLimitExceeded",
      "RequestThrottled",
      "RequestThrottledException",
      "SlowDown",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
    ],
  ],
  [
    "NotFound",
    [
      "NoSuchEntity",
      "NoSuchEntityException",
      "NoSuchKey",
      "NoSuchBucket",
      "NotFound",
      "NotFoundException",
      "ResourceNotFoundException",
    ],
  ],
  [
    "LimitExceeded",
    [
      "LimitExceeded",
      "LimitExceededException",
      "ReportGenerationLimitExceeded",
      "ReportGenerationLimitExceededException",
      "TooManyBuckets",
    ],
  ],
  [
    "AccessDenied",
    [
      "AccessDenied",
      "AccessDeniedException",
      "UnauthorizedOperation",
      "UnauthorizedAccess",
      "InvalidClientTokenId",
      "SignatureDoesNotMatch",
      "IncompleteSignature",
      "MissingAuthenticationToken",
      "ExpiredToken",
      "ExpiredTokenException",
      "InvalidAccessKeyId",
      "AccountSendingPausedException",
      "MailFromDomainNotVerifiedException",
      "MessageRejected",
      "KMS.DisabledException",
      "KMS.AccessDeniedException",
      "KMS.KMSInvalidStateException",
      "KMS.NotFoundException",
      // Secrets Manager's words for a KMS key it may not use (disabled, pending deletion, denied).
      "EncryptionFailure",
      "DecryptionFailure",
      "CredentialsProviderError",
    ],
  ],
  [
    "InvalidInput",
    [
      "InvalidInput",
      "InvalidInputException",
      "ValidationError",
      "ValidationException",
      "InvalidParameterValue",
      "InvalidParameterCombination",
      "MissingParameter",
      "MalformedInput",
      "MalformedXML",
      "InvalidArgument",
      "InvalidRequest",
      "InvalidBucketName",
      "EntityAlreadyExists",
      "EntityAlreadyExistsException",
      "UnmodifiableEntity",
      "UnmodifiableEntityException",
      "ConfigurationSetDoesNotExist",
      "ConfigurationSetDoesNotExistException",
      "InvalidParameterException",
      "InvalidRequestException",
      "MalformedPolicyDocumentException",
      "ResourceExistsException",
    ],
  ],
  [
    "ServiceFailure",
    [
      "ServiceFailure",
      "ServiceFailureException",
      "InternalError",
      "InternalFailure",
      "InternalServerError",
      "ServiceUnavailable",
      "ServiceUnavailableException",
      "ConcurrentModification",
      "ConcurrentModificationException",
      "TimeoutError",
      "RequestTimeout",
      "RequestTimeoutException",
      "ECONNRESET",
      "ECONNREFUSED",
      "ECONNABORTED",
      "EPIPE",
      "ETIMEDOUT",
      "EHOSTUNREACH",
      "ENOTFOUND",
      "EAI_AGAIN",
    ],
  ],
  [
    "ReportUnavailable",
    [
      "ReportInProgress",
      "CredentialReportNotReadyException",
      "ReportNotPresent",
      "CredentialReportNotPresentException",
      "ReportExpired",
      "CredentialReportExpiredException",
    ],
  ],
];

const tagOfCode = new Map<string, AwsErrorTag>(
  byCode.flatMap(([tag, codes]) => codes.map((c) => [c, tag] as const)),
);

/** The AWS error code of an SDK exception: its `Code`/`code`, or else its class name. */
export const errorCode = (e: unknown): string | undefined => {
  if (typeof e !== "object" || e === null) return undefined;
  const o = e as { Code?: unknown; code?: unknown; name?: unknown };
  for (const c of [o.Code, o.code, o.name]) {
    if (typeof c === "string" && c !== "" && c !== "Error" && c !== "AwsError") return c;
  }
  return undefined;
};

const statusOf = (e: unknown): number | undefined => {
  const meta = (e as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === "number" ? meta.httpStatusCode : undefined;
};

const tagOfStatus = (status: number | undefined, e: unknown): AwsErrorTag => {
  if (status === 429) return "Throttled";
  if (status === 401 || status === 403) return "AccessDenied";
  if (status === 404 || status === 410) return "NotFound";
  if (status !== undefined && status >= 500) return "ServiceFailure";
  if (status !== undefined && status >= 400) return "InvalidInput";
  if ((e as { $fault?: unknown } | null)?.$fault === "server") return "ServiceFailure";
  return "Unexpected";
};

/**
 * Folds anything a call threw into an {@link AwsError} for `operation` (`service:Operation`).
 *
 * It looks at the exception's class name, then its code (e.g. `ReportInProgress`), then the HTTP
 * status; an `AwsError` passes through unchanged.
 *
 * @example mapAwsError("iam:TagUser", new NoSuchEntityException({...})).tag // "NotFound"
 */
export const mapAwsError = (operation: string, e: unknown): AwsError => {
  if (e instanceof AwsError) return e;
  const names = [
    (e as { name?: unknown } | null)?.name,
    (e as { Code?: unknown } | null)?.Code,
    (e as { code?: unknown } | null)?.code,
  ].filter((n): n is string => typeof n === "string");
  const tag =
    names.map((n) => tagOfCode.get(n)).find((t) => t !== undefined) ??
    (names.some((n) => n.startsWith("KMS.")) ? "AccessDenied" : undefined) ??
    tagOfStatus(statusOf(e), e);
  const code = errorCode(e);
  const raw = e instanceof Error ? e.message : typeof e === "string" ? e : "unknown error";
  const message = `${operation} failed: ${code === undefined ? "" : `${code}: `}${raw || "no message"}`;
  return new AwsError(tag, operation, message, code, { cause: e });
};

// An AWS secret access key is 40 characters of the base64 alphabet. Nothing else the adapter
// logs has such a run (key ids are 20, request ids carry hyphens), so any is hidden.
const secretLike = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/g;

/**
 * Hides anything shaped like a secret access key, and each of `known`, in a text bound for a log,
 * report or error. A second line of defence: no code path puts a secret in a message.
 */
export const redactSecrets = (text: string, known: ReadonlyArray<string> = []): string => {
  let out = text;
  for (const secret of known) if (secret !== "") out = out.split(secret).join("[redacted]");
  return out.replace(secretLike, "[redacted]");
};
