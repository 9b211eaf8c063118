import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import {
  AccessKeyId,
  fillPlaceholders,
  type Plan,
  type Settings,
  type Step,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import type { AwsClients } from "./clients.js";
import { mapWithConcurrency } from "./concurrency.js";
import { EMAIL_KIND_NAME, type RenderedEmail } from "./email.js";
import { checkHeaders } from "./emailHeaders.js";
import { AwsError, type AwsErrorJson, mapAwsError, redactSecrets } from "./errors.js";
import { type Log, silentLog } from "./log.js";
import { renderNotice } from "./notices.js";
import type { StepOutcome, StepView, UserStatus } from "./report.js";
import { secretFileBody, secretObjectKey } from "./secretFile.js";

/** What applying plans needs: the clients, the settings, and where to log. */
export interface ApplyOptions {
  readonly clients: Pick<AwsClients, "iam" | "s3" | "ses">;
  readonly settings: Settings;
  /** Perform nothing: every step is reported `skipped` (default `settings.dryRun`). */
  readonly dryRun?: boolean;
  /** Region of the credentials bucket, for the console link in Rotated notices. */
  readonly bucketRegion?: string;
  readonly log?: Log;
  /**
   * The clock whose time goes into a rotation's marker (default: the system clock). It must be
   * IAM's time to within minutes, as SigV4 already requires; against a sandbox, its clock.
   */
  readonly now?: () => Date;
}

/** What became of one user's plan. */
export interface PlanOutcome {
  readonly userName: string;
  readonly status: UserStatus;
  readonly steps: ReadonlyArray<StepOutcome>;
  readonly compensation: ReadonlyArray<StepOutcome>;
  readonly newKeyId?: AccessKeyId;
  readonly markerLeft: boolean;
  readonly error?: AwsErrorJson;
}

/** Progress of a run, for a CLI's progress bar or a Lambda's log. */
export interface ProgressEvent {
  readonly phase: "apply";
  readonly done: number;
  readonly total: number;
  readonly userName: string;
  readonly status: UserStatus;
}

/** Options of {@link applyPlans} beyond {@link ApplyOptions}. */
export interface ApplyPlansOptions extends ApplyOptions {
  /** Asked before each user is started; once it says false, the rest are reported deferred. */
  readonly shouldStartUser?: () => boolean;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Describes a step for reports and logs. Steps hold no secret, so neither does this. */
export const viewStep = (step: Step): StepView => {
  switch (step._tag) {
    case "TagUser":
      return {
        action: step._tag,
        summary: `tag ${step.tags.map((t) => `${t.key}=${t.value}`).join(", ")}${step.commitsRotation ? " (commits the rotation)" : ""}`,
        tags: step.tags,
        commitsRotation: step.commitsRotation,
      };
    case "UntagUser":
      return {
        action: step._tag,
        summary: `untag ${step.tagKeys.join(", ")}`,
        tagKeys: step.tagKeys,
      };
    case "CreateKey":
      return {
        action: step._tag,
        summary: `create a new key to replace ${step.replaces}`,
        keyId: step.replaces,
      };
    case "StoreNewKeySecret":
      return { action: step._tag, summary: "store the new key's secret in S3" };
    case "DeactivateKey":
      return {
        action: step._tag,
        summary: `deactivate ${step.keyId} (${step.reason})`,
        keyId: step.keyId,
        reason: step.reason,
      };
    case "DeleteKey":
      return {
        action: step._tag,
        summary: `delete ${step.keyId} (${step.reason})`,
        keyId: step.keyId,
        reason: step.reason,
      };
    case "DeleteStoredSecret":
      return {
        action: step._tag,
        summary: `delete the stored secret of ${step.keyId}, if any`,
        keyId: step.keyId,
      };
    case "SendNotice":
      return {
        action: step._tag,
        summary: `send a ${step.notice.kind} notice to ${step.notice.to}`,
        noticeKind: step.notice.kind,
        to: step.notice.to,
      };
  }
};

/**
 * Every operation a plan's steps can call: the calls that change the account or send mail.
 * Every other call keyrotate makes is a read. Tests and benchmarks count calls with it.
 */
export const MUTATING_OPERATIONS: ReadonlyArray<string> = [
  "iam:TagUser",
  "iam:UntagUser",
  "iam:CreateAccessKey",
  "iam:UpdateAccessKey",
  "iam:DeleteAccessKey",
  "s3:PutObject",
  "s3:DeleteObject",
  "ses:SendEmail",
];

/** The operation a step calls, as call counts name it. */
const operationOf = (step: Step): string => {
  switch (step._tag) {
    case "TagUser":
      return "iam:TagUser";
    case "UntagUser":
      return "iam:UntagUser";
    case "CreateKey":
      return "iam:CreateAccessKey";
    case "StoreNewKeySecret":
      return "s3:PutObject";
    case "DeactivateKey":
      return "iam:UpdateAccessKey";
    case "DeleteKey":
      return "iam:DeleteAccessKey";
    case "DeleteStoredSecret":
      return "s3:DeleteObject";
    case "SendNotice":
      return "ses:SendEmail";
  }
};

/**
 * Failures after which `CreateAccessKey` made no key and the account is as the plan saw it: AWS
 * refused the request itself. Not `LimitExceeded`: the user holds a key the plan did not see (a
 * rerun inside IAM's propagation delay), so the marker stays for the next run's recovery.
 */
const DEFINITIVE: ReadonlyArray<string> = ["AccessDenied", "InvalidInput", "NotFound"];

/** The state of one plan in flight. The secret lives here only until it is stored. */
interface InFlight {
  newKey: { readonly id: AccessKeyId; secret: string | undefined } | undefined;
  storeAttempted: boolean;
  commitAttempted: ReadonlyArray<string> | undefined;
  committed: boolean;
}

/**
 * Sends an email with SES `SendEmail` from `from`, after checking that nothing in it can add a
 * header; its kind goes along as the message tag `X-Keyrotate-Notice`.
 */
export const sendEmail = async (
  clients: Pick<AwsClients, "ses">,
  from: string,
  email: RenderedEmail,
): Promise<void> => {
  const checked = checkHeaders(email, from);
  if (E.isLeft(checked)) throw new AwsError("InvalidInput", "ses:SendEmail", checked.left);
  await clients.ses.send(
    new SendEmailCommand({
      Source: from,
      Destination: { ToAddresses: [email.to] },
      Message: {
        Subject: { Data: email.subject, Charset: "UTF-8" },
        Body: {
          Text: { Data: email.text, Charset: "UTF-8" },
          Html: { Data: email.html, Charset: "UTF-8" },
        },
      },
      ...(email.kind === undefined ? {} : { Tags: [{ Name: EMAIL_KIND_NAME, Value: email.kind }] }),
    }),
  );
};

const perform = async (
  options: ApplyOptions,
  userName: string,
  step: Step,
  state: InFlight,
): Promise<void> => {
  const { iam, s3 } = options.clients;
  const { settings } = options;
  switch (step._tag) {
    case "TagUser": {
      if (step.commitsRotation) state.commitAttempted = step.tags.map((t) => t.key);
      const now = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
      await iam.send(
        new TagUserCommand({
          UserName: userName,
          Tags: step.tags.map((t) => ({
            Key: t.key,
            Value: fillPlaceholders(t.value, { now, newKeyId: state.newKey?.id }),
          })),
        }),
      );
      if (step.commitsRotation) state.committed = true;
      return;
    }
    case "UntagUser":
      await iam.send(new UntagUserCommand({ UserName: userName, TagKeys: [...step.tagKeys] }));
      return;
    case "CreateKey": {
      if (state.newKey !== undefined) {
        throw new AwsError("Unexpected", "iam:CreateAccessKey", "the plan creates a second key");
      }
      const out = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      const id = out.AccessKey?.AccessKeyId;
      if (!AccessKeyId.is(id)) {
        throw new AwsError("Unexpected", "iam:CreateAccessKey", "IAM returned no valid key id");
      }
      state.newKey = { id, secret: out.AccessKey?.SecretAccessKey };
      if (state.newKey.secret === undefined || state.newKey.secret === "") {
        throw new AwsError("Unexpected", "iam:CreateAccessKey", `IAM returned no secret for ${id}`);
      }
      return;
    }
    case "StoreNewKeySecret": {
      const key = state.newKey;
      if (key?.secret === undefined) {
        throw new AwsError("Unexpected", "s3:PutObject", "no new key secret to store");
      }
      state.storeAttempted = true;
      await s3.send(
        new PutObjectCommand({
          Bucket: settings.s3CsvBucket,
          Key: secretObjectKey(userName, key.id),
          Body: secretFileBody(userName, key.id, key.secret),
          ContentType: "text/csv",
          ...(settings.kmsKeyId === undefined
            ? { ServerSideEncryption: "AES256" as const }
            : { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: settings.kmsKeyId }),
        }),
      );
      // Stored: the secret is forgotten at once.
      key.secret = undefined;
      return;
    }
    case "DeactivateKey":
      await iam.send(
        new UpdateAccessKeyCommand({
          UserName: userName,
          AccessKeyId: step.keyId,
          Status: "Inactive",
        }),
      );
      return;
    case "DeleteKey":
      await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: step.keyId }));
      return;
    case "DeleteStoredSecret":
      try {
        await s3.send(
          new DeleteObjectCommand({
            Bucket: settings.s3CsvBucket,
            Key: secretObjectKey(userName, step.keyId),
          }),
        );
      } catch (e) {
        // An absent object is what this step wants.
        if (mapAwsError("s3:DeleteObject", e).tag !== "NotFound") throw e;
      }
      return;
    case "SendNotice": {
      const n = step.notice;
      const created = n.kind === "Rotated" && n.newKey._tag === "Created";
      if (created && state.newKey === undefined) {
        throw new AwsError("Unexpected", "ses:SendEmail", "a Rotated notice before its key");
      }
      const email = renderNotice(n, {
        bucket: settings.s3CsvBucket,
        ...(options.bucketRegion === undefined ? {} : { bucketRegion: options.bucketRegion }),
        ...(created && state.newKey !== undefined ? { newKeyId: state.newKey.id } : {}),
        ...(settings.lambdaFunctionName === undefined
          ? {}
          : { sentBy: settings.lambdaFunctionName }),
      });
      await sendEmail(options.clients, settings.sesEmail, email);
      return;
    }
  }
};

/**
 * Applies one user's plan: each step in order, one AWS call per step, stopping at the first
 * failure (later steps are `skipped`). Rotation is all-or-nothing: when a step after `CreateKey`
 * fails before the commit `TagUser` has succeeded, the stored secret is deleted, the new key
 * deactivated and deleted and the in-flight marker removed, leaving the old key untouched; if
 * that compensation fails too, the marker stays for the next run's recovery.
 *
 * The new secret is held in memory only between `CreateKey` and `StoreNewKeySecret`.
 *
 * @example const outcome = await applyPlan({ clients, settings }, decide(settings, today)(snapshot))
 */
export const applyPlan = async (options: ApplyOptions, plan: Plan): Promise<PlanOutcome> => {
  const log = options.log ?? silentLog;
  const userName = plan.userName;
  const views = plan.steps.map(viewStep);
  if (options.dryRun ?? options.settings.dryRun) {
    return {
      userName,
      status: "planned",
      steps: views.map((step) => ({ step, status: "skipped", reason: "dry-run" })),
      compensation: [],
      markerLeft: false,
    };
  }
  const state: InFlight = {
    newKey: undefined,
    storeAttempted: false,
    commitAttempted: undefined,
    committed: false,
  };
  const steps: StepOutcome[] = [];
  const run = async (step: Step): Promise<AwsError | undefined> => {
    try {
      await perform(options, userName, step, state);
      return undefined;
    } catch (e) {
      const mapped = mapAwsError(operationOf(step), e);
      const secret = state.newKey?.secret;
      return secret !== undefined && mapped.message.includes(secret)
        ? new AwsError(
            mapped.tag,
            mapped.operation,
            redactSecrets(mapped.message, [secret]),
            mapped.code,
            {
              cause: e,
            },
          )
        : mapped;
    }
  };
  let failure: AwsError | undefined;
  for (const [index, step] of plan.steps.entries()) {
    const view = views[index] as StepView;
    if (failure !== undefined) {
      steps.push({ step: view, status: "skipped", reason: "earlier-step-failed" });
      continue;
    }
    const error = await run(step);
    if (error === undefined) {
      steps.push({ step: view, status: "ok" });
      log({
        level: "info",
        event: "step-done",
        message: `${userName}: ${view.summary}`,
        userName,
        action: view.action,
      });
      continue;
    }
    failure = error;
    steps.push({ step: view, status: "failed", error: error.toJSON() });
    log({
      level: "error",
      event: "step-failed",
      message: `${userName}: ${view.summary}: ${error.message}`,
      userName,
      action: view.action,
      error: error.toJSON(),
    });
  }
  const compensation: StepOutcome[] = [];
  const newKey = state.newKey;
  const failedStep = plan.steps[steps.findIndex((o) => o.status === "failed")];
  // A CreateKey that AWS refused made no key: the marker is rolled back at once. One whose
  // outcome is unknown (5xx, timeout) may have made a key: the marker stays for recovery.
  const createRefused =
    failedStep?._tag === "CreateKey" &&
    newKey === undefined &&
    failure !== undefined &&
    DEFINITIVE.includes(failure.tag);
  if (failure !== undefined && !state.committed && (newKey !== undefined || createRefused)) {
    // Undo the rotation: nothing of it may outlive this run.
    if (newKey !== undefined) newKey.secret = undefined;
    // The commit's own tags, if it was tried, go with the plan's restoring of the state tag.
    const stateKey = options.settings.stateTagKey;
    const commitKeys = (state.commitAttempted ?? []).filter((k) => k !== stateKey);
    const planned: ReadonlyArray<Step> = plan.rollback ?? [
      { _tag: "UntagUser", tagKeys: [stateKey] },
    ];
    const [first, ...rest] = planned;
    const restore: ReadonlyArray<Step> =
      commitKeys.length === 0
        ? planned
        : first?._tag === "UntagUser"
          ? [{ ...first, tagKeys: [...first.tagKeys, ...commitKeys] }, ...rest]
          : [{ _tag: "UntagUser", tagKeys: commitKeys }, ...planned];
    const undo: Step[] = [
      ...(newKey !== undefined && state.storeAttempted
        ? [{ _tag: "DeleteStoredSecret", keyId: newKey.id } as const]
        : []),
      ...(newKey === undefined
        ? []
        : ([
            { _tag: "DeactivateKey", keyId: newKey.id, reason: "undelivered" },
            { _tag: "DeleteKey", keyId: newKey.id, reason: "undelivered" },
          ] as const)),
      ...restore,
    ];
    let undoFailed = false;
    for (const step of undo) {
      const view = viewStep(step);
      if (undoFailed) {
        compensation.push({ step: view, status: "skipped", reason: "earlier-step-failed" });
        continue;
      }
      const error = await run(step);
      compensation.push(
        error === undefined
          ? { step: view, status: "ok" }
          : { step: view, status: "failed", error: error.toJSON() },
      );
      if (error !== undefined) {
        undoFailed = true;
        log({
          level: "error",
          event: "compensation-failed",
          message: `${userName}: undoing the rotation failed at "${view.summary}": ${error.message}; the marker stays for the next run`,
          userName,
          error: error.toJSON(),
        });
      }
    }
    if (!undoFailed) {
      log({
        level: "warn",
        event: "rotation-undone",
        message: `${userName}: the rotation failed and was undone; the old key is untouched`,
        userName,
        ...(newKey === undefined ? {} : { newKeyId: newKey.id }),
      });
    }
  }
  const markerKey = options.settings.stateTagKey;
  const pendingUntag = plan.steps.some(
    (s, i) => s._tag === "UntagUser" && s.tagKeys.includes(markerKey) && steps[i]?.status !== "ok",
  );
  const restored = compensation.filter(
    (c) =>
      c.step.action === "UntagUser" ||
      (c.step.action === "TagUser" && c.step.tags?.some((t) => t.key === markerKey) === true),
  );
  const markerLeft = restored.length === 0 ? pendingUntag : restored.some((c) => c.status !== "ok");
  return {
    userName,
    status: failure === undefined ? "ok" : "failed",
    steps,
    compensation,
    ...(newKey === undefined ? {} : { newKeyId: newKey.id }),
    markerLeft,
    ...(failure === undefined ? {} : { error: failure.toJSON() }),
  };
};

/**
 * Applies every plan, users in parallel up to `settings.concurrency`. A failing user never stops
 * the others. When `shouldStartUser` says false, that user and every user not yet started are
 * reported `deferred` with their steps untried.
 */
export const applyPlans = async (
  options: ApplyPlansOptions,
  plans: ReadonlyArray<Plan>,
): Promise<PlanOutcome[]> => {
  let stopped = false;
  let done = 0;
  return mapWithConcurrency(plans, options.settings.concurrency, async (plan) => {
    if (!stopped && plan.steps.length > 0 && options.shouldStartUser?.() === false) stopped = true;
    const outcome: PlanOutcome =
      stopped && plan.steps.length > 0
        ? {
            userName: plan.userName,
            status: "deferred",
            steps: plan.steps.map((s) => ({ step: viewStep(s), status: "deferred" })),
            compensation: [],
            markerLeft: false,
          }
        : await applyPlan(options, plan);
    done += 1;
    options.onProgress?.({
      phase: "apply",
      done,
      total: plans.length,
      userName: plan.userName,
      status: outcome.status,
    });
    return outcome;
  });
};
