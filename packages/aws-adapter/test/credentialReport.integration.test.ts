import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ScenarioUser, startSandbox } from "@keyrotate/sandbox";
import * as E from "fp-ts/lib/Either.js";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../src/clients.js";
import { readCredentialReport } from "../src/credentialReport.js";
import { parseCredentialReport } from "../src/reportRows.js";
import { daysAgo, recordingSleep, reportCsv, row } from "./fixtures.js";

const credentials = { accessKeyId: "AKIASANDBOXADMIN0001", secretAccessKey: "not-a-real-secret" };
const region = "us-east-1";

/** A user whose keys take every shape a report row has, by `i`. */
const user = (i: number): ScenarioUser => {
  const name = `user-${String(i).padStart(6, "0")}`;
  const keys: NonNullable<ScenarioUser["keys"]> = [];
  if (i % 10 !== 0) keys.push({ ageDays: 2 + (i % 90), lastUsedDaysAgo: i % 3 === 0 ? 1 : 0 });
  if (i % 4 === 0)
    keys.push({ ageDays: 1 + (i % 30), status: i % 8 === 0 ? "Inactive" : "Active" });
  return { name, keys };
};

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe("readCredentialReport against the sandbox", () => {
  const sandboxOf = async (users: number, reportGenerationMs = 5) => {
    const sandbox = await startSandbox({
      now: "2026-06-15T09:00:00Z",
      randomSeed: 3,
      reportGenerationMs,
      seed: { users: Array.from({ length: users }, (_, i) => user(i)) },
    });
    closers.push(() => sandbox.close());
    const { endpoint } = sandbox.clientConfig();
    return {
      sandbox,
      clients: createAwsClients({ endpoint, region, credentials, maxAttempts: 3 }),
    };
  };

  it("reads a 100,000-user report as the account holds it, every user and key", async () => {
    const { sandbox, clients } = await sandboxOf(100_000);

    const result = await readCredentialReport(clients.iam, { initialDelayMs: 10 });

    if (E.isLeft(result)) throw result.left;
    expect(result.right.usersSeen).toBe(100_000);
    const seconds = (at: string | Date) => Math.floor(new Date(at).getTime() / 1000);
    // One line per user: name, then each key slot's creation second, status and last use.
    const read = result.right.users.map((u) =>
      [
        u.userName,
        ...u.keys.map((k) => {
          const use = k.lastUse._tag === "UsedOn" ? k.lastUse.date : k.lastUse._tag;
          return `${seconds(k.createdAt)} ${k.active ? "Active" : "Inactive"} ${use}`;
        }),
      ].join(" | "),
    );
    const held = sandbox
      .users()
      .map((u) =>
        [
          u.name,
          ...u.keys.map(
            (k) =>
              `${seconds(k.createDate)} ${k.status} ${k.lastUsed ? new Date(k.lastUsed.date).toISOString().slice(0, 10) : "NeverUsed"}`,
          ),
        ].join(" | "),
      );
    expect(held).toHaveLength(100_000);
    expect(read).toEqual(held);
    expect(sandbox.calls()["iam:GetCredentialReport"]).toBe(1);
  }, 120_000);

  it("keeps only the users asked for and still counts them all", async () => {
    const { clients } = await sandboxOf(1_000);

    const result = await readCredentialReport(
      clients.iam,
      { initialDelayMs: 10 },
      { keep: (u) => u.keys.length === 2 },
    );

    expect(E.isRight(result) && result.right.usersSeen).toBe(1_000);
    // Two keys: every fourth user but every twentieth (who has only the second).
    expect(E.isRight(result) && result.right.users).toHaveLength(200);
  });

  it("polls a report in progress: IAM's 404 reaches the SDK and is read as not ready", async () => {
    const { sandbox, clients } = await sandboxOf(10, 300);
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      await new Promise((r) => setTimeout(r, ms));
    };

    const result = await readCredentialReport(clients.iam, { sleep, initialDelayMs: 20 });

    expect(E.isRight(result) && result.right.usersSeen).toBe(10);
    expect(sandbox.calls()["iam:GetCredentialReport"]).toBeGreaterThan(1);
    expect(waits.slice(0, 3)).toEqual([20, 40, 80]);
  });

  it.each([
    ["ReportExpired", 410],
    ["ReportNotPresent", 410],
  ])("generates again when IAM answers %s", async (code, status) => {
    const { sandbox, clients } = await sandboxOf(10);
    sandbox.setFaults({
      failOperations: { "iam:GetCredentialReport": { count: 1, code, status } },
    });

    const result = await readCredentialReport(clients.iam, { initialDelayMs: 10 });

    expect(E.isRight(result) && result.right.usersSeen).toBe(10);
    expect(sandbox.calls()["iam:GenerateCredentialReport"]).toBe(2);
  });

  it("lets the SDK retry a throttled read itself", async () => {
    const { sandbox, clients } = await sandboxOf(10);
    await readCredentialReport(clients.iam, { initialDelayMs: 1 }); // the report is generated
    sandbox.resetCalls();
    sandbox.setFaults({
      failOperations: {
        "iam:GetCredentialReport": { count: 1, code: "Throttling", status: 400 },
      },
    });
    const { waits, sleep } = recordingSleep();
    const attempts = () => clients.calls.snapshot()["iam:GetCredentialReport"] ?? 0;
    const before = attempts();

    const result = await readCredentialReport(clients.iam, { sleep });

    expect(E.isRight(result) && result.right.usersSeen).toBe(10);
    expect(sandbox.calls()["iam:GetCredentialReport"]).toBe(2);
    expect(attempts() - before).toBe(2);
    expect(waits).toEqual([]);
  });

  it("finds the sandbox through AWS_ENDPOINT_URL_IAM, as any SDK client does", async () => {
    const { sandbox } = await sandboxOf(10);
    const before = process.env.AWS_ENDPOINT_URL_IAM;
    process.env.AWS_ENDPOINT_URL_IAM = sandbox.url;
    try {
      const clients = createAwsClients({ region, credentials });
      const result = await readCredentialReport(clients.iam, { initialDelayMs: 1 });
      expect(E.isRight(result) && result.right.usersSeen).toBe(10);
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_IAM;
      else process.env.AWS_ENDPOINT_URL_IAM = before;
    }
  });
});

/** A stand-in for IAM on 127.0.0.1 that answers GetCredentialReport as `get` says. */
const fakeIam = async (get: (attempt: number, res: ServerResponse) => void) => {
  const calls: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => {
      body += d;
    });
    req.on("end", () => {
      const action = new URLSearchParams(body).get("Action") ?? "";
      calls[action] = (calls[action] ?? 0) + 1;
      if (action === "GetCredentialReport") {
        get(calls[action], res);
        return;
      }
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(
        `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${action}Result><State>COMPLETE</State></${action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const clients = createAwsClients({
    endpoint: `http://127.0.0.1:${port}`,
    region,
    credentials,
    maxAttempts: 3,
  });
  return { calls, clients };
};

const csv = reportCsv(
  ...Array.from({ length: 200 }, (_, i) =>
    row(`user-${i}`, { active: true, created: daysAgo(10 + (i % 80)), lastUsed: daysAgo(1) }),
  ),
);
const responseXml = (content: string) =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\n<GetCredentialReportResult>\n<Content>${content}</Content>\n<ReportFormat>text/csv</ReportFormat>\n<GeneratedTime>2026-06-15T06:00:00Z</GeneratedTime>\n</GetCredentialReportResult>\n<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>\n</GetCredentialReportResponse>\n`,
  );
const full = responseXml(Buffer.from(csv).toString("base64"));

describe("readCredentialReport over a real connection", () => {
  it("reads a body that arrives a few bytes at a time", async () => {
    const { clients } = await fakeIam((_, res) => {
      res.writeHead(200, { "content-type": "text/xml", "content-length": String(full.length) });
      let at = 0;
      const next = () => {
        if (at >= full.length) return void res.end();
        const size = 1 + (at % 13);
        res.write(full.subarray(at, at + size));
        at += size;
        setImmediate(next);
      };
      next();
    });

    const result = await readCredentialReport(clients.iam, { initialDelayMs: 1 });

    if (E.isLeft(result)) throw result.left;
    const parsed = parseCredentialReport(csv);
    expect(E.isRight(parsed)).toBe(true);
    expect(result.right.users).toEqual(E.isRight(parsed) && parsed.right);
    expect(result.right.generatedAt?.toISOString()).toBe("2026-06-15T06:00:00.000Z");
  });

  it("rejects a complete response whose XML is cut short, without retrying it", async () => {
    const cut = full.subarray(0, Math.floor(full.length / 2));
    const { calls, clients } = await fakeIam((_, res) => {
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(cut);
    });

    const result = await readCredentialReport(clients.iam, { initialDelayMs: 1 });

    expect(E.isLeft(result) && result.left.toJSON()).toMatchObject({
      tag: "MalformedReport",
      operation: "iam:GetCredentialReport",
    });
    expect(calls.GetCredentialReport).toBe(1);
  });

  it("lets the SDK retry a connection broken mid-body, and reads the next attempt afresh", async () => {
    const { calls, clients } = await fakeIam((attempt, res) => {
      res.writeHead(200, { "content-type": "text/xml", "content-length": String(full.length) });
      if (attempt > 1) return void res.end(full);
      res.write(full.subarray(0, Math.floor(full.length * 0.7)));
      setTimeout(() => res.socket?.destroy(), 20);
    });

    const result = await readCredentialReport(clients.iam, { initialDelayMs: 1 });

    // Had the first attempt's rows leaked into the second, every user would appear twice.
    expect(E.isRight(result) && result.right.usersSeen).toBe(200);
    expect(calls.GetCredentialReport).toBe(2);
  });

  it("passes an error status through to the SDK, which maps it to IAM's exception", async () => {
    const { calls, clients } = await fakeIam((_, res) => {
      res.writeHead(403, { "content-type": "text/xml" });
      res.end(
        `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error><RequestId>r-3</RequestId></ErrorResponse>`,
      );
    });

    const result = await readCredentialReport(clients.iam, { initialDelayMs: 1 });

    expect(E.isLeft(result) && result.left.toJSON()).toMatchObject({
      tag: "AccessDenied",
      code: "AccessDenied",
    });
    expect(calls.GetCredentialReport).toBe(1);
  });
});
