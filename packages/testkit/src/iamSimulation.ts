import {
  anonymousPrincipal,
  isWildcardOnlyAction,
  runSimulation,
  type Simulation,
  type SimulationRequestPrincipal,
} from "@cloud-copilot/iam-simulate";
import type { Json } from "./cfn.js";

/** What the offline IAM simulator decides for one request. */
export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** One request to simulate: who, what, on which resource, and the policies in force. */
export interface SimulatedRequest {
  readonly principal: SimulationRequestPrincipal;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  readonly context?: Record<string, string | string[]>;
  readonly identityPolicies: Array<{ name: string; policy: Json }>;
  /** A bucket, key or trust policy. */
  readonly resourcePolicy?: Json;
}

/** TLS over HTTPS: what every legitimate request uses. */
const secure = { "aws:SecureTransport": "true" };

/**
 * Evaluates a request with `@cloud-copilot/iam-simulate`: identity policies together with a
 * resource policy (S3 with Block Public Access on). Throws when the simulator cannot evaluate it,
 * so that a malformed policy never reads as a denial.
 */
export const simulate = async (request: SimulatedRequest): Promise<Decision> => {
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: { ...secure, ...request.context },
    },
    identityPolicies: request.principal === anonymousPrincipal ? [] : request.identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy === undefined ? {} : { resourcePolicy: request.resourcePolicy }),
    ...(request.action.startsWith("s3:")
      ? { additionalSettings: { s3: { blockPublicAccess: true } } }
      : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === "error") {
    throw new Error(`${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
};

/** Where a run happens: its account, credentials bucket, sender and the sender's region. */
export interface RunPlace {
  readonly account: string;
  readonly bucket: string;
  readonly sender: string;
  readonly region: string;
}

/**
 * The resource (and request context) a keyrotate run's request for `action` is made on: a user
 * for IAM, a credentials file or the run lease for S3, the sender's identity for SES, `*` for an
 * action that takes no resource. Throws for an action a run does not make.
 */
export const runResourceOf = async (
  action: string,
  place: RunPlace,
): Promise<{ resource: string; context?: Record<string, string | string[]> }> => {
  const [service = "", name = ""] = action.split(":");
  const user = `arn:aws:iam::${place.account}:user/alice`;
  const object = (key: string) => `arn:aws:s3:::${place.bucket}/${key}`;
  if (await isWildcardOnlyAction(service, name)) return { resource: "*" };
  if (action === "iam:TagUser" || action === "iam:UntagUser") {
    return { resource: user, context: { "aws:TagKeys": ["key-rotation-state"] } };
  }
  if (service === "iam") return { resource: user };
  if (action === "s3:GetObject") return { resource: object("keyrotate/lease.json") };
  if (service === "s3")
    return { resource: object("credential/alice/alice_AKIAEXAMPLE000000001.csv") };
  if (service === "ses")
    return {
      resource: `arn:aws:ses:${place.region}:${place.account}:identity/${place.sender}`,
      context: { "ses:FromAddress": place.sender },
    };
  if (service === "secretsmanager")
    // A secret's ARN: its name and the six random characters Secrets Manager appends.
    return {
      resource: `arn:aws:secretsmanager:${place.region}:${place.account}:secret:keyrotate/alice-AbCdEf`,
    };
  throw new Error(`no test resource for ${action}`);
};
