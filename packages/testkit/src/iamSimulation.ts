import {
  anonymousPrincipal,
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
