import {
  ConcurrentModificationException,
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  EntityAlreadyExistsException,
  InvalidInputException,
  LimitExceededException,
  NoSuchEntityException,
  ServiceFailureException,
  UnmodifiableEntityException,
} from "@aws-sdk/client-iam";
import { NoSuchBucket, NoSuchKey } from "@aws-sdk/client-s3";
import {
  AccountSendingPausedException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
} from "@aws-sdk/client-ses";
import { describe, expect, it } from "vitest";
import { AwsError, type AwsErrorTag, mapAwsError, redactSecrets } from "../src/errors.js";
import { SECRET } from "./fixtures.js";

const meta = { $metadata: {}, message: "boom" };

/** An error as the SDK builds one for a code its model does not know. */
const coded = (name: string, status?: number): Error =>
  Object.assign(new Error(`${name} happened`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });

describe("mapAwsError", () => {
  it.each<[string, unknown, AwsErrorTag]>([
    ["NoSuchEntityException", new NoSuchEntityException(meta), "NotFound"],
    ["LimitExceededException", new LimitExceededException(meta), "LimitExceeded"],
    ["InvalidInputException", new InvalidInputException(meta), "InvalidInput"],
    ["EntityAlreadyExistsException", new EntityAlreadyExistsException(meta), "InvalidInput"],
    ["UnmodifiableEntityException", new UnmodifiableEntityException(meta), "InvalidInput"],
    ["ServiceFailureException", new ServiceFailureException(meta), "ServiceFailure"],
    [
      "ConcurrentModificationException",
      new ConcurrentModificationException(meta),
      "ServiceFailure",
    ],
    [
      "CredentialReportNotReadyException",
      new CredentialReportNotReadyException(meta),
      "ReportUnavailable",
    ],
    [
      "CredentialReportNotPresentException",
      new CredentialReportNotPresentException(meta),
      "ReportUnavailable",
    ],
    [
      "CredentialReportExpiredException",
      new CredentialReportExpiredException(meta),
      "ReportUnavailable",
    ],
    ["NoSuchKey", new NoSuchKey(meta), "NotFound"],
    ["NoSuchBucket", new NoSuchBucket(meta), "NotFound"],
    ["MessageRejected", new MessageRejected(meta), "AccessDenied"],
    [
      "MailFromDomainNotVerifiedException",
      new MailFromDomainNotVerifiedException(meta),
      "AccessDenied",
    ],
    ["AccountSendingPausedException", new AccountSendingPausedException(meta), "AccessDenied"],
  ])("maps the SDK's %s by its class", (_, error, tag) => {
    expect(mapAwsError("iam:Op", error).tag).toBe(tag);
  });

  it.each<[string, AwsErrorTag]>([
    ["Throttling", "Throttled"],
    ["ThrottlingException", "Throttled"],
    ["SlowDown", "Throttled"],
    ["RequestLimitExceeded", "Throttled"],
    ["AccessDenied", "AccessDenied"],
    ["AccessDeniedException", "AccessDenied"],
    ["InvalidClientTokenId", "AccessDenied"],
    ["SignatureDoesNotMatch", "AccessDenied"],
    ["ExpiredToken", "AccessDenied"],
    ["KMS.DisabledException", "AccessDenied"],
    ["KMS.SomethingNew", "AccessDenied"],
    ["ValidationError", "InvalidInput"],
    ["MalformedInput", "InvalidInput"],
    ["InternalError", "ServiceFailure"],
    ["ServiceUnavailable", "ServiceFailure"],
    ["TimeoutError", "ServiceFailure"],
    ["ECONNRESET", "ServiceFailure"],
    ["ReportInProgress", "ReportUnavailable"],
    ["ReportNotPresent", "ReportUnavailable"],
    ["ReportExpired", "ReportUnavailable"],
    ["ReportGenerationLimitExceeded", "LimitExceeded"],
  ])("maps the code %s", (code, tag) => {
    expect(mapAwsError("iam:Op", coded(code)).tag).toBe(tag);
  });

  it("maps a network error by its errno code", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(mapAwsError("s3:PutObject", reset)).toMatchObject({
      tag: "ServiceFailure",
      code: "ECONNRESET",
    });
  });

  it.each<[number, AwsErrorTag]>([
    [429, "Throttled"],
    [403, "AccessDenied"],
    [404, "NotFound"],
    [400, "InvalidInput"],
    [503, "ServiceFailure"],
  ])("falls back on the HTTP status %i for an unknown code", (status, tag) => {
    expect(mapAwsError("iam:Op", coded("SomethingNew", status)).tag).toBe(tag);
  });

  it("calls anything else Unexpected, and keeps the original as cause", () => {
    const original = new TypeError("not a function");
    const mapped = mapAwsError("iam:Op", original);
    expect(mapped.tag).toBe("Unexpected");
    expect(mapped.cause).toBe(original);
    expect(mapped).toBeInstanceOf(AwsError);
  });

  it("names the operation and the code in the message", () => {
    const mapped = mapAwsError("iam:TagUser", new NoSuchEntityException(meta));
    expect(mapped.operation).toBe("iam:TagUser");
    expect(mapped.message).toBe("iam:TagUser failed: NoSuchEntityException: boom");
  });

  it("passes an AwsError through unchanged", () => {
    const error = new AwsError("Throttled", "ses:SendEmail", "slow down");
    expect(mapAwsError("iam:Other", error)).toBe(error);
  });

  it("reports the error without its cause, and never a secret in the message", () => {
    const leaky = coded(`InternalError with ${SECRET} inside`);
    leaky.message = `the body was UserName,AccessKeyId,SecretAccessKey ${SECRET}`;
    const json = JSON.stringify(mapAwsError("s3:PutObject", leaky));
    expect(json).not.toContain(SECRET);
    expect(json).not.toContain("cause");
    expect(JSON.parse(json)).toMatchObject({ operation: "s3:PutObject" });
  });
});

describe("redactSecrets", () => {
  it("hides a known secret of any shape and anything shaped like a secret key", () => {
    expect(redactSecrets("a short-secret here", ["short-secret"])).toBe("a [redacted] here");
    expect(redactSecrets(`key ${SECRET}.`)).toBe("key [redacted].");
  });

  it("leaves key ids, ARNs and request ids readable", () => {
    const text =
      "AKIAIOSFODNN7EXAMPLE arn:aws:iam::123456789012:user/alice 6c0a2c8e-7d0b-4a3f-9a5c-5b1f2e3d4c5b";
    expect(redactSecrets(text)).toBe(text);
  });
});
