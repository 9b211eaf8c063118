import { createRequire } from "node:module";
import { IAMClient } from "@aws-sdk/client-iam";
import { S3Client } from "@aws-sdk/client-s3";
import { SESClient } from "@aws-sdk/client-ses";
import { afterEach } from "vitest";
import { type Sandbox, type SandboxOptions, startSandbox } from "../src/index.js";

/** The instant most tests freeze the sandbox clock at. */
export const T0 = "2026-11-23T10:00:00.000Z";

const open: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Starts a sandbox on a free port that is closed after the current test. */
export async function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const s = await startSandbox({ now: T0, randomSeed: 42, ...options });
  open.push(s);
  return s;
}

type ClientOverrides = {
  maxAttempts?: number;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

/** IAM, S3 and SES clients pointed at `s` through `clientConfig()`. */
export function clients(s: Sandbox, overrides: ClientOverrides = {}) {
  const config = { ...s.clientConfig(), ...overrides };
  return { iam: new IAMClient(config), s3: new S3Client(config), ses: new SESClient(config) };
}

/** A sandbox (as {@link sandbox}, closed after the test) and IAM, S3 and SES clients for it. */
export async function sandboxWithClients(
  options: SandboxOptions = {},
  overrides: ClientOverrides = {},
): Promise<{ s: Sandbox } & ReturnType<typeof clients>> {
  const s = await sandbox(options);
  return { s, ...clients(s, overrides) };
}

/** What an SDK v3 service error carries besides name and message. */
export type SdkError = Error & {
  $metadata: { httpStatusCode?: number; attempts?: number };
  $fault?: string;
  $retryable?: { throttling?: boolean };
  code?: string;
};

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<SdkError> {
  try {
    await fn();
  } catch (e) {
    return e as SdkError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to throw, but it returned");
}

interface RetryClassification {
  isThrottlingError(e: unknown): boolean;
  isTransientError(e: unknown): boolean;
  isServerError(e: unknown): boolean;
}

/**
 * The SDK's own retry classifiers (`@smithy/core/retry`), loaded from where the IAM client loads
 * them, so tests judge "retryable" exactly as the SDK's retry strategy does.
 */
export function sdkRetryClassification(): RetryClassification {
  const local = createRequire(import.meta.url);
  const fromClient = createRequire(local.resolve("@aws-sdk/client-iam"));
  return fromClient("@smithy/core/retry") as RetryClassification;
}

/** Sends a Query request ({@link queryRequest}) to the sandbox's root, as IAM and SES take it. */
export function sendQuery(
  s: Sandbox,
  service: "iam" | "ses",
  form: Record<string, string>,
  accessKeyId?: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  return raw(s, "/", queryRequest(service, form, accessKeyId));
}

/** A raw HTTP request to the sandbox (for inputs an SDK would never send). */
export async function raw(
  s: Sandbox,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${s.url}${path}`, {
    method: init.method ?? "GET",
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A form-encoded Query request signed (scope only) for `service`, as the SDKs send it. */
/**
 * A SigV4 `Authorization` header by `accessKeyId` (default the admin's) for `service`: only its
 * credential scope matters to the sandbox, which routes by it and checks no signature.
 */
export function authorization(
  service: "iam" | "s3" | "ses" | "secretsmanager" | "securityhub" | "sns",
  accessKeyId = "AKIASANDBOXADMIN0001",
): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261123/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;
}

export function queryRequest(
  service: "iam" | "ses",
  form: Record<string, string>,
  accessKeyId = "AKIASANDBOXADMIN0001",
) {
  return {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      authorization: authorization(service, accessKeyId),
    },
    body: new URLSearchParams(form).toString(),
  };
}
