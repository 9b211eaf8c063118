import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import {
  GetAccountSendingEnabledCommand,
  GetIdentityVerificationAttributesCommand,
  GetSendQuotaCommand,
} from "@aws-sdk/client-ses";
import type { Plan, Settings } from "@keyrotate/core";
import type { AwsClients } from "./clients.js";
import { AwsError, type AwsErrorJson, type AwsErrorTag, mapAwsError } from "./errors.js";
import type { PlanOutcome } from "./executePlan.js";
import { type ExecutePlansOptions, executePlans } from "./executePlans.js";
import { silentLog } from "./log.js";
import { SECRET_FILE_PREFIX } from "./secretFile.js";
import { SECRET_NAME_PREFIX } from "./secretsManagerStore.js";
import { viewStep } from "./stepView.js";

/**
 * The checks of a preflight, in the order they are made. Each names what a rotation needs:
 * a sender SES accepts, an account that may send, a bucket that exists and takes the secret,
 * and (with `KMS_KEY_ID`) a key S3 can encrypt it with; with `SECRET_STORE=secretsmanager`,
 * Secrets Manager answering keyrotate's role for its `keyrotate/` secrets instead of the bucket.
 */
export type PreflightCheck =
  | "ses-sender-verified"
  | "ses-sending-enabled"
  | "ses-send-quota"
  | "bucket-exists"
  | "bucket-writable"
  | "kms-key-usable"
  | "secret-store-usable";

/** What became of a run's preflight, as the run report shows it. */
export type PreflightReport =
  /** No check was made: a dry run, or no plan of the run rotates a key. */
  | { readonly status: "not-run"; readonly reason: "dry-run" | "no-rotation-due" }
  /** Every check passed before the first change of the run. */
  | { readonly status: "passed"; readonly checks: ReadonlyArray<PreflightCheck> }
  /**
   * A check failed: no key was created and nothing was tagged as rotated; `heldBack` names the
   * users whose rotation waits for the next run. `error.message` is the run's one message.
   */
  | {
      readonly status: "failed";
      readonly check: PreflightCheck;
      readonly error: AwsErrorJson;
      readonly heldBack: ReadonlyArray<string>;
    };

/** Why a preflight failed: the check, a clear message with what to do, and the AWS error. */
export interface PreflightFailure {
  readonly check: PreflightCheck;
  /** One sentence or two: what is wrong and what to do; never a secret. */
  readonly message: string;
  readonly tag: AwsErrorTag;
  readonly operation: string;
  readonly code: string | undefined;
}

/**
 * The object a preflight writes (and deletes) to prove the bucket takes writes. It sits under `credential/`,
 * so the role's permission, the bucket policy (the KMS key it demands) and the lifecycle rule
 * that apply to a secret apply to it too; no reader can see it: readers may read only
 * `credential/<their user name>/`, and a user name holds no `/`.
 */
export const PREFLIGHT_OBJECT_KEY = `${SECRET_FILE_PREFIX}keyrotate-preflight.txt`;

/** True when applying `plan` would create a key or tag a rotation: a preflight must pass first. */
export const rotates = (plan: Plan): boolean =>
  plan.steps.some((s) => s._tag === "CreateKey" || (s._tag === "TagUser" && s.commitsRotation));

/** The sender's address and every domain SES may have verified for it (`a@x.y.z`: `x.y.z`, `y.z`). */
export const senderIdentities = (sender: string): string[] => {
  const at = sender.lastIndexOf("@");
  const labels = sender.slice(at + 1).split(".");
  return [sender, ...labels.slice(0, -1).map((_, i) => labels.slice(i).join("."))];
};

const failure = (
  check: PreflightCheck,
  message: string,
  error: {
    readonly tag: AwsErrorTag;
    readonly operation: string;
    readonly code?: string | undefined;
  },
): PreflightFailure => ({
  check,
  message,
  tag: error.tag,
  operation: error.operation,
  code: error.code,
});

const uncheckable = (check: PreflightCheck, e: unknown, operation: string, fix: string) => {
  const error = mapAwsError(operation, e);
  return failure(
    check,
    `keyrotate could not check ${whatIsChecked[check]}: ${error.message}. ${fix}`,
    error,
  );
};

const whatIsChecked: Readonly<Record<PreflightCheck, string>> = {
  "ses-sender-verified": "that the SES sender is verified",
  "ses-sending-enabled": "that SES sending is enabled",
  "ses-send-quota": "the SES sending quota",
  "bucket-exists": "that the credentials bucket exists",
  "bucket-writable": "that the credentials bucket accepts writes",
  "kms-key-usable": "that S3 can use the KMS key",
  "secret-store-usable": "that Secrets Manager answers for keyrotate's secrets",
};

const grantRead = (action: string): string =>
  `Let keyrotate's role call ${action} (the SAM template's role does), then run again.`;

/**
 * Checks, before the first change of a run that rotates, that the rotation can be delivered:
 * the SES sender is verified (`GetIdentityVerificationAttributes`, the address or a domain of
 * it), the account may send (`GetAccountSendingEnabled`) and has quota left (`GetSendQuota`),
 * and a tiny object put where secrets go, encrypted as a secret is (SSE-KMS with `KMS_KEY_ID`,
 * which makes S3 ask KMS for a data key on the role's behalf, as for a secret), is accepted and
 * deleted again (undoing a rotation deletes a stored secret). Five calls; the first failure ends
 * it. A check that cannot be made (no permission, AWS down)
 * fails too: a rotation is never started on hope.
 *
 * @example const failed = await preflight(clients, settings, "run-1"); // undefined: all passed
 */
export const preflight = async (
  clients: Pick<AwsClients, "s3" | "ses"> & Partial<Pick<AwsClients, "secretsManager">>,
  settings: Settings,
  runId: string,
): Promise<PreflightFailure | undefined> => {
  const sender = settings.sesEmail;
  const region = settings.sesRegion;
  const identities = senderIdentities(sender);
  try {
    const out = await clients.ses.send(
      new GetIdentityVerificationAttributesCommand({ Identities: identities }),
    );
    const verified = identities.some(
      (i) => out.VerificationAttributes?.[i]?.VerificationStatus === "Success",
    );
    if (!verified) {
      return failure(
        "ses-sender-verified",
        `the SES sender ${sender} is not verified in ${region} (nor is its domain). Verify the address or its domain in SES in ${region}, or set SES_EMAIL and SES_REGION to a verified sender, then run again.`,
        { tag: "AccessDenied", operation: "ses:GetIdentityVerificationAttributes" },
      );
    }
  } catch (e) {
    return uncheckable(
      "ses-sender-verified",
      e,
      "ses:GetIdentityVerificationAttributes",
      grantRead("ses:GetIdentityVerificationAttributes"),
    );
  }
  try {
    const out = await clients.ses.send(new GetAccountSendingEnabledCommand({}));
    if (out.Enabled === false) {
      return failure(
        "ses-sending-enabled",
        `sending is paused for the SES account in ${region}. Find out why in the SES console (reputation), re-enable it (aws ses update-account-sending-enabled --enabled --region ${region}), then run again.`,
        { tag: "AccessDenied", operation: "ses:GetAccountSendingEnabled" },
      );
    }
  } catch (e) {
    return uncheckable(
      "ses-sending-enabled",
      e,
      "ses:GetAccountSendingEnabled",
      grantRead("ses:GetAccountSendingEnabled"),
    );
  }
  try {
    const out = await clients.ses.send(new GetSendQuotaCommand({}));
    const max = out.Max24HourSend;
    const sent = out.SentLast24Hours ?? 0;
    // -1 is an unlimited quota.
    if (max !== undefined && max >= 0 && sent >= max) {
      return failure(
        "ses-send-quota",
        `the SES account in ${region} has used its 24-hour sending quota (${sent} of ${max}). Ask AWS for a higher quota, or wait until the last day's mail has left the 24-hour window, then run again.`,
        { tag: "LimitExceeded", operation: "ses:GetSendQuota" },
      );
    }
  } catch (e) {
    return uncheckable("ses-send-quota", e, "ses:GetSendQuota", grantRead("ses:GetSendQuota"));
  }
  if (settings.secretStore === "secretsmanager") return secretStorePreflight(clients);
  const bucket = settings.s3CsvBucket;
  const kms = settings.kmsKeyId;
  try {
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: PREFLIGHT_OBJECT_KEY,
        Body: `keyrotate preflight of run ${runId}: this bucket takes new credentials.\n`,
        ContentType: "text/plain",
        ...(kms === undefined
          ? { ServerSideEncryption: "AES256" as const }
          : { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: kms }),
      }),
    );
  } catch (e) {
    const error = mapAwsError("s3:PutObject", e);
    if (error.code === "NoSuchBucket") {
      return failure(
        "bucket-exists",
        `the credentials bucket ${bucket} does not exist. Create it (the SAM template does) or set S3_CSV_BUCKET to the credentials bucket, then run again.`,
        error,
      );
    }
    const aboutKms =
      kms !== undefined && (error.code?.startsWith("KMS.") === true || /kms/i.test(error.message));
    if (aboutKms) {
      return failure(
        "kms-key-usable",
        `S3 cannot encrypt with the KMS key ${kms}: ${error.message}. Enable the key (or cancel its deletion), let keyrotate's role use it through S3 (kms:GenerateDataKey), or set KMS_KEY_ID to a usable key, then run again.`,
        error,
      );
    }
    return failure(
      "bucket-writable",
      `the credentials bucket ${bucket} does not accept keyrotate's writes: ${error.message}. Let keyrotate's role s3:PutObject on ${bucket}/credential/* (the SAM template's role may) and check the bucket policy, then run again.`,
      error,
    );
  }
  try {
    // Undoing a failed rotation deletes its stored secret: the role must be able to.
    await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: PREFLIGHT_OBJECT_KEY }));
  } catch (e) {
    const error = mapAwsError("s3:DeleteObject", e);
    return failure(
      "bucket-writable",
      `the credentials bucket ${bucket} does not let keyrotate delete what it wrote (needed to undo a failed rotation): ${error.message}. Let keyrotate's role s3:DeleteObject on ${bucket}/credential/* (the SAM template's role may), then run again.`,
      error,
    );
  }
  return undefined;
};

/**
 * The secret the Secrets Manager preflight asks about. No IAM user maps to it: a user name has at
 * most 64 characters, and this name's part after the prefix is longer.
 */
export const PREFLIGHT_SECRET_NAME = `${SECRET_NAME_PREFIX}keyrotate-preflight-probe-never-a-user-secret-as-it-is-longer-than-any-user-name`;

/**
 * The Secrets Manager store's check: `DescribeSecret` of {@link PREFLIGHT_SECRET_NAME}, which must
 * answer "not found" (the service is reachable and the role may read `keyrotate/*`). Writing is
 * not tried (no probe secret is left behind); a put refused later, by permission or by a disabled
 * KMS key, undoes that rotation as any failed store does.
 */
const secretStorePreflight = async (
  clients: Partial<Pick<AwsClients, "secretsManager">>,
): Promise<PreflightFailure | undefined> => {
  const fix = `Let keyrotate's role use Secrets Manager on secret:${SECRET_NAME_PREFIX}* (the SAM template's role does with SecretStore=secretsmanager), then run again.`;
  try {
    if (clients.secretsManager === undefined) throw new Error("no Secrets Manager client");
    await clients.secretsManager.send(
      new DescribeSecretCommand({ SecretId: PREFLIGHT_SECRET_NAME }),
    );
  } catch (e) {
    if (mapAwsError("secretsmanager:DescribeSecret", e).tag === "NotFound") return undefined;
    return uncheckable("secret-store-usable", e, "secretsmanager:DescribeSecret", fix);
  }
  return undefined;
};

/** Every check a passed preflight made, for the report. */
const checksMade = (settings: Settings): PreflightCheck[] => [
  "ses-sender-verified",
  "ses-sending-enabled",
  "ses-send-quota",
  ...(settings.secretStore === "secretsmanager"
    ? ["secret-store-usable" as const]
    : [
        "bucket-exists" as const,
        "bucket-writable" as const,
        ...(settings.kmsKeyId === undefined ? [] : ["kms-key-usable" as const]),
      ]),
];

/** Options of {@link applyAfterPreflight}. */
export interface ApplyAfterPreflightOptions extends ExecutePlansOptions {
  readonly clients: Pick<AwsClients, "iam" | "s3" | "ses"> &
    Partial<Pick<AwsClients, "secretsManager">>;
  readonly runId: string;
}

/** The outcomes of a run's plans, in plan order, and its preflight. */
export interface PreflightedOutcomes {
  readonly outcomes: PlanOutcome[];
  readonly preflight: PreflightReport;
}

/**
 * Applies a run's plans behind a preflight: when a plan rotates (and the run is not dry), the
 * {@link preflight} runs first, once. If it fails, the plans that rotate are not applied at all
 * (their users are reported failed, every step skipped with reason `preflight-failed`) and every
 * other plan (warnings, deactivations, deletions) is applied as usual.
 */
export const applyAfterPreflight = async (
  options: ApplyAfterPreflightOptions,
  plans: ReadonlyArray<Plan>,
): Promise<PreflightedOutcomes> => {
  const log = options.log ?? silentLog;
  const dryRun = options.dryRun ?? options.settings.dryRun;
  const rotating = plans.filter(rotates);
  if (dryRun || rotating.length === 0) {
    return {
      outcomes: await executePlans(options, plans),
      preflight: { status: "not-run", reason: dryRun ? "dry-run" : "no-rotation-due" },
    };
  }
  const failed = await preflight(options.clients, options.settings, options.runId);
  if (failed === undefined) {
    log({
      level: "info",
      event: "preflight-passed",
      message: `preflight passed: ${rotating.length} rotation${rotating.length === 1 ? "" : "s"} can be delivered`,
    });
    return {
      outcomes: await executePlans(options, plans),
      preflight: { status: "passed", checks: checksMade(options.settings) },
    };
  }
  const heldBack = rotating.map((p) => p.userName as string);
  const message = `Preflight check ${failed.check} failed: ${failed.message} No key was created; ${heldBack.length} rotation${heldBack.length === 1 ? " waits" : "s wait"} for the next run.`;
  const error = new AwsError(failed.tag, failed.operation, message, failed.code).toJSON();
  log({ level: "error", event: "preflight-failed", message, check: failed.check, error });
  const userError = new AwsError(
    failed.tag,
    failed.operation,
    `rotation held back: preflight check ${failed.check} failed`,
    failed.code,
  ).toJSON();
  const others = plans.filter((p) => !rotates(p));
  const total = plans.length;
  let done = 0;
  const held = new Map<Plan, PlanOutcome>();
  for (const plan of rotating) {
    held.set(plan, heldBackOutcome(options.settings, plan, userError));
    done += 1;
    options.onProgress?.({
      phase: "apply",
      done,
      total,
      userName: plan.userName,
      status: "failed",
    });
  }
  const applied = await executePlans(
    {
      ...options,
      onProgress: (e) => options.onProgress?.({ ...e, done: e.done + rotating.length, total }),
    },
    others,
  );
  const appliedOf = new Map(others.map((p, i) => [p, applied[i] as PlanOutcome]));
  return {
    outcomes: plans.map((p) => held.get(p) ?? (appliedOf.get(p) as PlanOutcome)),
    preflight: { status: "failed", check: failed.check, error, heldBack },
  };
};

const heldBackOutcome = (settings: Settings, plan: Plan, error: AwsErrorJson): PlanOutcome => ({
  userName: plan.userName,
  status: "failed",
  steps: plan.steps.map((s) => ({
    step: viewStep(s),
    status: "skipped",
    reason: "preflight-failed",
  })),
  compensation: [],
  // A marker the user already carries (a crashed rotation) stays for the next run's recovery.
  markerLeft: plan.steps.some(
    (s) => s._tag === "UntagUser" && s.tagKeys.includes(settings.stateTagKey),
  ),
  error,
});
