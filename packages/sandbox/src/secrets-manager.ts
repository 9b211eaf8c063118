import { DAY_MS } from "./clock.js";
import { ServiceError } from "./errors.js";
import type { KmsKeyState } from "./s3/put-object.js";
import { arnIn, type ServiceScope } from "./scope.js";

/** The `X-Amz-Target` prefix of Secrets Manager (JSON 1.1 protocol). */
export const SECRETS_MANAGER_TARGET = "secretsmanager";

const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";
const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** One version of a secret's value. */
interface SecretVersion {
  versionId: string;
  secretString?: string;
  secretBinary?: string;
  stages: string[];
  createdMs: number;
}

interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  policy?: string;
  createdMs: number;
  changedMs: number;
  /** When a DeleteSecret with a recovery window was accepted. */
  deletedMs?: number;
  /** When the secret disappears for good (deletedMs + the recovery window). */
  deletionMs?: number;
  versions: SecretVersion[];
}

/** A secret as `sandbox.secrets()` shows it; values only when asked for. */
export interface SandboxSecret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: Readonly<Record<string, string>>;
  /** The resource policy as it was given. */
  resourcePolicy?: string;
  createdDate: Date;
  /** Set while the secret is scheduled for deletion. */
  deletedDate?: Date;
  versions: {
    versionId: string;
    stages: string[];
    createdDate: Date;
    secretString?: string;
    secretBinary?: string;
  }[];
}

const notFound = (): ServiceError =>
  new ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
const invalidParameter = (message: string): ServiceError =>
  new ServiceError("InvalidParameterException", message);
const markedForDeletion = (): ServiceError =>
  new ServiceError(
    "InvalidRequestException",
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

const epochSeconds = (ms: number): number => ms / 1000;

function optionalString(input: Record<string, unknown>, field: string): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string")
    throw new ServiceError("SerializationException", `${field} must be a string.`);
  return v;
}

function requiredString(input: Record<string, unknown>, field: string): string {
  const v = optionalString(input, field);
  if (v === undefined || v === "")
    throw invalidParameter(`You must provide a value for the ${field} parameter.`);
  return v;
}

/** The value of a Create or Put: a string, a base64 binary or neither (Create only). */
function secretValueOf(input: Record<string, unknown>): {
  secretString?: string;
  secretBinary?: string;
} {
  const secretString = optionalString(input, "SecretString");
  const secretBinary = optionalString(input, "SecretBinary");
  if (secretString !== undefined && secretBinary !== undefined)
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  if (secretString !== undefined && Buffer.byteLength(secretString) > 65_536)
    throw invalidParameter("SecretString must be 65536 bytes or less.");
  return {
    ...(secretString !== undefined ? { secretString } : {}),
    ...(secretBinary !== undefined ? { secretBinary } : {}),
  };
}

function tagsOf(input: Record<string, unknown>): { Key: string; Value: string }[] {
  const tags = input.Tags;
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags))
    throw new ServiceError("SerializationException", "Tags must be a list.");
  return tags.map((t: unknown) => {
    const tag = t as Record<string, unknown>;
    if (typeof tag?.Key !== "string" || tag.Key === "" || typeof (tag.Value ?? "") !== "string")
      throw invalidParameter("Each tag needs a non-empty Key and a string Value.");
    return { Key: tag.Key, Value: (tag.Value as string | undefined) ?? "" };
  });
}

/**
 * Attaches `stages` to `version`, moving each off the version that had it; when AWSCURRENT moves,
 * the version that had it gets AWSPREVIOUS, as Secrets Manager does.
 */
function attach(secret: StoredSecret, version: SecretVersion, stages: readonly string[]): void {
  const oldCurrent = secret.versions.find((v) => v.stages.includes(CURRENT));
  for (const v of secret.versions) v.stages = v.stages.filter((s) => !stages.includes(s));
  if (stages.includes(CURRENT) && oldCurrent !== undefined && oldCurrent !== version) {
    for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== PREVIOUS);
    oldCurrent.stages.push(PREVIOUS);
  }
  version.stages = [...new Set([...version.stages, ...stages])];
}

/**
 * The Secrets Manager part of a fake account: secrets with versions and staging labels, resource
 * policies and deletion with a recovery window, answering the JSON 1.1 operations keyrotate uses.
 */
export class SecretsStore {
  private readonly byName = new Map<string, StoredSecret>();

  /**
   * An empty store for the account of `scope`; `kmsKeyState` tells the state of the account's
   * declared KMS keys (a value is neither stored nor read with a disabled one).
   */
  constructor(
    private readonly scope: ServiceScope,
    private readonly kmsKeyState: (id: string) => KmsKeyState | undefined,
  ) {}

  /** Refuses to encrypt or decrypt with a KMS key that is disabled or pending deletion. */
  private checkKey(secret: StoredSecret, use: "Encryption" | "Decryption"): void {
    const id = secret.kmsKeyId;
    const state = id === undefined ? undefined : this.kmsKeyState(id);
    if (state === "Disabled" || state === "PendingDeletion")
      throw new ServiceError(
        `${use}Failure`,
        `Secrets Manager can't ${use === "Encryption" ? "encrypt" : "decrypt"} the secret value with the KMS key ${id}: the key is ${state === "Disabled" ? "disabled" : "pending deletion"}.`,
      );
  }

  /** Forgets every secret. */
  clear(): void {
    this.byName.clear();
  }

  /** Every secret (scheduled deletions included), in name order; values only with `values`. */
  secrets(options: { values?: boolean } = {}): SandboxSecret[] {
    this.purgeExpired();
    return [...this.byName.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((s) => ({
        name: s.name,
        arn: s.arn,
        ...(s.description !== undefined ? { description: s.description } : {}),
        ...(s.kmsKeyId !== undefined ? { kmsKeyId: s.kmsKeyId } : {}),
        tags: Object.fromEntries(s.tags.map((t) => [t.Key, t.Value])),
        ...(s.policy !== undefined ? { resourcePolicy: s.policy } : {}),
        createdDate: new Date(s.createdMs),
        ...(s.deletedMs !== undefined ? { deletedDate: new Date(s.deletedMs) } : {}),
        versions: s.versions.map((v) => ({
          versionId: v.versionId,
          stages: [...v.stages],
          createdDate: new Date(v.createdMs),
          ...(options.values && v.secretString !== undefined
            ? { secretString: v.secretString }
            : {}),
          ...(options.values && v.secretBinary !== undefined
            ? { secretBinary: v.secretBinary }
            : {}),
        })),
      }));
  }

  /** Runs one operation on its JSON input and returns its JSON output. */
  handle(operation: string, input: Record<string, unknown>): Record<string, unknown> {
    this.purgeExpired();
    switch (operation) {
      case "CreateSecret":
        return this.create(input);
      case "PutSecretValue":
        return this.putValue(input);
      case "GetSecretValue":
        return this.getValue(input);
      case "DescribeSecret":
        return this.describe(input);
      case "PutResourcePolicy": {
        const secret = this.live(input);
        const policy = requiredString(input, "ResourcePolicy");
        try {
          const parsed: unknown = JSON.parse(policy);
          if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
            throw new Error("not an object");
        } catch {
          throw new ServiceError(
            "MalformedPolicyDocumentException",
            "This resource policy contains a syntax error.",
          );
        }
        secret.policy = policy;
        secret.changedMs = this.scope.clock.nowMs();
        return { ARN: secret.arn, Name: secret.name };
      }
      case "GetResourcePolicy": {
        const secret = this.live(input);
        return {
          ARN: secret.arn,
          Name: secret.name,
          ...(secret.policy !== undefined ? { ResourcePolicy: secret.policy } : {}),
        };
      }
      case "DeleteResourcePolicy": {
        const secret = this.live(input);
        delete secret.policy;
        return { ARN: secret.arn, Name: secret.name };
      }
      case "UpdateSecretVersionStage":
        return this.updateStage(input);
      case "DeleteSecret":
        return this.delete(input);
      default:
        throw new ServiceError(
          "UnknownOperationException",
          `The keyrotate sandbox does not emulate secretsmanager.${operation}.`,
        );
    }
  }

  private create(input: Record<string, unknown>): Record<string, unknown> {
    const name = requiredString(input, "Name");
    if (!NAME.test(name))
      throw invalidParameter(
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
      );
    const existing = this.byName.get(name);
    if (existing?.deletedMs !== undefined)
      throw new ServiceError(
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    const value = secretValueOf(input);
    // A retry of a CreateSecret that succeeded (same token, same value) is answered as the first.
    const same = existing === undefined ? undefined : this.retried(existing, input, value);
    if (existing !== undefined && same !== undefined)
      return { ARN: existing.arn, Name: existing.name, VersionId: same.versionId };
    if (existing !== undefined)
      throw new ServiceError(
        "ResourceExistsException",
        `The operation failed because the secret ${name} already exists.`,
      );
    const now = this.scope.clock.nowMs();
    const description = optionalString(input, "Description");
    const kmsKeyId = optionalString(input, "KmsKeyId");
    const secret: StoredSecret = {
      name,
      arn: arnIn(
        this.scope,
        "secretsmanager",
        `secret:${name}-${this.scope.ids.secretArnSuffix()}`,
      ),
      ...(description !== undefined ? { description } : {}),
      ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
      tags: tagsOf(input),
      createdMs: now,
      changedMs: now,
      versions: [],
    };
    const hasValue = value.secretString !== undefined || value.secretBinary !== undefined;
    if (hasValue) this.addVersion(secret, input, value, [CURRENT]);
    this.byName.set(name, secret);
    const version = secret.versions[0];
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(version !== undefined ? { VersionId: version.versionId } : {}),
    };
  }

  private putValue(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.live(input);
    const value = secretValueOf(input);
    if (value.secretString === undefined && value.secretBinary === undefined)
      throw invalidParameter("You must provide either SecretString or SecretBinary.");
    const stagesInput = input.VersionStages;
    if (
      stagesInput !== undefined &&
      (!Array.isArray(stagesInput) ||
        stagesInput.length === 0 ||
        !stagesInput.every((s) => typeof s === "string" && s !== ""))
    )
      throw invalidParameter("VersionStages must be a non-empty list of staging labels.");
    const stages = (stagesInput as string[] | undefined) ?? [CURRENT];
    const same = this.retried(secret, input, value);
    if (same !== undefined)
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: same.versionId,
        VersionStages: [...same.stages],
      };
    const version = this.addVersion(secret, input, value, stages);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
    };
  }

  /**
   * Adds a version holding `stages`, moving each label off the version that had it; when
   * AWSCURRENT moves, the version that had it becomes AWSPREVIOUS, as Secrets Manager does.
   */
  private addVersion(
    secret: StoredSecret,
    input: Record<string, unknown>,
    value: { secretString?: string; secretBinary?: string },
    stages: string[],
  ): SecretVersion {
    this.checkKey(secret, "Encryption");
    const now = this.scope.clock.nowMs();
    const versionId = optionalString(input, "ClientRequestToken") ?? this.scope.ids.uuid();
    if (versionId.length < 32 || versionId.length > 64)
      throw invalidParameter("ClientRequestToken must be 32 to 64 characters long.");
    const version: SecretVersion = { versionId, ...value, stages: [], createdMs: now };
    secret.versions.push(version);
    attach(secret, version, stages);
    // Versions with no label are deprecated; AWS keeps about 100 of them, the sandbox 100 too.
    const unlabelled = secret.versions.filter((v) => v.stages.length === 0);
    if (unlabelled.length > 100) {
      const drop = new Set(unlabelled.slice(0, unlabelled.length - 100));
      secret.versions = secret.versions.filter((v) => !drop.has(v));
    }
    secret.changedMs = now;
    return version;
  }

  /**
   * The version a retried request made, when its `ClientRequestToken` is already a VersionId
   * of `secret` with the same value (the retry is then ignored, as AWS ignores it); a version
   * with that id and another value is `ResourceExistsException`.
   */
  private retried(
    secret: StoredSecret,
    input: Record<string, unknown>,
    value: { secretString?: string; secretBinary?: string },
  ): SecretVersion | undefined {
    const token = optionalString(input, "ClientRequestToken");
    const same =
      token === undefined ? undefined : secret.versions.find((v) => v.versionId === token);
    if (
      same !== undefined &&
      (same.secretString !== value.secretString || same.secretBinary !== value.secretBinary)
    )
      throw new ServiceError(
        "ResourceExistsException",
        `You can't modify an existing version, you can only create a new version. VersionId ${token} exists with a different value.`,
      );
    return same;
  }

  /** Moves a staging label to `MoveToVersionId`, or removes it from `RemoveFromVersionId`. */
  private updateStage(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.live(input);
    const stage = requiredString(input, "VersionStage");
    const version = (field: string): SecretVersion | undefined => {
      const id = optionalString(input, field);
      if (id === undefined) return undefined;
      const found = secret.versions.find((v) => v.versionId === id);
      if (found === undefined)
        throw new ServiceError(
          "ResourceNotFoundException",
          `Secrets Manager can't find the specified secret value for VersionId: ${id}`,
        );
      return found;
    };
    const moveTo = version("MoveToVersionId");
    const removeFrom = version("RemoveFromVersionId");
    const holder = secret.versions.find((v) => v.stages.includes(stage));
    if (moveTo === undefined && removeFrom === undefined)
      throw invalidParameter("You must specify MoveToVersionId or RemoveFromVersionId.");
    if (holder !== undefined && holder !== moveTo && holder !== removeFrom)
      throw invalidParameter(
        `The staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    if (removeFrom !== undefined && holder !== removeFrom)
      throw invalidParameter(
        `The staging label ${stage} is not attached to version ${removeFrom.versionId}.`,
      );
    if (moveTo !== undefined) attach(secret, moveTo, [stage]);
    else if (removeFrom !== undefined) {
      if (stage === CURRENT)
        throw invalidParameter("You can't remove AWSCURRENT without moving it to another version.");
      removeFrom.stages = removeFrom.stages.filter((s) => s !== stage);
    }
    secret.changedMs = this.scope.clock.nowMs();
    return { ARN: secret.arn, Name: secret.name };
  }

  private getValue(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.live(input);
    const versionId = optionalString(input, "VersionId");
    const stage = optionalString(input, "VersionStage");
    const version =
      versionId !== undefined
        ? secret.versions.find((v) => v.versionId === versionId)
        : secret.versions.find((v) => v.stages.includes(stage ?? CURRENT));
    if (version === undefined || (stage !== undefined && !version.stages.includes(stage)))
      throw new ServiceError(
        "ResourceNotFoundException",
        versionId !== undefined
          ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
          : `Secrets Manager can't find the specified secret value for staging label: ${stage ?? CURRENT}`,
      );
    this.checkKey(secret, "Decryption");
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: epochSeconds(version.createdMs),
    };
  }

  private describe(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.find(input);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
      CreatedDate: epochSeconds(secret.createdMs),
      LastChangedDate: epochSeconds(secret.changedMs),
      ...(secret.deletedMs !== undefined ? { DeletedDate: epochSeconds(secret.deletedMs) } : {}),
      ...(secret.tags.length > 0 ? { Tags: secret.tags.map((t) => ({ ...t })) } : {}),
      VersionIdsToStages: Object.fromEntries(
        secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, [...v.stages]]),
      ),
    };
  }

  private delete(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.find(input);
    const force = input.ForceDeleteWithoutRecovery;
    const window = input.RecoveryWindowInDays;
    if (force !== undefined && force !== null && typeof force !== "boolean")
      throw new ServiceError(
        "SerializationException",
        "ForceDeleteWithoutRecovery must be a boolean.",
      );
    if (force === true && window !== undefined && window !== null)
      throw invalidParameter(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    if (
      window !== undefined &&
      window !== null &&
      !(Number.isInteger(window) && (window as number) >= 7 && (window as number) <= 30)
    )
      throw invalidParameter(
        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
      );
    const now = this.scope.clock.nowMs();
    if (force === true) {
      this.byName.delete(secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(now) };
    }
    if (secret.deletedMs !== undefined) throw markedForDeletion();
    secret.deletedMs = now;
    secret.deletionMs = now + ((window as number | undefined) ?? 30) * DAY_MS;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(secret.deletionMs) };
  }

  /** The secret a `SecretId` (name or full ARN) names, scheduled for deletion or not. */
  private find(input: Record<string, unknown>): StoredSecret {
    const id = requiredString(input, "SecretId");
    const secret = id.startsWith("arn:")
      ? [...this.byName.values()].find((s) => s.arn === id)
      : this.byName.get(id);
    if (secret === undefined) throw notFound();
    return secret;
  }

  /** The secret a `SecretId` names, refused when it is scheduled for deletion. */
  private live(input: Record<string, unknown>): StoredSecret {
    const secret = this.find(input);
    if (secret.deletedMs !== undefined) throw markedForDeletion();
    return secret;
  }

  /** Removes the secrets whose recovery window has passed on the sandbox clock. */
  private purgeExpired(): void {
    const now = this.scope.clock.nowMs();
    for (const [name, s] of this.byName)
      if (s.deletionMs !== undefined && s.deletionMs <= now) this.byName.delete(name);
  }
}
