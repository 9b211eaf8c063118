import {
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  LimitExceededException,
} from "@aws-sdk/client-iam";
import { LastUse } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_REPORT_INITIAL_DELAY_MS,
  fetchCredentialReport,
  parseCredentialReport,
  parseCredentialReportRows,
  readCredentialReport,
} from "../src/credentialReport.js";
import {
  daysAgo,
  HEADER,
  mockedClients,
  ROOT_ROW,
  recordingSleep,
  reportCsv,
  reportResponse,
  row,
} from "./fixtures.js";

const meta = { $metadata: {}, message: "x" };

const parsed = (csv: string) => {
  const result = parseCredentialReport(csv);
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const parsedRows = (csv: string) => {
  const result = parseCredentialReportRows(csv);
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const problem = (csv: string) => {
  const result = parseCredentialReport(csv);
  if (E.isRight(result)) throw new Error("expected the report to be rejected");
  return result.left;
};

describe("parseCredentialReport", () => {
  it("reads each user's key slots and skips the root account", () => {
    const users = parsed(
      reportCsv(
        row("alice", { active: true, created: daysAgo(40), lastUsed: daysAgo(2) }),
        row("bob"),
        row(
          "carol",
          { active: false, created: daysAgo(90), lastUsed: "N/A" },
          { active: true, created: daysAgo(5), lastUsed: "no_information" },
        ),
      ),
    );
    expect(users.map((u) => u.userName)).toEqual(["alice", "bob", "carol"]);
    expect(users[0]?.keys).toEqual([
      {
        active: true,
        created: "2026-05-06",
        createdAt: daysAgo(40),
        lastUse: LastUse.usedOn("2026-06-13" as never),
      },
    ]);
    expect(users[1]?.keys).toEqual([]);
    expect(users[2]?.keys.map((k) => [k.active, k.lastUse._tag])).toEqual([
      [false, "NeverUsed"],
      [true, "Unknown"],
    ]);
  });

  it("reads a slot whose last_rotated is N/A as no key, even in the second slot", () => {
    const users = parsed(reportCsv(row("dave", undefined, { active: true, created: daysAgo(3) })));
    expect(users[0]?.keys).toHaveLength(1);
    expect(users[0]?.keys[0]?.created).toBe("2026-06-12");
  });

  it("accepts a report without a <root_account> row, as moto writes it", () => {
    // Prepare
    const csv = [HEADER, row("alice"), row("bob")].join("\n");
    // Act
    const users = parsed(csv);
    // Assess
    expect(users.map((u) => u.userName)).toEqual(["alice", "bob"]);
  });

  it("accepts a report with a byte-order mark, CRLF line ends and extra columns", () => {
    const csv = `\ufeff${[`${HEADER},extra`, `${ROOT_ROW},x`, `${row("erin")},y`].join("\r\n")}\r\n`;
    expect(parsed(csv).map((u) => u.userName)).toEqual(["erin"]);
  });

  it.each([
    ["an empty report", ""],
    ["a report without its key columns", "user,arn\n<root_account>,arn"],
    ["a report truncated in a row", reportCsv(row("alice")).slice(0, -20)],
    ["a report cut inside its last field", reportCsv(row("alice")).slice(0, -2)],
    ["an unterminated quote", reportCsv(`"alice${row("x").slice(1)}`)],
  ])("rejects %s as malformed", (_, csv) => {
    const error = problem(csv);
    expect(error.tag).toBe("MalformedReport");
    expect(error.message).toMatch(/credential report/);
  });

  // Issue 12: one row that cannot be read is a finding for that user, never the end of the
  // report. (These rows made the whole report malformed before.)
  it.each([
    [
      "an active slot without a creation time",
      reportCsv(row("alice").replace("false,N/A,N/A,N/A,N/A", "true,N/A,N/A,N/A,N/A")),
    ],
    [
      "an active flag that is not a boolean",
      reportCsv(row("alice", { active: true, created: daysAgo(3) }).replace(",true,", ",yes,")),
    ],
    ["a truncated timestamp", reportCsv(row("alice", { active: true, created: "2026-06-1" }))],
    [
      "a last-used value that is not a date",
      reportCsv(row("alice", { active: true, created: daysAgo(3), lastUsed: "yesterday" })),
    ],
    ["a user listed twice", reportCsv(row("alice"), row("alice"))],
  ])(
    "reads the other users of a report with %s, and keeps that user with no key slots",
    (_, csv) => {
      const rows = parsedRows(`${csv}\n${row("zoe")}`);
      expect(rows.users.map((u) => [u.userName, u.keys.length])).toEqual([
        ["alice", 0],
        ["zoe", 0],
      ]);
      expect(rows.unreadable).toEqual([
        expect.objectContaining({ userName: "alice", problem: expect.any(String) }),
      ]);
      // Every row counts as a user seen, read or not.
      expect(rows.usersSeen).toBe(csv.split("\n").length - 2 + 1); // rows after header and root, and zoe
    },
  );

  it("lists a row whose user name IAM cannot have without a user, and reads the others", () => {
    const rows = parsedRows(reportCsv(row("al ice"), row("zoe")));
    expect(rows.users.map((u) => u.userName)).toEqual(["zoe"]);
    expect(rows.unreadable).toEqual([{ line: 3, problem: '"al ice" is not a user name' }]);
    expect(rows.usersSeen).toBe(2);
  });

  it("reads the row of a user named with commas, written unquoted as IAM writes it", () => {
    const created = daysAgo(70);
    const csv = reportCsv(
      row("svc,deploy", { active: true, created, lastUsed: daysAgo(1) }),
      row("a,b,c"),
      row("zoe"),
    );
    // The fixture writes the name and ARN unquoted: 24 and 26 cells where the header has 22.
    expect(csv.split("\n")[2]?.split(",")).toHaveLength(24);

    const rows = parsedRows(csv);

    expect(rows.unreadable).toEqual([]);
    expect(rows.users.map((u) => u.userName)).toEqual(["svc,deploy", "a,b,c", "zoe"]);
    expect(rows.users[0]?.keys).toEqual([
      expect.objectContaining({ active: true, createdAt: created }),
    ]);
  });

  it("reads a quoted user name with commas as well", () => {
    const quoted = row("svc,deploy").replace(
      "svc,deploy,arn:aws:iam::123456789012:user/svc,deploy",
      '"svc,deploy","arn:aws:iam::123456789012:user/svc,deploy"',
    );
    const csv = reportCsv(quoted, row("zoe"));
    expect(parsedRows(csv).users.map((u) => u.userName)).toEqual(["svc,deploy", "zoe"]);
  });

  it("lists a row with extra cells that no user name explains, and reads the others", () => {
    const rows = parsedRows(reportCsv(`${row("alice")},x,y`, row("zoe")));
    expect(rows.users.map((u) => u.userName)).toEqual(["zoe"]);
    expect(rows.unreadable).toEqual([
      {
        line: 3,
        problem: "24 cells where the header has 22, and no user name with commas explains them",
      },
    ]);
  });

  it("lists a short row in the middle of the report, but rejects a short last row as a cut", () => {
    const short = row("alice").split(",").slice(0, 10).join(",");
    const rows = parsedRows(reportCsv(short, row("zoe")));
    expect(rows.users.map((u) => u.userName)).toEqual(["zoe"]);
    expect(rows.unreadable).toEqual([{ line: 3, problem: "10 cells where the header has 22" }]);
    expect(problem(reportCsv(row("zoe"), short)).message).toMatch(/truncated/);
  });
});

describe("fetchCredentialReport", () => {
  const csv = reportCsv(row("alice"));

  it("reads a report that is ready at once with two calls and no wait", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    iam.on(GetCredentialReportCommand).resolves(reportResponse(csv));
    const { waits, sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, { sleep });

    expect(E.isRight(result) && result.right.csv).toBe(csv);
    expect(iam.calls()).toHaveLength(2);
    expect(waits).toEqual([]);
  });

  it("waits once before reading a report whose generation just started", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "STARTED" });
    iam.on(GetCredentialReportCommand).resolves(reportResponse(csv));
    const { waits, sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, { sleep, initialDelayMs: 100 });

    expect(E.isRight(result)).toBe(true);
    expect(waits).toEqual([100]);
    expect(iam.calls()).toHaveLength(2);
  });

  it("polls with a growing wait while the report is in progress", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "INPROGRESS" });
    iam
      .on(GetCredentialReportCommand)
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .resolves(reportResponse(csv));
    const { waits, sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, {
      sleep,
      initialDelayMs: 100,
      maxDelayMs: 300,
    });

    expect(E.isRight(result)).toBe(true);
    expect(waits).toEqual([100, 200, 300]);
    expect(iam.commandCalls(GetCredentialReportCommand)).toHaveLength(3);
  });

  it.each([
    ["not present", new CredentialReportNotPresentException(meta)],
    ["expired", new CredentialReportExpiredException(meta)],
  ])("generates the report again when it is %s", async (_, error) => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    iam.on(GetCredentialReportCommand).rejectsOnce(error).resolves(reportResponse(csv));
    const { sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, { sleep });

    expect(E.isRight(result)).toBe(true);
    expect(iam.commandCalls(GenerateCredentialReportCommand)).toHaveLength(2);
  });

  it("still reads the last report when generating one is over the limit", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).rejects(new LimitExceededException(meta));
    iam.on(GetCredentialReportCommand).resolves(reportResponse(csv));
    const { sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, { sleep });

    expect(E.isRight(result)).toBe(true);
  });

  it("waits out throttling that outlasted the SDK's retries", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    iam.on(GetCredentialReportCommand).rejectsOnce(throttled).resolves(reportResponse(csv));
    const { waits, sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, { sleep, initialDelayMs: 50 });

    expect(E.isRight(result)).toBe(true);
    expect(waits).toEqual([50]);
  });

  it("gives up with ReportUnavailable once the time is used up", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "STARTED" });
    iam.on(GetCredentialReportCommand).rejects(new CredentialReportNotReadyException(meta));
    const { waits, sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, {
      sleep,
      initialDelayMs: 100,
      maxDelayMs: 400,
      timeoutMs: 1000,
    });

    expect(E.isLeft(result) && result.left.tag).toBe("ReportUnavailable");
    expect(waits.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it("stops generating after three attempts when the report keeps vanishing", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    iam.on(GetCredentialReportCommand).rejects(new CredentialReportNotPresentException(meta));
    const { sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, { sleep });

    expect(E.isLeft(result) && result.left.tag).toBe("ReportUnavailable");
    expect(iam.commandCalls(GenerateCredentialReportCommand)).toHaveLength(3);
  });

  it("fails at once when access to the report is denied", async () => {
    const { clients, iam } = mockedClients();
    iam
      .on(GenerateCredentialReportCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
    const { sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, { sleep });

    expect(E.isLeft(result) && result.left.toJSON()).toMatchObject({
      tag: "AccessDenied",
      operation: "iam:GenerateCredentialReport",
    });
    expect(iam.commandCalls(GetCredentialReportCommand)).toHaveLength(0);
  });

  it("rejects a report that is not CSV", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    iam
      .on(GetCredentialReportCommand)
      .resolves({ ...reportResponse(csv), ReportFormat: "application/json" as never });
    const { sleep } = recordingSleep();

    const result = await fetchCredentialReport(clients.iam, { sleep });

    expect(E.isLeft(result) && result.left.tag).toBe("MalformedReport");
  });
});

describe("readCredentialReport", () => {
  const csv = reportCsv(
    row("alice", { active: true, created: daysAgo(40), lastUsed: daysAgo(2) }),
    row("bob"),
  );

  // Contract change (issue 16): the first check comes after 100 ms (was 250 ms), and waits
  // double up to 2 s (was 20 s), so that a small account's report is not waited on for nothing.
  it("first checks a report that is being generated after 100 ms, then doubles the wait up to 2 s", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "STARTED" });
    iam
      .on(GetCredentialReportCommand)
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .resolves(reportResponse(csv));
    const { waits, sleep } = recordingSleep();

    const result = await readCredentialReport(clients.iam, { sleep });

    expect(E.isRight(result)).toBe(true);
    expect(DEFAULT_REPORT_INITIAL_DELAY_MS).toBe(100);
    expect(waits).toEqual([100, 200, 400, 800, 1600, 2000]);
  });

  it("returns the users parsed, how many there were and when the report was made", async () => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    iam.on(GetCredentialReportCommand).resolves(reportResponse(csv));
    const { sleep } = recordingSleep();

    const all = await readCredentialReport(clients.iam, { sleep });
    const some = await readCredentialReport(
      clients.iam,
      { sleep },
      { keep: (u) => u.keys.length > 0 },
    );

    expect(all).toEqual(
      E.right({
        users: parsed(csv),
        usersSeen: 2,
        unreadable: [],
        generatedAt: new Date("2026-06-15T06:00:00Z"),
      }),
    );
    expect(E.isRight(some) && some.right.users.map((u) => u.userName)).toEqual(["alice"]);
    expect(E.isRight(some) && some.right.usersSeen).toBe(2);
  });

  it.each([
    ["a truncated report", { ...reportResponse(reportCsv(row("alice")).slice(0, -20)) }],
    ["a report cut inside its last field", reportResponse(reportCsv(row("alice")).slice(0, -1))],
    ["a report that is not CSV", { ...reportResponse(csv), ReportFormat: "application/json" }],
    ["an empty report", { ...reportResponse(csv), Content: undefined }],
  ])("rejects %s as malformed", async (_, response) => {
    const { clients, iam } = mockedClients();
    iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    iam.on(GetCredentialReportCommand).resolves(response as never);
    const { sleep } = recordingSleep();

    const result = await readCredentialReport(clients.iam, { sleep });

    expect(E.isLeft(result) && result.left.toJSON()).toMatchObject({
      tag: "MalformedReport",
      operation: "iam:GetCredentialReport",
    });
  });
});
