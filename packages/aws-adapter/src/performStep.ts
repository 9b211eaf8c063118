import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { AccessKeyId, fillPlaceholders, type Step } from "@keyrotate/core";
import { AwsError, mapAwsError } from "./errors.js";
import type { ExecuteOptions } from "./executePlan.js";
import { renderNotice } from "./notices.js";
import { secretFileBody, secretObjectKey } from "./secretFile.js";
import { retireInSecretsManager, storeInSecretsManager } from "./secretsManagerStore.js";
import { sendEmail } from "./sendEmail.js";

/** The state of one plan in flight. The secret lives here only until it is stored. */
export interface InFlight {
  /** The key the plan's `CreateKey` made, once IAM answered. */
  newKey: { readonly id: AccessKeyId; secret: string | undefined } | undefined;
}

/**
 * Performs one step of a plan: the AWS calls it stands for (`operationsOf`: one, except for the
 * Secrets Manager store's steps). It translates and never decides: what to do, and what undoes a failure, is the core's.
 */
export const performStep = async (
  options: ExecuteOptions,
  userName: string,
  step: Step,
  state: InFlight,
): Promise<void> => {
  const { iam, s3 } = options.clients;
  const { settings } = options;
  switch (step._tag) {
    case "TagUser": {
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
      if (settings.secretStore === "secretsmanager") {
        await storeInSecretsManager(
          { iam, secretsManager: secretsManagerOf(options), kmsKeyId: settings.kmsKeyId },
          userName,
          key.id,
          key.secret,
        );
        key.secret = undefined;
        return;
      }
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
      // The Secrets Manager store's counterpart of the S3 store's lifecycle rule: a retired key's
      // value stops being readable before the key goes (a failure keeps the key for the next run).
      if (settings.secretStore === "secretsmanager" && step.reason !== "undelivered") {
        await retireInSecretsManager(secretsManagerOf(options), userName, step.keyId);
      }
      await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: step.keyId }));
      return;
    case "DeleteStoredSecret":
      if (settings.secretStore === "secretsmanager") {
        await retireInSecretsManager(secretsManagerOf(options), userName, step.keyId);
        return;
      }
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
        ...(settings.secretStore === "secretsmanager"
          ? { secretsManagerRegion: await secretsManagerOf(options).config.region() }
          : {}),
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

const secretsManagerOf = (options: ExecuteOptions) => {
  const client = options.clients.secretsManager;
  if (client === undefined) {
    throw new AwsError(
      "Unexpected",
      "secretsmanager:Unknown",
      "SECRET_STORE=secretsmanager without a Secrets Manager client",
    );
  }
  return client;
};
