import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Account } from "./account.js";
import { ServiceError } from "./errors.js";
import type { EmulatedService, FaultDecision } from "./faults.js";
import type { HttpResult } from "./http-result.js";
import { IAM_ACTIONS } from "./iam/actions.js";
import { handleInspection } from "./inspect.js";
import type { StsSession } from "./organizations.js";
import {
  handleOrganizations,
  jsonError,
  jsonResult,
  ORGANIZATIONS_TARGET,
  readInput,
} from "./organizations-api.js";
import { QUERY_NAMESPACES, QueryParams, queryErrorResponse, queryResponse } from "./query.js";
import { s3ErrorResult } from "./s3/errors.js";
import { parseS3Path, s3Operation } from "./s3/routing.js";
import { SECRETS_MANAGER_TARGET } from "./secrets-manager.js";
import { SES_ACTIONS } from "./ses.js";
import { readSigningInfo, type SigningInfo } from "./sigv4.js";
import { SNS_ACTIONS, SNS_VERSION } from "./sns.js";
import { SSM_TARGET } from "./ssm.js";
import { callerOf, handleSts, STS_ACTIONS, STS_NAMESPACE, STS_VERSION } from "./sts.js";
import { XML_DECLARATION } from "./xml.js";

/**
 * The credentials `env()` and `clientConfig()` hand out: the account's administrator.
 * They belong to no IAM user, so they never show up in listings or the credential report.
 */
export const ADMIN_CREDENTIALS = {
  accessKeyId: "AKIASANDBOXADMIN0001",
  secretAccessKey: "sandbox+admin+secret+key+for+local+use+0",
} as const;

const MAX_BODY_BYTES = 256 * 1024 * 1024;
const QUERY_VERSIONS = { iam: "2010-05-08", ses: "2010-12-01", sns: SNS_VERSION } as const;
const QUERY_ACTIONS: Record<QueryService, { has(action: string): boolean }> = {
  iam: IAM_ACTIONS,
  ses: SES_ACTIONS,
  sns: SNS_ACTIONS,
};
type QueryService = keyof typeof QUERY_VERSIONS;
const isQueryService = (service: string): service is QueryService => service in QUERY_VERSIONS;

/** The services answered in JSON (JSON 1.1 or REST JSON), whose errors are JSON too. */
const JSON_SERVICES: ReadonlySet<string> = new Set([
  "organizations",
  "secretsmanager",
  "securityhub",
  "ssm",
]);

/** Security Hub's REST routes the sandbox answers, by `METHOD path`. */
const SECURITY_HUB_ROUTES: Readonly<Record<string, string>> = {
  "POST /findings/import": "BatchImportFindings",
  "POST /findings": "GetFindings",
  "PATCH /findings/batchupdate": "BatchUpdateFindings",
};

/** The operation a JSON 1.1 request names in `X-Amz-Target: <prefix>.<Operation>`. */
function targetOperation(req: IncomingMessage, prefix: string): string {
  const target = req.headers["x-amz-target"];
  return typeof target === "string" && target.startsWith(`${prefix}.`)
    ? target.slice(prefix.length + 1)
    : "MissingTarget";
}

type Routed =
  | { service: EmulatedService; operation: string }
  | { service: string; operation: string; unsupported: true };

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(
          new ServiceError(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            400,
          ),
        );
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Which service a request is for: the SigV4 scope first (as LocalStack and moto do),
 * then the Host name, then the shape of the request (a Query `Action` or else S3 REST).
 */
export function routeService(
  signing: SigningInfo | undefined,
  req: IncomingMessage,
  body: Buffer,
): string {
  if (signing) return signing.service === "email" ? "ses" : signing.service;
  const host = req.headers.host ?? "";
  if (host.startsWith("iam.")) return "iam";
  if (host.startsWith("email.")) return "ses";
  if (host.startsWith("sts.")) return "sts";
  if (host.startsWith("organizations.")) return "organizations";
  for (const service of ["secretsmanager", "securityhub", "sns", "ssm"])
    if (host.startsWith(`${service}.`)) return service;
  const target = req.headers["x-amz-target"];
  if (typeof target === "string" && target.startsWith(`${ORGANIZATIONS_TARGET}.`))
    return "organizations";
  if (typeof target === "string" && target.startsWith(`${SECRETS_MANAGER_TARGET}.`))
    return "secretsmanager";
  if (typeof target === "string" && target.startsWith(`${SSM_TARGET}.`)) return "ssm";
  const form = (req.headers["content-type"] ?? "").includes("x-www-form-urlencoded");
  if (req.method === "POST" && form) {
    const version = new URLSearchParams(body.toString("utf8")).get("Version");
    if (version === STS_VERSION) return "sts";
    return (
      (Object.keys(QUERY_VERSIONS) as QueryService[]).find((s) => QUERY_VERSIONS[s] === version) ??
      "iam"
    );
  }
  return "s3";
}

function send(res: ServerResponse, result: HttpResult): void {
  if (res.headersSent || res.destroyed) return;
  const body = typeof result.body === "string" ? Buffer.from(result.body, "utf8") : result.body;
  const headers: Record<string, string> = { ...result.headers };
  if (headers["content-length"] === undefined) headers["content-length"] = String(body.length);
  res.writeHead(result.status, headers);
  res.end(body);
}

function resetConnection(socket: Socket): void {
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
  else socket.destroy();
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

function queryResult(status: number, xml: string, requestId: string): HttpResult {
  return {
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: XML_DECLARATION + xml,
  };
}

function queryError(service: string, err: ServiceError, requestId: string): HttpResult {
  const ns =
    service === "sts" ? STS_NAMESPACE : QUERY_NAMESPACES[isQueryService(service) ? service : "iam"];
  return queryResult(
    err.status,
    queryErrorResponse(ns, { type: err.type, code: err.code, message: err.message }, requestId),
    requestId,
  );
}

function errorResult(
  service: string,
  method: string,
  err: ServiceError,
  requestId: string,
  resource: string,
): HttpResult {
  if (service === "s3") {
    const result = s3ErrorResult(err, method, requestId, resource);
    result.headers["x-amz-request-id"] = requestId;
    return result;
  }
  if (JSON_SERVICES.has(service)) return jsonError(err, requestId);
  return queryError(service, err, requestId);
}

function authError(service: string): ServiceError {
  if (service === "s3")
    return new ServiceError(
      "InvalidAccessKeyId",
      "The AWS Access Key Id you provided does not exist in our records.",
      403,
    );
  const message = "The security token included in the request is invalid.";
  return JSON_SERVICES.has(service)
    ? new ServiceError("UnrecognizedClientException", message, 400)
    : new ServiceError("InvalidClientTokenId", message, 403);
}

/**
 * The request handler behind the sandbox's single endpoint: routes by service, counts the call,
 * applies faults, records key use and answers in each service's wire format.
 */
export class SandboxServer {
  /** The underlying node:http server. */
  readonly http: Server;

  /** Builds a server for `account` (not yet listening). */
  constructor(private readonly account: Account) {
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        console.error("[sandbox] unexpected error:", err);
        send(
          res,
          queryError(
            "iam",
            new ServiceError("InternalFailure", "The sandbox hit an unexpected error.", 500),
            "0",
          ),
        );
      });
    });
    this.http.keepAliveTimeout = 5_000;
  }

  /** Starts listening and resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, host, () => {
        this.http.off("error", reject);
        const address = this.http.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  /** Stops accepting connections and closes open ones. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  /**
   * The account a request is served from: a member's when signed with its administrator
   * credentials, one of its users' keys or an STS session into it; else the default account.
   */
  private resolve(signing: SigningInfo | undefined): { account: Account; session?: StsSession } {
    const org = this.account.organization;
    if (signing === undefined || org === undefined || !org.exists) return { account: this.account };
    return org.stateForKey(signing.accessKeyId) ?? { account: this.account };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const management = this.account;
    const url = new URL(req.url ?? "/", "http://sandbox.local");
    const requestId = management.requestIds.uuid();
    const method = req.method ?? "GET";
    if (url.pathname === "/_sandbox" || url.pathname.startsWith("/_sandbox/")) {
      send(res, await handleInspection(management, method, url, () => readBody(req)));
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof ServiceError)
        send(res, errorResult("s3", method, err, requestId, url.pathname));
      return;
    }
    const signing = readSigningInfo(req.headers, url.searchParams);
    const service = routeService(signing, req, body);
    const { account, session } = this.resolve(signing);
    if (session !== undefined && session.expirationMs <= management.clock.nowMs()) {
      account.calls.record(`${service}:ExpiredToken`);
      const expired = new ServiceError(
        "ExpiredToken",
        "The security token included in the request is expired",
        service === "s3" ? 400 : 403,
      );
      send(res, errorResult(service, method, expired, requestId, url.pathname));
      return;
    }
    if (service === "organizations" || service === "sts") {
      send(
        res,
        this.handleOrgService(service, account, session, signing, req, url, body, requestId),
      );
      return;
    }
    let routed: Routed;
    let params: QueryParams | undefined;
    let s3Path: ReturnType<typeof parseS3Path> | undefined;
    try {
      if (service === "s3") {
        s3Path = parseS3Path(url.pathname);
        routed = {
          service,
          operation: s3Operation({
            method,
            ...s3Path,
            query: url.searchParams,
            headers: req.headers,
          }),
        };
      } else if (service === "secretsmanager") {
        routed = { service, operation: targetOperation(req, SECRETS_MANAGER_TARGET) };
      } else if (service === "ssm") {
        routed = { service, operation: targetOperation(req, SSM_TARGET) };
      } else if (service === "securityhub") {
        const route = `${method} ${url.pathname.replace(/\/+$/, "")}`;
        routed = { service, operation: SECURITY_HUB_ROUTES[route] ?? "UnknownOperation" };
      } else {
        params = new QueryParams(body.toString("utf8"), url.searchParams);
        const operation = params.get("Action") ?? "MissingAction";
        routed = isQueryService(service)
          ? { service, operation }
          : { service, operation, unsupported: true };
      }
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      account.calls.record(`${service}:InvalidRequest`);
      send(res, errorResult(service, method, err, requestId, url.pathname));
      return;
    }
    account.calls.record(`${routed.service}:${routed.operation}`);
    if ("unsupported" in routed) {
      const err = new ServiceError(
        "InvalidAction",
        `The keyrotate sandbox does not emulate the ${routed.service} service.`,
        400,
      );
      send(res, queryError(routed.service, err, requestId));
      return;
    }
    const delay = account.faults.delayMs();
    const decision: FaultDecision = account.faults.decide(routed.service, routed.operation);
    await sleep(delay);
    if (decision.kind === "reset") {
      resetConnection(req.socket);
      return;
    }
    try {
      if (decision.kind === "error")
        throw new ServiceError(decision.code, decision.message, decision.status);
      this.authenticate(account, signing, routed.service);
      send(
        res,
        this.dispatch(
          account,
          routed.service,
          routed.operation,
          method,
          params,
          s3Path,
          url,
          req,
          body,
          requestId,
          signing,
        ),
      );
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      send(res, errorResult(routed.service, method, err, requestId, url.pathname));
    }
  }

  /** Refuses requests signed with a deactivated or deleted key; records the use of a live one. */
  private authenticate(
    account: Account,
    signing: SigningInfo | undefined,
    service: EmulatedService,
  ): void {
    if (!signing) return;
    const iam = account.iam;
    const key = iam.findKey(signing.accessKeyId);
    if (iam.isRetiredKey(signing.accessKeyId) || key?.status === "Inactive")
      throw authError(service);
    if (key) key.lastUsed = { date: account.clock.nowMs(), region: signing.region, service };
  }

  /** STS (Query) and Organizations (JSON 1.1) calls, which span accounts. */
  private handleOrgService(
    service: "sts" | "organizations",
    account: Account,
    session: StsSession | undefined,
    signing: SigningInfo | undefined,
    req: IncomingMessage,
    url: URL,
    body: Buffer,
    requestId: string,
  ): HttpResult {
    const management = this.account;
    if (service === "organizations") {
      const operation = targetOperation(req, ORGANIZATIONS_TARGET);
      account.calls.record(`organizations:${operation}`);
      try {
        return jsonResult(
          200,
          handleOrganizations(management, account, operation, body),
          requestId,
        );
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        return jsonError(err, requestId);
      }
    }
    let operation = "InvalidRequest";
    try {
      const params = new QueryParams(body.toString("utf8"), url.searchParams);
      operation = params.get("Action") ?? "MissingAction";
      account.calls.record(`sts:${operation}`);
      const version = params.get("Version");
      if (!STS_ACTIONS.has(operation) || (version !== undefined && version !== STS_VERSION))
        throw new ServiceError(
          "InvalidAction",
          `Could not find operation ${operation} for version ${version ?? STS_VERSION}`,
          400,
        );
      const caller = callerOf(account, signing?.accessKeyId, session);
      const result = handleSts(management, caller, operation, params);
      return queryResult(
        200,
        queryResponse(operation, STS_NAMESPACE, result, requestId),
        requestId,
      );
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      return queryError("sts", err, requestId);
    }
  }

  private dispatch(
    account: Account,
    service: EmulatedService,
    operation: string,
    method: string,
    params: QueryParams | undefined,
    s3Path: ReturnType<typeof parseS3Path> | undefined,
    url: URL,
    req: IncomingMessage,
    body: Buffer,
    requestId: string,
    signing: SigningInfo | undefined,
  ): HttpResult {
    if (service === "s3") {
      const result = account.s3.handle(operation, {
        method,
        bucket: s3Path?.bucket,
        key: s3Path?.key,
        query: url.searchParams,
        headers: req.headers,
        body,
      });
      result.headers["x-amz-request-id"] = requestId;
      result.headers["x-amz-id-2"] = Buffer.from(requestId).toString("base64");
      return result;
    }
    if (service === "secretsmanager")
      return jsonResult(200, account.secrets.handle(operation, readInput(body)), requestId);
    if (service === "ssm")
      return jsonResult(200, account.ssm.handle(operation, readInput(body)), requestId);
    if (service === "securityhub") {
      const result = jsonResult(
        200,
        account.securityHub.handle(operation, readInput(body)),
        requestId,
      );
      result.headers["content-type"] = "application/json";
      return result;
    }
    const q = params as QueryParams;
    if (operation === "MissingAction") {
      throw new ServiceError(
        "MissingAction",
        "The request is missing an action or a required parameter.",
        400,
      );
    }
    const version = q.get("Version");
    const known = QUERY_ACTIONS[service].has(operation);
    if (!known || (version !== undefined && version !== QUERY_VERSIONS[service])) {
      throw new ServiceError(
        "InvalidAction",
        `Could not find operation ${operation} for version ${version ?? QUERY_VERSIONS[service]}`,
        400,
      );
    }
    let result: string | null;
    if (service === "iam") {
      const action = IAM_ACTIONS.get(operation) as NonNullable<ReturnType<typeof IAM_ACTIONS.get>>;
      result = action(q, {
        store: account.iam,
        clock: account.clock,
        caller: signing,
        reportGenerationMs: account.reportGenerationMs,
        consistency: {
          delayMs: account.faults.consistencyDelayMs(),
          now: { sandboxMs: account.clock.nowMs(), realMs: Date.now() },
        },
      });
    } else {
      result =
        service === "ses" ? account.ses.handle(operation, q) : account.sns.handle(operation, q);
    }
    return queryResult(
      200,
      queryResponse(operation, QUERY_NAMESPACES[service], result, requestId),
      requestId,
    );
  }
}
