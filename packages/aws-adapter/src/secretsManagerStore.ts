import { createHash } from "node:crypto";
import { GetUserCommand, type IAMClient } from "@aws-sdk/client-iam";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { mapAwsError } from "./errors.js";

/** The prefix of every secret keyrotate writes; the SAM template's role may write only these. */
export const SECRET_NAME_PREFIX = "keyrotate/";

/**
 * The name of a user's secret: `keyrotate/<user name>`. IAM user names use letters, digits and
 * `_+=,.@-`; secret names allow letters, digits and `/_+=.@-`: all but the comma. A comma becomes
 * `/`, which no IAM user name holds, so two users never share a secret (`svc,deploy` →
 * `keyrotate/svc/deploy`).
 */
export const secretName = (userName: string): string =>
  `${SECRET_NAME_PREFIX}${userName.replaceAll(",", "/")}`;

/**
 * The version id (`ClientRequestToken`) of a key's value: derived from the key id alone, so a
 * retried put of the same key is the same version, and checks find a key's version without
 * reading any value. `keyrotate-version-<key id>` (32 to 64 characters, as Secrets Manager
 * demands); a hash of the id for ids too long to fit.
 */
export const secretVersionId = (keyId: string): string => {
  const plain = `keyrotate-version-${keyId}`;
  return plain.length <= 64
    ? plain
    : `keyrotate-version-${createHash("sha256").update(keyId).digest("hex").slice(0, 46)}`;
};

/**
 * A secret's value: JSON with the fields of the S3 store's CSV header, so a user reads the same
 * names from either store (`jq -r .SecretAccessKey`).
 */
export const secretValue = (userName: string, keyId: string, secret: string): string =>
  JSON.stringify({ UserName: userName, AccessKeyId: keyId, SecretAccessKey: secret });

/** Reads a value written by {@link secretValue}; undefined when it is not one. For checks. */
export const readSecretValue = (
  value: string,
): { userName: string; accessKeyId: string; secretAccessKey: string } | undefined => {
  try {
    const v = JSON.parse(value) as Record<string, unknown>;
    const { UserName, AccessKeyId, SecretAccessKey } = v;
    return typeof UserName === "string" &&
      typeof AccessKeyId === "string" &&
      typeof SecretAccessKey === "string"
      ? { userName: UserName, accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey }
      : undefined;
  } catch {
    return undefined;
  }
};

/** The CLI command a Rotated notice gives: it prints the user's current value. */
export const getSecretValueCommand = (userName: string, region: string): string =>
  `aws secretsmanager get-secret-value --secret-id ${secretName(userName)} --region ${region} --query SecretString --output text`;

/** The Secrets Manager console page of a user's secret. */
export const secretConsoleLink = (userName: string, region: string): string =>
  `https://${region}.console.aws.amazon.com/secretsmanager/secret?${new URLSearchParams({
    name: secretName(userName),
    region,
  }).toString()}`;

/**
 * The resource policy of a user's secret. It allows the user (by ARN) to read and describe it,
 * and denies `GetSecretValue` to every other principal, whatever their identity policies grant:
 * in the same account an identity policy alone would otherwise let anyone with
 * `secretsmanager:GetSecretValue` on `*` read it. Nobody else is exempt (a resource policy cannot
 * name "the account's admins" as a class): an administrator can still describe, re-policy or
 * delete the secret, and so recover it, but not read it in passing.
 */
export const ownerOnlyPolicy = (userArn: string): string =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OwnerReads",
        Effect: "Allow",
        Principal: { AWS: userArn },
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: "*",
      },
      {
        Sid: "NobodyElseReads",
        Effect: "Deny",
        Principal: "*",
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: { ArnNotEquals: { "aws:PrincipalArn": userArn } },
      },
    ],
  });

/** Sends one call, its failure mapped to an error that names the operation. */
const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
  try {
    return await send();
  } catch (e) {
    throw mapAwsError(operation, e);
  }
};

/** What storing a value needs. */
export interface SecretsManagerStoreOptions {
  readonly iam: IAMClient;
  readonly secretsManager: SecretsManagerClient;
  /** `KMS_KEY_ID`: the key a new secret is encrypted with (the account's default otherwise). */
  readonly kmsKeyId: string | undefined;
}

/**
 * Stores a new key's secret in the user's secret, in an order where the value is never readable
 * by anyone but the user: the secret is created empty (or exists), its owner-only policy is put
 * (again: a user deleted and made anew under the same name has a new principal), then the value
 * is put as a new version that becomes `AWSCURRENT` (the previous one `AWSPREVIOUS`). Every call
 * may be repeated: a crash between any two leaves nothing a rerun or the undo cannot handle.
 */
export const storeInSecretsManager = async (
  options: SecretsManagerStoreOptions,
  userName: string,
  keyId: string,
  secret: string,
): Promise<void> => {
  const { iam, secretsManager: sm } = options;
  const name = secretName(userName);
  const user = await call("iam:GetUser", () =>
    iam.send(new GetUserCommand({ UserName: userName })),
  );
  const userArn = user.User?.Arn;
  if (userArn === undefined) throw mapAwsError("iam:GetUser", new Error("IAM returned no ARN"));
  try {
    await sm.send(
      new CreateSecretCommand({
        Name: name,
        Description: `Access keys of IAM user ${userName}, delivered by keyrotate`,
        ...(options.kmsKeyId === undefined ? {} : { KmsKeyId: options.kmsKeyId }),
      }),
    );
  } catch (e) {
    // The user's secret from an earlier rotation: it takes the new version.
    if (errorName(e) !== "ResourceExistsException")
      throw mapAwsError("secretsmanager:CreateSecret", e);
  }
  await call("secretsmanager:PutResourcePolicy", () =>
    sm.send(
      new PutResourcePolicyCommand({
        SecretId: name,
        ResourcePolicy: ownerOnlyPolicy(userArn),
        BlockPublicPolicy: true,
      }),
    ),
  );
  await call("secretsmanager:PutSecretValue", () =>
    sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: secretVersionId(keyId),
        SecretString: secretValue(userName, keyId, secret),
      }),
    ),
  );
};

const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";

/**
 * Makes a key's value unreadable by its staging labels: the key's version (found by its derived
 * id in `DescribeSecret`, never by reading a value) loses every label. A version without labels
 * is deprecated: `GetSecretValue` by label no longer returns it, and Secrets Manager removes it
 * in time. When it was `AWSCURRENT` (a rotation undone), `AWSCURRENT` goes back to the version
 * that held `AWSPREVIOUS` first; when no other version exists, the whole secret is deleted
 * without a recovery window. An absent secret or version is what this wants.
 */
export const retireInSecretsManager = async (
  sm: SecretsManagerClient,
  userName: string,
  keyId: string,
): Promise<void> => {
  const name = secretName(userName);
  const versionId = secretVersionId(keyId);
  let described: Awaited<ReturnType<typeof describe>>;
  try {
    described = await describe(sm, name);
  } catch (e) {
    if (mapAwsError("secretsmanager:DescribeSecret", e).tag === "NotFound") return;
    throw mapAwsError("secretsmanager:DescribeSecret", e);
  }
  // A secret scheduled for deletion answers no GetSecretValue.
  if (described.DeletedDate !== undefined) return;
  const stages = described.VersionIdsToStages ?? {};
  let labels = stages[versionId] ?? [];
  if (labels.length === 0) return;
  if (labels.includes(CURRENT)) {
    const previous = Object.entries(stages).find(
      ([id, s]) => id !== versionId && s.includes(PREVIOUS),
    )?.[0];
    if (previous === undefined) {
      await call("secretsmanager:DeleteSecret", () =>
        sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })),
      );
      return;
    }
    await call("secretsmanager:UpdateSecretVersionStage", () =>
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: CURRENT,
          MoveToVersionId: previous,
          RemoveFromVersionId: versionId,
        }),
      ),
    );
    // Moving AWSCURRENT away hands the version AWSPREVIOUS, as Secrets Manager does.
    labels = [...new Set([...labels.filter((l) => l !== CURRENT), PREVIOUS])];
  }
  for (const label of labels) {
    await call("secretsmanager:UpdateSecretVersionStage", () =>
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: label,
          RemoveFromVersionId: versionId,
        }),
      ),
    );
  }
};

const describe = (sm: SecretsManagerClient, name: string) =>
  sm.send(new DescribeSecretCommand({ SecretId: name }));

const errorName = (e: unknown): string | undefined => {
  const n = (e as { name?: unknown } | null)?.name;
  return typeof n === "string" ? n : undefined;
};

/**
 * The format of the Secrets Manager store in one value, for checks that read it back (the
 * sandbox's verify): where a user's secret is, which version holds a key, how to read a value.
 */
export const secretsManagerFormat = {
  secretName,
  versionId: secretVersionId,
  read: readSecretValue,
} as const;
