/**
 * Fuzzing end to end, through the real adapter against the sandbox: hostile tags, malformed or
 * truncated credential reports, unexpected SDK responses, and random settings through the
 * Lambda's handler.
 */
import { Readable } from "node:stream";
import type { AwsClients, RunReport } from "@keyrotate/aws-adapter";
import {
  type CalendarDate,
  decide,
  LastUse,
  settingSpecs,
  type UserName,
  type UserSnapshot,
} from "@keyrotate/core";
import { createHandler, type HandlerDeps, InvalidSettingsError } from "@keyrotate/lambda";
import {
  BUCKET,
  fakeContext,
  type Harness,
  keysOf,
  mutatingCalls,
  SENDER,
  secretHygiene,
  startHarness,
  tagsOf,
} from "@keyrotate/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Mangle = (commandName: string, output: Record<string, unknown>) => void;

/** Rewrites parsed SDK responses before the adapter sees them: an IAM that answers oddly. */
const mangleResponses = (clients: AwsClients, mangle: { current: Mangle | undefined }) => {
  type Handler = (args: unknown) => Promise<{ output: unknown }>;
  type Stack = {
    add(
      middleware: (next: Handler, context: { commandName?: string }) => Handler,
      options: { step: "initialize"; name: string },
    ): void;
  };
  for (const client of [clients.iam, clients.s3, clients.ses]) {
    (client.middlewareStack as unknown as Stack).add(
      (next, context) => async (args) => {
        const result = await next(args);
        mangle.current?.(String(context.commandName), result.output as Record<string, unknown>);
        return result;
      },
      { step: "initialize", name: "fuzzResponses" },
    );
  }
};

/**
 * Rewrites IAM's raw HTTP answer to GetCredentialReport (the adapter streams the report from the
 * wire, so only a transport-level change reaches it): `rewrite` gets the response XML.
 */
const rewriteReportResponses = (
  clients: AwsClients,
  rewrite: { current: ((xml: string) => string) | undefined },
) => {
  type Raw = {
    response: { body: unknown; headers: Record<string, string>; statusCode: number };
  };
  type Transport = { handle(request: { body?: unknown }, options?: unknown): Promise<Raw> };
  const config = clients.iam.config as unknown as { requestHandler: Transport };
  const original = config.requestHandler;
  const handle = async (request: { body?: unknown }, options?: unknown): Promise<Raw> => {
    const raw = await original.handle(request, options);
    const change = rewrite.current;
    if (change === undefined || !String(request.body ?? "").includes("Action=GetCredentialReport"))
      return raw;
    const chunks: Buffer[] = [];
    for await (const chunk of raw.response.body as AsyncIterable<Uint8Array>)
      chunks.push(Buffer.from(chunk));
    const xml = Buffer.from(change(Buffer.concat(chunks).toString("utf8")), "utf8");
    raw.response.body = Readable.from([xml]);
    for (const name of Object.keys(raw.response.headers))
      if (name.toLowerCase() === "content-length") raw.response.headers[name] = String(xml.length);
    return raw;
  };
  config.requestHandler = new Proxy(original, {
    get: (target, property) => (property === "handle" ? handle : Reflect.get(target, property)),
  });
};

const IAM_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const KEY_A = "AKIAFUZZ000000000001";
const KEY_B = "AKIAFUZZ000000000002";

const garbage = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 256 }),
  fc.string({
    unit: fc.constantFrom("a", "1", "-", ":", "@", ".", " "),
    minLength: 256,
    maxLength: 256,
  }),
  fc.constantFrom(
    "",
    " ",
    "2026-02-30",
    "2026-13-01",
    "9999-12-31",
    "yesterday",
    "a@b.com\r\nBcc: x@y.com",
    "<a@b.com>",
    "a@b.com,c@d.com",
    "Alice <a@b.com>",
    "rotating:",
    "warned:",
    "deactivating:AKIA:2026-01-01",
    `rotating:${KEY_A.toLowerCase()}:2026-01-01`,
    `${KEY_A} `,
    KEY_B.toLowerCase(),
    "true ",
    "TRUE!",
  ),
);

describe("hostile tags, end to end", () => {
  let h: Harness;
  const mangle: { current: Mangle | undefined } = { current: undefined };
  beforeAll(async () => {
    h = await startHarness([]);
    mangleResponses(h.clients, mangle);
  });
  afterAll(async () => {
    await h.close();
  });

  it("lead at most to removing keyrotate's tags: never to a deactivation or deletion, nor to a rotation the clean user would not get", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ageA: fc.integer({ min: 0, max: 200 }),
          second: fc.option(
            fc.record({ age: fc.integer({ min: 0, max: 200 }), active: fc.boolean() }),
            { nil: undefined },
          ),
          email: fc.option(garbage, { nil: undefined }),
          d: fc.option(garbage, { nil: undefined }),
          k: fc.option(garbage, { nil: undefined }),
          state: fc.option(garbage, { nil: undefined }),
          exempt: fc.option(garbage, { nil: undefined }),
        }),
        async ({ ageA, second, email, d, k, state, exempt }) => {
          h.sandbox.reset();
          const hostile: Record<string, string | undefined> = {
            email,
            "last-check-date": d,
            "last-check-old-key": k,
            "key-rotation-state": state,
            "key-rotation-exempt": exempt,
          };
          const stored: Record<string, string> = { team: "payments" };
          const injected = new Map<string, string>();
          for (const [key, value] of Object.entries(hostile)) {
            if (value === undefined) continue;
            // What IAM accepts is written for real; the rest as if IAM had answered it.
            if (value.length <= 256 && IAM_TAG_VALUE.test(value)) stored[key] = value;
            else injected.set(key, value);
          }
          h.sandbox.seed({
            verifiedEmails: [SENDER],
            buckets: [BUCKET],
            users: [
              {
                name: "fuzz",
                tags: stored,
                keys: [
                  { ageDays: ageA, lastUsedDaysAgo: 0, id: KEY_A },
                  ...(second === undefined
                    ? []
                    : [
                        {
                          ageDays: second.age,
                          lastUsedDaysAgo: null,
                          id: KEY_B,
                          status: second.active ? ("Active" as const) : ("Inactive" as const),
                        },
                      ]),
                ],
              },
            ],
          });
          mangle.current = (command, output) => {
            if (command !== "ListUserTagsCommand") return;
            const tags = (output.Tags ?? []) as { Key: string; Value: string }[];
            for (const [key, value] of injected) tags.push({ Key: key, Value: value });
            output.Tags = tags;
          };
          const logs: unknown[] = [];
          const report = await h.run({ log: (e) => logs.push(e), scanMode: "list-users" });
          mangle.current = undefined;

          const events = h.sandbox.keyEvents();
          expect(events.filter((e) => e.operation !== "CreateAccessKey")).toEqual([]);
          // A rotation only where the same user with clean tags would be rotated too.
          const today = h.today();
          const clean: UserSnapshot = {
            userName: "fuzz" as UserName,
            tags: [{ key: "email", value: "fuzz@example.com" }],
            keys: keysOfSeed(ageA, second, today),
          };
          const cleanRotates = decide(
            h.settings,
            today,
          )(clean).steps.some((s) => s._tag === "CreateKey");
          if (!cleanRotates) expect(events).toEqual([]);
          // The user's own tags are untouched; keyrotate's are kept, replaced or removed.
          const after = tagsOf(h, "fuzz");
          expect(after.team).toBe("payments");
          if (stored.email !== undefined) expect(after.email).toBe(stored.email);
          if (stored["key-rotation-exempt"] !== undefined)
            expect(after["key-rotation-exempt"]).toBe(stored["key-rotation-exempt"]);
          expect(report.status).toBe("completed");
          secretHygiene(h.sandbox).assertClean({ logs, report, emails: h.sandbox.emails() });
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});

const keysOfSeed = (
  ageA: number,
  second: { age: number; active: boolean } | undefined,
  today: CalendarDate,
): UserSnapshot["keys"] => {
  const day = (age: number) =>
    new Date(Date.parse(`${today}T00:00:00Z`) - age * 86_400_000)
      .toISOString()
      .slice(0, 10) as CalendarDate;
  return [
    { id: KEY_A, status: "Active", created: day(ageA), lastUse: LastUse.unknown },
    ...(second === undefined
      ? []
      : [
          {
            id: KEY_B,
            status: second.active ? ("Active" as const) : ("Inactive" as const),
            created: day(second.age),
            lastUse: LastUse.unknown,
          },
        ]),
  ] as unknown as UserSnapshot["keys"];
};

describe("malformed answers, end to end", () => {
  let h: Harness;
  const mangle: { current: Mangle | undefined } = { current: undefined };
  const rewrite: { current: ((xml: string) => string) | undefined } = { current: undefined };
  const overdue = {
    name: "alice",
    tags: { email: "alice@example.com" },
    keys: [{ ageDays: 90, lastUsedDaysAgo: 0, id: "AKIAALICE00000000001" }],
  };
  beforeAll(async () => {
    // Rotates on first sight (MIN_NOTICE_DAYS=0): the malformed CreateAccessKey answer is the point.
    h = await startHarness([overdue], { MIN_NOTICE_DAYS: "0" });
    mangleResponses(h.clients, mangle);
    rewriteReportResponses(h.clients, rewrite);
  });
  afterAll(async () => {
    await h.close();
  });

  const runWith = async (
    m: Mangle | undefined,
    xml?: (xml: string) => string,
  ): Promise<{ report: RunReport; mutations: number }> => {
    const before = h.sandbox.calls();
    mangle.current = m;
    rewrite.current = xml;
    const report = await h.run();
    mangle.current = undefined;
    rewrite.current = undefined;
    const after = h.sandbox.calls();
    const diff = Object.fromEntries(
      Object.entries(after).map(([op, n]) => [op, n - (before[op] ?? 0)]),
    );
    return { report, mutations: mutatingCalls(diff) };
  };

  const report = (csv: (real: string) => string) => (xml: string) =>
    xml.replace(/<Content>([^<]*)<\/Content>/, (_all, b64: string) => {
      const real = Buffer.from(b64, "base64").toString("utf8");
      return `<Content>${Buffer.from(csv(real), "utf8").toString("base64")}</Content>`;
    });

  it.each([
    ["truncated in a row", (csv: string) => csv.slice(0, csv.length - 30)],
    ["cut inside its last field", (csv: string) => csv.slice(0, csv.length - 1)],
    ["without a key column", (csv: string) => csv.replace("access_key_1_last_rotated", "x")],
    ["with a short row", (csv: string) => `${csv}\nbob,arn`],
    ["with a quote left open", (csv: string) => `${csv}\n"bob,arn`],
    ["empty", () => ""],
    ["binary", () => "\u0000\u0001\u0002PK\u0003\u0004"],
  ])(
    "a credential report %s fails the run with a clear error and changes nothing",
    async (_name, csv) => {
      const { report: run, mutations } = await runWith(undefined, report(csv));

      expect(run.status).toBe("failed");
      expect(run.error?.tag).toBe("MalformedReport");
      expect(run.error?.message).toMatch(/^the credential report /);
      expect(mutations).toBe(0);
      expect(keysOf(h, "alice")).toHaveLength(1);
    },
  );

  it("a credential report in another format fails the run", async () => {
    const { report: run, mutations } = await runWith(undefined, (xml) =>
      xml.replace(
        "<ReportFormat>text/csv</ReportFormat>",
        "<ReportFormat>text/html</ReportFormat>",
      ),
    );
    expect(run).toMatchObject({ status: "failed", error: { tag: "MalformedReport" } });
    expect(mutations).toBe(0);
  });

  it.each([
    ["a key without an id", (k: Record<string, unknown>) => delete k.AccessKeyId],
    ["a key id of the wrong type", (k: Record<string, unknown>) => (k.AccessKeyId = 42)],
    ["a key without a creation date", (k: Record<string, unknown>) => delete k.CreateDate],
  ])(
    "ListAccessKeys answering %s skips that user with a clear error and changes nothing",
    async (_name, change) => {
      const { report: run, mutations } = await runWith((command, output) => {
        if (command !== "ListAccessKeysCommand") return;
        for (const k of (output.AccessKeyMetadata ?? []) as Record<string, unknown>[]) change(k);
      });
      expect(run.status).toBe("completed");
      expect(run.skippedUsers).toMatchObject([
        {
          userName: "alice",
          reason: "unreadable",
          error: { tag: "Unexpected", operation: "iam:ListAccessKeys" },
        },
      ]);
      expect(mutations).toBe(0);
    },
  );

  it("ListUserTags answering tags without keys or values reads them as empty, and the user is not handled", async () => {
    const { report: run, mutations } = await runWith((command, output) => {
      if (command === "ListUserTagsCommand") output.Tags = [{ Key: "email" }, { Value: "x" }];
    });
    expect(run.users.find((u) => u.userName === "alice")).toMatchObject({ handled: false });
    expect(mutations).toBe(0);
  });

  it("an empty CreateAccessKey result fails the user before anything is stored or sent; the next run discards the key IAM made", async () => {
    const logs: unknown[] = [];
    mangle.current = (command, output) => {
      if (command === "CreateAccessKeyCommand") delete output.AccessKey;
    };
    const failed = await h.run({ log: (e) => logs.push(e) });
    mangle.current = undefined;

    const alice = failed.users.find((u) => u.userName === "alice");
    expect(alice).toMatchObject({
      status: "failed",
      markerLeft: true,
      error: {
        tag: "Unexpected",
        operation: "iam:CreateAccessKey",
        message: "IAM returned no valid key id",
      },
    });
    expect(h.sandbox.objects()).toEqual([]);
    expect(
      h.sandbox.emails().filter((e) => e.destinations.to.includes("alice@example.com")),
    ).toEqual([]);
    expect(tagsOf(h, "alice")["last-check-old-key"]).toBeUndefined();
    expect(keysOf(h, "alice")).toHaveLength(2); // IAM made one: its id never reached keyrotate

    h.sandbox.clock.advanceMs(3_600_000);
    const next = await h.run({ log: (e) => logs.push(e) });
    expect(next.users.find((u) => u.userName === "alice")?.findings.map((f) => f.code)).toContain(
      "recovered-rotation",
    );
    expect(keysOf(h, "alice")).toHaveLength(2);
    expect(h.sandbox.objects()).toHaveLength(1);
    secretHygiene(h.sandbox).assertClean({ logs, failed, next, emails: h.sandbox.emails() });
  });

  // Last: a run that reads the report acts on the users, which the tests above must not see.
  it("a credential report without the root row, as moto writes it, is read like any other", async () => {
    const withoutRoot = (csv: string) =>
      csv
        .split("\n")
        .filter((l) => !l.startsWith("<root"))
        .join("\n");

    const { report: run } = await runWith(undefined, report(withoutRoot));

    expect(run.status).toBe("completed");
    expect(run.error).toBeUndefined();
    expect(run.counts.usersSeen).toBeGreaterThan(0);
  });
});

// Issue 12: a row that cannot be read is that user's problem, never the end of the run (this
// case made the whole run fail before). The user is read from IAM itself, last use unknown.
describe("a credential report with one unreadable row, end to end", () => {
  it("completes the run: the other users as usual, that user read from IAM", async () => {
    const user = (name: string) => ({
      name,
      tags: { email: `${name}@example.com` },
      keys: [{ ageDays: 90, lastUsedDaysAgo: 0 }],
    });
    // Rotation on first sight (the original's timing), so that bob is rotated in this one run.
    const h = await startHarness([user("alice"), user("bob")], {
      MIN_NOTICE_DAYS: "0",
      IN_USE_DELAY_DAYS: "0",
    });
    const rewrite = { current: undefined as ((xml: string) => string) | undefined };
    rewriteReportResponses(h.clients, rewrite);
    rewrite.current = (xml) =>
      xml.replace(/<Content>([^<]*)<\/Content>/, (_all, b64: string) => {
        const csv = Buffer.from(b64, "base64")
          .toString("utf8")
          .replace(/(alice,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,true,)[^,]*/, "$1not-a-date");
        return `<Content>${Buffer.from(csv, "utf8").toString("base64")}</Content>`;
      });
    try {
      const run = await h.run();

      expect(run.status).toBe("completed");
      expect(run.users.map((u) => [u.userName, u.status]).sort()).toEqual([
        ["alice", "ok"],
        ["bob", "ok"],
      ]);
      expect(run.users.find((u) => u.userName === "alice")?.keys[0]?.lastUse).toBe("unknown");
      expect(keysOf(h, "bob")).toHaveLength(2);
    } finally {
      await h.close();
    }
  });
});

describe("random settings through the Lambda handler", () => {
  const names = Object.keys(settingSpecs);
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer({ min: -1000, max: 100_000 }).map(String),
    fc.double().map(String),
    fc.constantFrom(
      "",
      " ",
      "off",
      "true",
      "enforce",
      "delete",
      "eu-west-1",
      "a@b.com",
      "a@b.com\r\nBcc: x",
      "1e3",
      "0x10",
      "NaN",
    ),
  );

  const quiet = {
    addContext: () => {},
    error: () => {},
    warn: () => {},
    info: () => {},
    debug: () => {},
  } as unknown as NonNullable<HandlerDeps["logger"]>;
  const base = { SES_EMAIL: "keys@example.com", SES_REGION: "eu-west-1", S3_CSV_BUCKET: "creds" };

  it("never throw past the decoder: every problem names its setting and no AWS client is made", async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 6 }),
        async (withBase, random) => {
          const env = { ...(withBase ? base : {}), ...random };
          let clientsMade = 0;
          const handler = createHandler({
            env,
            logger: quiet,
            createClients: () => {
              clientsMade += 1;
              return {} as AwsClients;
            },
          });
          if (clientsMade === 1) {
            valid += 1; // valid settings: the clients are made once, at start
            return;
          }
          expect(clientsMade).toBe(0);
          let thrown: unknown;
          try {
            await handler({}, fakeContext());
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(InvalidSettingsError);
          const problems = (thrown as InvalidSettingsError).problems;
          expect(problems.length).toBeGreaterThan(0);
          for (const p of problems) {
            expect(names).toContain(p.setting);
            expect((thrown as Error).message).toContain(p.setting);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(valid).toBeGreaterThan(0);
  });
});
