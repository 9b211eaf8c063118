import type { Account } from "./account.js";
import { FaultSettingsError, parseFaultSettings } from "./faults.js";
import type { HttpResult } from "./http-result.js";
import { reportState, reportTime } from "./iam/credential-report.js";
import { ScenarioError } from "./scenario.js";

/** An error answered as JSON `{ "error": …, "problems"?: […] }` with an HTTP status. */
class InspectionError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems?: string[],
  ) {
    super(message);
  }
}

function json(status: number, value: unknown): HttpResult {
  return {
    status,
    headers: { "content-type": "application/json" },
    body: `${JSON.stringify(value, null, 2)}\n`,
  };
}

async function readJson(readBody: () => Promise<Buffer>): Promise<unknown> {
  const text = (await readBody()).toString("utf8").trim();
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InspectionError(400, `invalid JSON body: ${(e as Error).message}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const ENDPOINTS = {
  "GET /_sandbox/emails": "emails sent through SES",
  "GET /_sandbox/secrets?values=1": "Secrets Manager secrets (values only with values=1)",
  "GET /_sandbox/findings": "Security Hub findings",
  "GET /_sandbox/sns": "messages published to SNS topics",
  "GET /_sandbox/objects?bucket=B&content=1": "S3 objects (metadata; content with content=1)",
  "GET /_sandbox/iam?secrets=1": "IAM users with tags and keys (secrets only with secrets=1)",
  "GET /_sandbox/key-events": "every access key creation, status change and deletion, in order",
  "GET /_sandbox/calls": "request counts per service:Operation",
  "DELETE /_sandbox/calls": "reset the request counts",
  "GET /_sandbox/clock": "the sandbox time",
  "POST /_sandbox/clock": '{"now": ISO} | {"advanceDays": n} | {"advanceMs": n}',
  "GET /_sandbox/faults": "current fault settings",
  "POST /_sandbox/faults": "replace the fault settings",
  "POST /_sandbox/reset": "empty account, calls and faults cleared",
  "POST /_sandbox/seed": "add a scenario to the account",
};

function iamView(account: Account, options: { withSecrets: boolean }): unknown {
  const report = account.iam.report;
  const state = reportState(report, account.clock.nowMs(), Date.now());
  const users = [];
  for (const u of account.iam.users.values()) {
    users.push({
      name: u.name,
      path: u.path,
      arn: u.arn,
      userId: u.userId,
      createDate: new Date(u.createDate).toISOString(),
      tags: [...u.tags.values()],
      keys: u.keys.map((k) => ({
        accessKeyId: k.accessKeyId,
        ...(options.withSecrets ? { secretAccessKey: k.secretAccessKey } : {}),
        status: k.status,
        createDate: new Date(k.createDate).toISOString(),
        lastUsed: k.lastUsed
          ? {
              date: new Date(k.lastUsed.date).toISOString(),
              region: k.lastUsed.region,
              service: k.lastUsed.service,
            }
          : null,
      })),
    });
  }
  return {
    accountId: account.iam.accountId,
    credentialReport: report ? { state, generatedTime: reportTime(report.generatedMs) } : { state },
    users,
  };
}

function clockChange(account: Account, body: unknown): void {
  if (!isRecord(body))
    throw new InspectionError(
      400,
      'clock body must be {"now": ISO}, {"advanceDays": n} or {"advanceMs": n}',
    );
  const keys = Object.keys(body);
  if (keys.length !== 1 || !["now", "advanceDays", "advanceMs"].includes(keys[0] as string)) {
    throw new InspectionError(
      400,
      'clock body must have exactly one of "now", "advanceDays", "advanceMs"',
    );
  }
  try {
    if (body.now !== undefined) {
      if (typeof body.now !== "string") throw new RangeError("now must be an ISO 8601 string");
      account.clock.set(body.now);
    } else if (body.advanceDays !== undefined)
      account.clock.advanceDays(body.advanceDays as number);
    else account.clock.advanceMs(body.advanceMs as number);
  } catch (e) {
    throw new InspectionError(400, (e as Error).message);
  }
}

/**
 * Serves the JSON inspection and control API under `/_sandbox/` on the same port as AWS.
 * Demos and tests in other languages can see and steer the sandbox without the TypeScript API.
 */
export async function handleInspection(
  account: Account,
  method: string,
  url: URL,
  readBody: () => Promise<Buffer>,
): Promise<HttpResult> {
  const route = url.pathname.replace(/\/+$/, "");
  const q = url.searchParams;
  const allow = (...methods: string[]) => {
    if (!methods.includes(method)) {
      throw new InspectionError(
        405,
        `${method} is not allowed on ${route}; use ${methods.join(" or ")}`,
      );
    }
  };
  try {
    switch (route) {
      case "/_sandbox":
        allow("GET");
        return json(200, { endpoints: ENDPOINTS });
      case "/_sandbox/emails":
        allow("GET");
        return json(200, { emails: account.ses.emails() });
      case "/_sandbox/secrets":
        allow("GET");
        return json(200, {
          secrets: account.secrets.secrets({
            values: q.get("values") === "1" || q.get("values") === "true",
          }),
        });
      case "/_sandbox/findings":
        allow("GET");
        return json(200, { findings: account.securityHub.findings() });
      case "/_sandbox/sns":
        allow("GET");
        return json(200, { messages: account.sns.messages() });
      case "/_sandbox/objects": {
        allow("GET");
        const withContent = q.get("content") === "1" || q.get("content") === "true";
        const objects = account.s3
          .objects(q.get("bucket") ?? undefined)
          .map(({ body, ...meta }) => ({
            ...meta,
            size: body.length,
            ...(withContent
              ? { content: body.toString("utf8"), contentBase64: body.toString("base64") }
              : {}),
          }));
        return json(200, { objects });
      }
      case "/_sandbox/iam":
        allow("GET");
        return json(
          200,
          iamView(account, {
            withSecrets: q.get("secrets") === "1" || q.get("secrets") === "true",
          }),
        );
      case "/_sandbox/key-events":
        allow("GET");
        return json(200, {
          keyEvents: account.iam
            .keyEvents()
            .map((e) => ({ ...e, time: new Date(e.time).toISOString() })),
        });
      case "/_sandbox/calls":
        allow("GET", "DELETE");
        if (method === "DELETE") account.calls.reset();
        return json(200, { calls: account.calls.snapshot() });
      case "/_sandbox/clock":
        allow("GET", "POST");
        if (method === "POST") clockChange(account, await readJson(readBody));
        return json(200, { now: account.clock.now().toISOString() });
      case "/_sandbox/faults":
        allow("GET", "POST");
        if (method === "POST") {
          const body = await readJson(readBody);
          try {
            account.faults.set(parseFaultSettings(body));
          } catch (e) {
            if (e instanceof FaultSettingsError)
              throw new InspectionError(400, "invalid fault settings", e.problems);
            throw e;
          }
        }
        return json(200, { faults: account.faults.get() });
      case "/_sandbox/reset":
        allow("POST");
        account.reset();
        return json(200, { reset: true, now: account.clock.now().toISOString() });
      case "/_sandbox/seed": {
        allow("POST");
        const body = await readJson(readBody);
        try {
          account.seed(body);
        } catch (e) {
          if (e instanceof ScenarioError)
            throw new InspectionError(400, "invalid scenario", e.problems);
          throw e;
        }
        return json(200, {
          seeded: true,
          users: account.iam.users.size,
          now: account.clock.now().toISOString(),
        });
      }
      default:
        throw new InspectionError(404, `no such sandbox endpoint: ${route}`);
    }
  } catch (e) {
    if (e instanceof InspectionError) {
      return json(e.status, { error: e.message, ...(e.problems ? { problems: e.problems } : {}) });
    }
    throw e;
  }
}
