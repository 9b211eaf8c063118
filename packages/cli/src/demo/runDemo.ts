import {
  type AwsClients,
  createAwsClients,
  type RunReport,
  secretFiles,
  secretsManagerFormat,
  type UserReport,
} from "@keyrotate/aws-adapter";
import {
  addDays,
  type CalendarDate,
  decodeSettings,
  type NoticeKind,
  type Settings,
} from "@keyrotate/core";
import type { HandlerDeps, KeyrotateHandler } from "@keyrotate/lambda";
import { type Sandbox, type SentEmail, startSandbox } from "@keyrotate/sandbox";
import { checkSettingsOf } from "@keyrotate/sandbox/verify";
import * as E from "fp-ts/lib/Either.js";
import { readAccount } from "../account.js";
import { destroyClients } from "../awsAccess.js";
import { assessAccount, type ComplianceReport } from "../compliance/assess.js";
import { describeUser } from "../outcomeText.js";
import { checkDelivery, checkRun } from "./checks.js";
import { type InvariantResults, newInvariantResults } from "./invariants.js";
import { signedGetUser } from "./keyUse.js";
import { DEMO_BUCKET, type DemoUser, demoEnv, demoScenario, demoUsers } from "./scenario.js";

/** What a demo is asked to do. */
export interface DemoOptions {
  /** Simulated days; one Lambda run per day. */
  readonly days: number;
  /** Day 1's date. */
  readonly start: CalendarDate;
  /** Seeds the sandbox's ids and secrets, for a reproducible demo. */
  readonly randomSeed?: number;
  /** Receives each day's timeline block as soon as the day is done. */
  readonly onDay?: (day: DemoDay) => void;
}

/** An email the demo's Lambda sent, with the user and notice kind it belongs to. */
export interface DemoEmail {
  readonly day: number;
  readonly userName: string;
  readonly kind: NoticeKind | "unmatched";
  readonly email: SentEmail;
}

/** One simulated day. */
export interface DemoDay {
  readonly day: number;
  readonly date: CalendarDate;
  /** What the demo itself did that day (a fault injected, settings changed). */
  readonly notes: ReadonlyArray<string>;
  /** `user: what happened`, for users something happened to. */
  readonly lines: ReadonlyArray<string>;
  readonly report: RunReport;
}

/** Everything a demo produced, for the summary and the output folder. */
export interface DemoResult {
  readonly start: CalendarDate;
  readonly end: CalendarDate;
  readonly users: ReadonlyArray<DemoUser>;
  readonly days: ReadonlyArray<DemoDay>;
  readonly emails: ReadonlyArray<DemoEmail>;
  /** The credential files as stored in the sandbox's S3: object key and content. */
  readonly storedCredentials: ReadonlyArray<{ readonly key: string; readonly body: string }>;
  readonly compliance: ComplianceReport;
  readonly invariants: InvariantResults;
  /** The Lambda's own API calls, summed over every run, by `service:Operation`. */
  readonly apiCalls: Readonly<Record<string, number>>;
  /** The day settings changed to phase 2, if the demo reached it. */
  readonly phase2Day: number | undefined;
  readonly failureDay: number | undefined;
}

type HandlerLogger = NonNullable<HandlerDeps["logger"]>;
type HandlerMetrics = NonNullable<HandlerDeps["metrics"]>;
type LambdaContext = Parameters<KeyrotateHandler>[1];

/**
 * A Powertools-shaped logger that keeps the Lambda's JSON log lines off the terminal (the
 * demo prints its own timeline); warnings and errors are kept for inspection.
 */
const quietLogger = (kept: string[]): HandlerLogger => {
  const keep = (message: string) => {
    kept.push(message);
  };
  return {
    addContext: () => {},
    debug: () => {},
    info: () => {},
    warn: keep,
    error: keep,
  };
};

/** Metrics are published as CloudWatch EMF lines on stdout in Lambda; the demo drops them. */
const droppedMetrics: HandlerMetrics = {
  addMetric: () => {},
  publishStoredMetrics: () => {},
};

/** A fake Lambda context: a fresh 15-minute invocation. */
const lambdaContext = (day: number): LambdaContext => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: "keyrotate-demo",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:keyrotate-demo",
  memoryLimitInMB: "256",
  awsRequestId: `demo-day-${String(day).padStart(3, "0")}`,
  logGroupName: "/aws/lambda/keyrotate-demo",
  logStreamName: `demo/day-${day}`,
  getRemainingTimeInMillis: () => 900_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
});

const addCalls = (total: Record<string, number>, calls: Readonly<Record<string, number>>) => {
  for (const [op, n] of Object.entries(calls)) total[op] = (total[op] ?? 0) + n;
};

/** Matches the day's new emails to the notices the report says were sent, by recipient in order. */
const matchEmails = (day: number, report: RunReport, emails: ReadonlyArray<SentEmail>) => {
  const queue = new Map<string, { userName: string; kind: NoticeKind }[]>();
  for (const u of report.users) {
    for (const s of u.steps) {
      if (s.status !== "ok" || s.step.action !== "SendNotice" || s.step.to === undefined) continue;
      const list = queue.get(s.step.to) ?? [];
      list.push({ userName: u.userName, kind: s.step.noticeKind ?? "Warning" });
      queue.set(s.step.to, list);
    }
  }
  return emails.map((email): DemoEmail => {
    const next = queue.get(email.destinations.to[0] ?? "")?.shift();
    return {
      day,
      userName: next?.userName ?? email.destinations.to[0] ?? "unknown",
      kind: next?.kind ?? "unmatched",
      email,
    };
  });
};

/** Signs one request with each key its owner uses, as people at work do every day. */
const useKeys = async (sandbox: Sandbox, users: ReadonlyArray<DemoUser>): Promise<void> => {
  const usage = new Map(users.map((u) => [u.seed.name, u.usage]));
  const { endpoint, region } = sandbox.clientConfig();
  const at = sandbox.clock.now();
  const calls: Promise<number>[] = [];
  for (const user of sandbox.users()) {
    const how = usage.get(user.name) ?? "none";
    const active = user.keys
      .filter((k) => k.status === "Active")
      .sort((a, b) => b.createDate.getTime() - a.createDate.getTime());
    const used = how === "all" ? active : how === "newest" ? active.slice(0, 1) : [];
    for (const k of used) {
      const secretAccessKey = sandbox.secretOf(k.accessKeyId);
      if (secretAccessKey === undefined) continue;
      calls.push(
        signedGetUser({ endpoint, region, accessKeyId: k.accessKeyId, secretAccessKey, at }),
      );
    }
  }
  await Promise.all(calls);
};

const userLines = (report: RunReport): string[] => {
  const lines = [...report.users]
    .sort((a: UserReport, b: UserReport) => a.userName.localeCompare(b.userName))
    .map((u) => [u.userName, describeUser(u)] as const)
    .filter(([, text]) => text !== "")
    .map(([name, text]) => `${name}: ${text}`);
  if (report.status === "failed") lines.unshift(`the run failed: ${report.error?.message ?? "?"}`);
  for (const s of report.skippedUsers) lines.push(`${s.userName}: skipped (${s.reason})`);
  return lines;
};

/**
 * The demo: starts the sandbox in-process, seeds the demo's users, and runs the Lambda handler
 * (`createHandler` of `@keyrotate/lambda`, with the sandbox's clients and clock and a fake
 * Lambda context) once per simulated day, moving the sandbox clock a day between runs. Between
 * runs, users keep using their keys. Every run is checked against the invariants of POLICY.md
 * as the sandbox saw them; at the end, every created key is checked to be stored and announced.
 */
export const runDemo = async (options: DemoOptions): Promise<DemoResult> => {
  const { days, start } = options;
  // The demo pins its SDK version and runs on the sandbox: the SDK's notice about the Node.js
  // versions of its future releases says nothing about this run, so it is not printed here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const users = demoUsers(start);
  const sandbox = await startSandbox({
    now: `${start}T09:00:00Z`,
    seed: demoScenario(start),
    randomSeed: options.randomSeed ?? 2026,
    reportGenerationMs: 1,
  });
  const clients: AwsClients[] = [];
  try {
    const { endpoint, region, credentials } = sandbox.clientConfig();
    const makeClients = (settings: Settings): AwsClients => {
      const c = createAwsClients({
        settings,
        endpoint,
        region,
        credentials,
        maxAttempts: 3,
      });
      clients.push(c);
      return c;
    };
    const { createHandler } = await import("@keyrotate/lambda");
    const logged: string[] = [];
    const handlerFor = (phase: 1 | 2) =>
      createHandler({
        env: demoEnv(region, phase),
        createClients: makeClients,
        now: () => sandbox.clock.now(),
        logger: quietLogger(logged),
        metrics: droppedMetrics,
        polling: { initialDelayMs: 2, maxDelayMs: 20 },
      });
    const phase2Day = days >= 4 ? Math.floor(days / 2) + 1 : undefined;
    const failureDay = days >= 3 ? 2 : undefined;
    let handler = handlerFor(1);
    const invariants = newInvariantResults();
    const phase1 = decodeSettings(demoEnv(region, 1));
    if (E.isLeft(phase1)) throw new Error("the demo's own settings are invalid");
    const checkSettings = checkSettingsOf(phase1.right, secretFiles, secretsManagerFormat);
    const seededKeyIds = new Set(sandbox.users().flatMap((u) => u.keys.map((k) => k.accessKeyId)));
    const apiCalls: Record<string, number> = {};
    const allDays: DemoDay[] = [];
    const allEmails: DemoEmail[] = [];
    for (let day = 1; day <= days; day++) {
      if (day > 1) sandbox.clock.advanceDays(1);
      const date = addDays(start, day - 1);
      const notes: string[] = [];
      if (day === phase2Day) {
        handler = handlerFor(2);
        notes.push(
          "settings change (the Lambda redeployed): TWO_ACTIVE_KEYS=enforce, INACTIVE_BLOCKER=delete",
        );
      }
      if (day === failureDay) {
        sandbox.setFaults({
          failOperations: {
            // A run's first PutObject is its lease's and its second the preflight's; the next
            // one stores a secret.
            "s3:PutObject": {
              skip: 2,
              count: 1,
              status: 403,
              code: "AccessDenied",
              message: "Access Denied (injected by the demo)",
            },
          },
        });
        notes.push("fault injected: S3 refuses the next secret's PutObject (AccessDenied)");
      }
      const before = sandbox.users();
      const sentBefore = sandbox.emails().length;
      const eventsBefore = sandbox.keyEvents().length;
      const report = await handler({}, lambdaContext(day));
      if (day === failureDay) sandbox.setFaults({});
      checkRun(invariants, checkSettings, {
        sandbox,
        day,
        before,
        keyEventsToday: sandbox.keyEvents().slice(eventsBefore),
        report,
      });
      addCalls(apiCalls, report.apiCalls);
      allEmails.push(...matchEmails(day, report, sandbox.emails().slice(sentBefore)));
      const entry: DemoDay = { day, date, notes, lines: userLines(report), report };
      allDays.push(entry);
      options.onDay?.(entry);
      await useKeys(sandbox, users);
    }
    const end = addDays(start, days - 1);
    const settings = decodeSettings(demoEnv(region, phase2Day === undefined ? 1 : 2));
    if (E.isLeft(settings)) throw new Error("the demo's own settings are invalid");
    const account = await readAccount({
      clients: makeClients(settings.right),
      settings: settings.right,
      today: end,
      polling: { initialDelayMs: 2, maxDelayMs: 20 },
    });
    if (E.isLeft(account)) throw new Error(`reading the sandbox failed: ${account.left.message}`);
    const compliance = assessAccount({
      settings: settings.right,
      today: end,
      users: account.right.users,
      generatedAt: sandbox.clock.now().toISOString(),
      credentialReportGeneratedAt: account.right.reportGeneratedAt,
    });
    const objects = sandbox.objects(DEMO_BUCKET);
    checkDelivery(invariants, checkSettings, sandbox, seededKeyIds, [
      ["the run reports", JSON.stringify(allDays.map((d) => d.report))],
      ["the timeline", allDays.flatMap((d) => [...d.notes, ...d.lines]).join("\n")],
      ["the compliance report", JSON.stringify(compliance)],
      ["the Lambda's log", logged.join("\n")],
    ]);
    return {
      start,
      end,
      users,
      days: allDays,
      emails: allEmails,
      storedCredentials: objects.map((o) => ({ key: o.key, body: o.body.toString("utf8") })),
      compliance,
      invariants,
      apiCalls,
      phase2Day,
      failureDay,
    };
  } finally {
    for (const c of clients) destroyClients(c);
    await sandbox.close();
  }
};
