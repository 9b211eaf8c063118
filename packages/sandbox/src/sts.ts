import type { Account } from "./account.js";
import { missingParameter, ServiceError } from "./errors.js";
import type { OrgAccount, StsSession } from "./organizations.js";
import type { QueryParams } from "./query.js";
import { isoSeconds, node, text } from "./xml.js";

/** The STS Query API version. */
export const STS_VERSION = "2011-06-15";
/** The XML namespace of STS responses. */
export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

/** The STS actions the sandbox answers. */
export const STS_ACTIONS = new Set(["AssumeRole", "GetCallerIdentity"]);

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
// A role's default MaxSessionDuration.
const MAX_SESSION_SECONDS = 3600;

/** Who signed a request: the account and the principal's ARN. */
export interface StsCaller {
  readonly account: Account;
  readonly arn: string;
  readonly userId: string;
}

/** The principal behind an access key of `account`: a session, an IAM user or the admin. */
export function callerOf(
  account: Account,
  accessKeyId: string | undefined,
  session: StsSession | undefined,
): StsCaller {
  if (session)
    return {
      account,
      arn: `arn:aws:sts::${account.accountId}:assumed-role/${session.roleName}/${session.sessionName}`,
      userId: `AROA${account.accountId}:${session.sessionName}`,
    };
  const key = accessKeyId === undefined ? undefined : account.iam.findKey(accessKeyId);
  if (key) return { account, arn: key.user.arn, userId: key.user.userId };
  return {
    account,
    arn: `arn:aws:iam::${account.accountId}:user/sandbox-admin`,
    userId: `AIDASANDBOXADMIN${account.accountId.slice(-4)}`,
  };
}

const denied = (caller: StsCaller, roleArn: string): ServiceError =>
  new ServiceError(
    "AccessDenied",
    `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    403,
  );

/**
 * Answers an STS call. `AssumeRole` issues temporary credentials of the role's account when
 * the role exists there, trusts the caller's account, and the external id matches the one its
 * trust policy requires; a SUSPENDED account refuses. Anything else is `AccessDenied`.
 */
export function handleSts(
  management: Account,
  caller: StsCaller,
  operation: string,
  params: QueryParams,
): string {
  if (operation === "GetCallerIdentity")
    return (
      text("Arn", caller.arn) +
      text("UserId", caller.userId) +
      text("Account", caller.account.accountId)
    );
  const roleArn = params.get("RoleArn");
  if (roleArn === undefined) throw missingParameter("RoleArn");
  const sessionName = params.get("RoleSessionName");
  if (sessionName === undefined) throw missingParameter("RoleSessionName");
  const match = ROLE_ARN.exec(roleArn);
  if (!match) throw new ServiceError("ValidationError", `${roleArn} is invalid`, 400);
  if (!SESSION_NAME.test(sessionName))
    throw new ServiceError(
      "ValidationError",
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      400,
    );
  const externalId = params.get("ExternalId");
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId))
    throw new ServiceError(
      "ValidationError",
      "1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224 and match [\\w+=,.@:/-]*",
      400,
    );
  const durationText = params.get("DurationSeconds");
  const duration = durationText === undefined ? 3600 : Number(durationText);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200)
    throw new ServiceError(
      "ValidationError",
      `1 validation error detected: Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
      400,
    );
  const [, accountId, roleName] = match as unknown as [string, string, string];
  const org = management.organization;
  const target: OrgAccount | undefined = org?.account(accountId);
  const role = target?.role;
  if (
    target === undefined ||
    role === undefined ||
    role.name !== roleName ||
    target.status !== "ACTIVE" ||
    !role.trustedAccountIds.includes(caller.account.accountId) ||
    (role.externalId !== undefined && role.externalId !== externalId)
  ) {
    throw denied(caller, roleArn);
  }
  if (duration > MAX_SESSION_SECONDS)
    throw new ServiceError(
      "ValidationError",
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      400,
    );
  const material = (org as NonNullable<typeof org>).sessionMaterial();
  const expirationMs = management.clock.nowMs() + duration * 1000;
  (org as NonNullable<typeof org>).addSession({
    ...material,
    expirationMs,
    account: target.state,
    roleName,
    sessionName,
  });
  return (
    node(
      "Credentials",
      text("AccessKeyId", material.accessKeyId),
      text("SecretAccessKey", material.secretAccessKey),
      text("SessionToken", material.sessionToken),
      text("Expiration", isoSeconds(expirationMs)),
    ) +
    node(
      "AssumedRoleUser",
      text("AssumedRoleId", `AROA${accountId}:${sessionName}`),
      text("Arn", `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`),
    )
  );
}
