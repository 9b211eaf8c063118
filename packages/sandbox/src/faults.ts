import type { Random } from "./random.js";

/** The services the sandbox emulates, by SigV4 signing name. */
export type EmulatedService =
  | "iam"
  | "s3"
  | "ses"
  | "secretsmanager"
  | "securityhub"
  | "sns"
  | "ssm";

/** The services the sandbox emulates, as a list. */
export const SERVICES: readonly EmulatedService[] = [
  "iam",
  "s3",
  "ses",
  "secretsmanager",
  "securityhub",
  "sns",
  "ssm",
];

/** How each service refuses a throttled call: its code and HTTP status. */
const THROTTLE_ERRORS: Readonly<
  Record<EmulatedService, { status: number; code: string; message: string }>
> = {
  iam: { status: 400, code: "Throttling", message: "Rate exceeded" },
  ses: { status: 400, code: "Throttling", message: "Rate exceeded" },
  sns: { status: 400, code: "Throttling", message: "Rate exceeded" },
  s3: { status: 503, code: "SlowDown", message: "Please reduce your request rate." },
  secretsmanager: { status: 400, code: "ThrottlingException", message: "Rate exceeded" },
  securityhub: { status: 429, code: "LimitExceededException", message: "Rate exceeded" },
  ssm: { status: 400, code: "ThrottlingException", message: "Rate exceeded" },
};

/** A token-bucket limit for one service. */
export interface ThrottleSettings {
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Bucket size: how many requests may arrive at once (default: the rate, at least 1). */
  burst?: number;
}

/** An injected failure for the next `count` calls of one operation. */
export interface OperationFailure {
  count: number;
  /** Calls of the operation that pass before the `count` failures start (default 0). */
  skip?: number;
  /** HTTP status (default 500). */
  status?: number;
  /** AWS error code (default from the status and service, e.g. `InternalFailure`). */
  code?: string;
  message?: string;
}

/**
 * How the sandbox misbehaves: latency, throttling, random errors and resets, a crash switch
 * and per-operation failures. Lets keyrotate's retry and recovery paths be exercised locally.
 */
export interface FaultSettings {
  /** Added to every call, in ms. */
  latencyMs?: number;
  /** Up to this many extra ms, drawn per call. */
  latencyJitterMs?: number;
  /** Token-bucket throttle per service. */
  throttle?: Partial<Record<EmulatedService, ThrottleSettings>>;
  /** Probability (0–1) that a call is throttled (IAM/SES 400 `Throttling`, S3 503 `SlowDown`). */
  throttleRate?: number;
  /** Probability (0–1) that a call fails with a random 5xx. */
  errorRate?: number;
  /** Probability (0–1) that a call's connection is reset. */
  resetRate?: number;
  /** Every call after this many (counted from when set) fails; null disables. */
  crashAfterCalls?: number | null;
  /** How crashed calls fail: HTTP 500 InternalFailure (`error`, default) or a connection reset. */
  crashMode?: "error" | "reset";
  /** Failures for the next N calls of an operation, keyed `service:Operation`. */
  failOperations?: Record<string, OperationFailure>;
  /**
   * IAM's eventual consistency: ms during which a write to a user's tags or keys (or a new user)
   * is not yet seen by ListAccessKeys, ListUserTags, GetUser, ListUsers,
   * GetAccountAuthorizationDetails and the credential report. Counted on the sandbox clock or in
   * real time, whichever passes first. 0 or absent: reads see every write at once.
   */
  consistencyDelayMs?: number;
}

/** How many faults of each kind were injected since the account was made or reset. */
export interface FaultCounts {
  throttled: number;
  errors: number;
  resets: number;
  crashed: number;
  failedOperations: number;
}

/** What to do with one call, decided before it reaches the service. */
export type FaultDecision =
  | { kind: "pass" }
  | { kind: "reset"; cause?: "crash" }
  | {
      kind: "error";
      status: number;
      code: string;
      message: string;
      cause?: "crash" | "operation" | "throttle";
    };

const emptyCounts = (): FaultCounts => ({
  throttled: 0,
  errors: 0,
  resets: 0,
  crashed: 0,
  failedOperations: 0,
});

const throttled = (service: EmulatedService): FaultDecision => ({
  kind: "error",
  ...THROTTLE_ERRORS[service],
  cause: "throttle",
});

/** Thrown when fault settings are invalid; lists every problem. */
export class FaultSettingsError extends Error {
  /** Builds the error from its problems (`path: what is wrong`). */
  constructor(readonly problems: string[]) {
    super(`invalid fault settings:\n  ${problems.join("\n  ")}`);
    this.name = "FaultSettingsError";
  }
}

const PASS: FaultDecision = { kind: "pass" };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nonNegative(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

/**
 * Checks untrusted fault settings (e.g. from `POST /_sandbox/faults`) and returns them typed.
 * Every problem is reported with its path so a bad settings file is fixed in one go.
 */
export function parseFaultSettings(input: unknown): FaultSettings {
  const problems: string[] = [];
  if (!isRecord(input)) throw new FaultSettingsError(["faults: must be an object"]);
  const known = [
    "latencyMs",
    "latencyJitterMs",
    "throttle",
    "errorRate",
    "resetRate",
    "crashAfterCalls",
    "crashMode",
    "failOperations",
    "throttleRate",
    "consistencyDelayMs",
  ];
  for (const k of Object.keys(input))
    if (!known.includes(k)) problems.push(`faults.${k}: unknown setting`);
  for (const k of ["latencyMs", "latencyJitterMs", "consistencyDelayMs"]) {
    if (input[k] !== undefined && !nonNegative(input[k]))
      problems.push(`faults.${k}: must be a number >= 0`);
  }
  for (const k of ["errorRate", "resetRate", "throttleRate"]) {
    const v = input[k];
    if (v !== undefined && !(nonNegative(v) && v <= 1))
      problems.push(`faults.${k}: must be a number between 0 and 1`);
  }
  const crash = input.crashAfterCalls;
  if (crash !== undefined && crash !== null && !(nonNegative(crash) && Number.isInteger(crash))) {
    problems.push("faults.crashAfterCalls: must be an integer >= 0 or null");
  }
  if (input.crashMode !== undefined && input.crashMode !== "error" && input.crashMode !== "reset") {
    problems.push('faults.crashMode: must be "error" or "reset"');
  }
  if (input.throttle !== undefined) {
    if (!isRecord(input.throttle)) problems.push("faults.throttle: must be an object");
    else {
      for (const [service, t] of Object.entries(input.throttle)) {
        const path = `faults.throttle.${service}`;
        if (!SERVICES.includes(service as EmulatedService))
          problems.push(`${path}: unknown service (use ${SERVICES.join(", ")})`);
        if (!isRecord(t)) {
          problems.push(`${path}: must be an object`);
          continue;
        }
        if (!(nonNegative(t.ratePerSecond) && t.ratePerSecond > 0))
          problems.push(`${path}.ratePerSecond: must be a number > 0`);
        if (t.burst !== undefined && !(nonNegative(t.burst) && t.burst >= 1))
          problems.push(`${path}.burst: must be a number >= 1`);
      }
    }
  }
  if (input.failOperations !== undefined) {
    if (!isRecord(input.failOperations)) problems.push("faults.failOperations: must be an object");
    else {
      for (const [op, f] of Object.entries(input.failOperations)) {
        const path = `faults.failOperations["${op}"]`;
        const [service, name] = op.split(":");
        if (!SERVICES.includes(service as EmulatedService) || !name) {
          problems.push(`${path}: key must look like service:Operation (e.g. s3:PutObject)`);
        }
        if (!isRecord(f)) {
          problems.push(`${path}: must be an object`);
          continue;
        }
        if (!(nonNegative(f.count) && Number.isInteger(f.count)))
          problems.push(`${path}.count: must be an integer >= 0`);
        if (f.skip !== undefined && !(nonNegative(f.skip) && Number.isInteger(f.skip)))
          problems.push(`${path}.skip: must be an integer >= 0`);
        if (
          f.status !== undefined &&
          !(
            Number.isInteger(f.status) &&
            (f.status as number) >= 400 &&
            (f.status as number) <= 599
          )
        ) {
          problems.push(`${path}.status: must be an HTTP error status (400-599)`);
        }
        if (f.code !== undefined && (typeof f.code !== "string" || f.code === ""))
          problems.push(`${path}.code: must be a non-empty string`);
        if (f.message !== undefined && typeof f.message !== "string")
          problems.push(`${path}.message: must be a string`);
      }
    }
  }
  if (problems.length > 0) throw new FaultSettingsError(problems);
  return structuredClone(input) as FaultSettings;
}

function defaultCode(service: EmulatedService, status: number): string {
  if (status === 503) return "ServiceUnavailable";
  if (status >= 500) return service === "s3" ? "InternalError" : "InternalFailure";
  return "InjectedFault";
}

function defaultMessage(code: string): string {
  switch (code) {
    case "InternalFailure":
      return "The request processing has failed because of an unknown error, exception or failure.";
    case "InternalError":
      return "We encountered an internal error. Please try again.";
    case "ServiceUnavailable":
      return "Service is unable to handle request.";
    default:
      return `${code} (injected by the sandbox)`;
  }
}

function errorOf(
  service: EmulatedService,
  status: number,
  code?: string,
  message?: string,
): Extract<FaultDecision, { kind: "error" }> {
  const c = code ?? defaultCode(service, status);
  return { kind: "error", status, code: c, message: message ?? defaultMessage(c) };
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * Applies fault settings to each call: decides pass, error or reset, and how long to delay.
 * Dice come from a seedable Random so a failing chaos run can be replayed exactly.
 */
export class Faults {
  private settings: FaultSettings = {};
  private buckets = new Map<EmulatedService, Bucket>();
  private callsSinceSet = 0;
  private injected: FaultCounts = emptyCounts();

  /** Starts with `settings` (validated). */
  constructor(
    private readonly random: Random,
    settings: FaultSettings = {},
  ) {
    this.set(settings);
  }

  /** Replaces all settings; restarts the crash counter and refills the throttle buckets. */
  set(settings: FaultSettings): void {
    this.settings = parseFaultSettings(settings);
    this.buckets = new Map();
    this.callsSinceSet = 0;
  }

  /** The current settings, with per-operation counts showing what is left. */
  get(): FaultSettings {
    return structuredClone(this.settings);
  }

  /** The eventual-consistency delay in force, in ms (0 = off). */
  consistencyDelayMs(): number {
    return this.settings.consistencyDelayMs ?? 0;
  }

  /** How many faults of each kind were injected so far. */
  counts(): FaultCounts {
    return { ...this.injected };
  }

  /** Sets the fault counts back to zero. */
  clearCounts(): void {
    this.injected = emptyCounts();
  }

  /** Latency to add to this call, in ms. */
  delayMs(): number {
    const base = this.settings.latencyMs ?? 0;
    const jitter = this.settings.latencyJitterMs ?? 0;
    return base + (jitter > 0 ? this.random.next() * jitter : 0);
  }

  /** Decides the fate of one call of `service:operation` (and counts it for the crash switch). */
  decide(
    service: EmulatedService,
    operation: string,
    realNowMs = performance.now(),
  ): FaultDecision {
    const decision = this.roll(service, operation, realNowMs);
    if (decision.kind === "reset") {
      if (decision.cause === "crash") this.injected.crashed++;
      else this.injected.resets++;
    } else if (decision.kind === "error") {
      const c = this.injected;
      if (decision.cause === "crash") c.crashed++;
      else if (decision.cause === "operation") c.failedOperations++;
      else if (decision.cause === "throttle") c.throttled++;
      else c.errors++;
    }
    return decision;
  }

  private roll(service: EmulatedService, operation: string, realNowMs: number): FaultDecision {
    const s = this.settings;
    this.callsSinceSet++;
    if (
      s.crashAfterCalls !== undefined &&
      s.crashAfterCalls !== null &&
      this.callsSinceSet > s.crashAfterCalls
    ) {
      return s.crashMode === "reset"
        ? { kind: "reset", cause: "crash" }
        : { ...errorOf(service, 500), cause: "crash" };
    }
    const failure = s.failOperations?.[`${service}:${operation}`];
    if (failure && failure.count > 0 && (failure.skip ?? 0) > 0) {
      failure.skip = (failure.skip ?? 0) - 1;
    } else if (failure && failure.count > 0) {
      failure.count--;
      return {
        ...errorOf(service, failure.status ?? 500, failure.code, failure.message),
        cause: "operation",
      };
    }
    const throttle = s.throttle?.[service];
    if (throttle && !this.take(service, throttle, realNowMs)) return throttled(service);
    if ((s.throttleRate ?? 0) > 0 && this.random.next() < (s.throttleRate as number))
      return throttled(service);
    if ((s.resetRate ?? 0) > 0 && this.random.next() < (s.resetRate as number))
      return { kind: "reset" };
    if ((s.errorRate ?? 0) > 0 && this.random.next() < (s.errorRate as number)) {
      return errorOf(service, this.random.next() < 0.5 ? 500 : 503);
    }
    return PASS;
  }

  private take(service: EmulatedService, t: ThrottleSettings, now: number): boolean {
    const burst = t.burst ?? Math.max(1, t.ratePerSecond);
    const bucket = this.buckets.get(service) ?? { tokens: burst, last: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.last) * t.ratePerSecond) / 1000);
    bucket.last = now;
    this.buckets.set(service, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
