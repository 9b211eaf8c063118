/**
 * An error the sandbox reports to the client in the service's own error format.
 * Handlers throw it for every expected failure so the server answers like AWS instead of crashing.
 */
export class ServiceError extends Error {
  /** The AWS error code, e.g. `NoSuchEntity`. */
  readonly code: string;
  /** The HTTP status AWS uses for this error. */
  readonly status: number;
  /** Extra elements some S3 errors carry (e.g. `Key`, `BucketName`). */
  readonly extra: Readonly<Record<string, string>>;

  /** Creates an error with AWS's code, message and HTTP status. */
  constructor(code: string, message: string, status = 400, extra: Record<string, string> = {}) {
    super(message);
    this.name = "ServiceError";
    this.code = code;
    this.status = status;
    this.extra = extra;
  }

  /** `Sender` for client errors, `Receiver` for server errors, as in Query error responses. */
  get type(): "Sender" | "Receiver" {
    return this.status >= 500 ? "Receiver" : "Sender";
  }
}

/** The Query-protocol error for a required parameter that was not sent. */
export function missingParameter(name: string): ServiceError {
  return new ServiceError(
    "MissingParameter",
    `The request must contain the parameter ${name}.`,
    400,
  );
}

/** AWS's "1 validation error detected" message, used for constraint violations on one input. */
export function validationError(
  value: string | null,
  member: string,
  constraint: string,
): ServiceError {
  const shown = value === null ? "null" : `'${value}'`;
  return new ServiceError(
    "ValidationError",
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
    400,
  );
}
