import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { AwsError } from "../src/errors.js";
import {
  CredentialReportRows,
  parseCredentialReport,
  parseCsvStream,
  type ReportRows,
} from "../src/reportRows.js";
import {
  Base64Stream,
  envelopeXml,
  type ReportEnvelope,
  ReportXmlError,
  reportContent,
} from "../src/reportXml.js";
import { daysAgo, reportCsv, row } from "./fixtures.js";

/** A `GetCredentialReport` response as IAM writes it, around `base64` content. */
const responseXml = (base64: string, generated = "2026-06-15T06:00:00Z"): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\n  <GetCredentialReportResult>\n    <Content>${base64}</Content>\n    <ReportFormat>text/csv</ReportFormat>\n    <GeneratedTime>${generated}</GeneratedTime>\n  </GetCredentialReportResult>\n  <ResponseMetadata>\n    <RequestId>0a1b2c3d-request</RequestId>\n  </ResponseMetadata>\n</GetCredentialReportResponse>\n`;

const csv = reportCsv(
  row("alice", { active: true, created: daysAgo(40), lastUsed: daysAgo(2) }),
  row("bob"),
  row(
    "carol",
    { active: false, created: daysAgo(90), lastUsed: "N/A" },
    { active: true, created: daysAgo(5), lastUsed: "no_information" },
  ),
  row("dave", undefined, { active: true, created: daysAgo(3) }),
);
const xml = responseXml(Buffer.from(csv).toString("base64"));

/** `text`'s bytes in pieces of the given sizes, cycling through them. */
async function* chunked(text: string | Buffer, sizes: ReadonlyArray<number>) {
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  for (let at = 0, i = 0; at < bytes.length; i += 1) {
    const size = sizes[i % sizes.length] ?? 1;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** Seeded sizes between 1 and `max`: random but reproducible chunk boundaries. */
const randomSizes = (seed: number, count: number, max: number): number[] => {
  let s = seed;
  return Array.from({ length: count }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return 1 + (s % max);
  });
};

/** Reads a response the way the middleware does: XML scanned, base64 decoded, CSV parsed. */
const readResponse = async (
  body: AsyncIterable<Uint8Array>,
  keep?: (userName: string) => boolean,
): Promise<{ envelope: ReportEnvelope; result: E.Either<AwsError, ReportRows> }> => {
  const envelope: ReportEnvelope = { hasContent: false };
  const rows = new CredentialReportRows(keep && ((u) => keep(u.userName)));
  try {
    await parseCsvStream(reportContent(body, envelope), rows);
  } catch (e) {
    if (e instanceof ReportXmlError) return { envelope, result: E.left(e.error) };
    throw e;
  }
  return { envelope, result: rows.finish() };
};

const expected = parseCredentialReport(csv);

describe("the streamed credential report", () => {
  it.each([
    ["1-byte", [1]],
    ["3-byte", [3]],
    ["random 1–50-byte", randomSizes(7, 500, 50)],
    ["random 1–4096-byte", randomSizes(11, 50, 4096)],
    ["one", [1_000_000]],
  ])("reads the same users as parseCredentialReport in %s chunks", async (_, sizes) => {
    const { envelope, result } = await readResponse(chunked(xml, sizes));
    expect(E.isRight(expected)).toBe(true);
    expect(result).toEqual(
      E.map((users: ReadonlyArray<unknown>) => ({
        users,
        usersSeen: users.length,
        unreadable: [],
      }))(expected),
    );
    expect(envelope).toEqual({
      hasContent: true,
      reportFormat: "text/csv",
      generatedTime: "2026-06-15T06:00:00Z",
      requestId: "0a1b2c3d-request",
    });
  });

  it("reads base64 wrapped over lines, with groups and padding split across chunks", async () => {
    // Three lengths: no padding, "=" and "==".
    const encoded = ["", "\n", "\n\n"].map((tail) => Buffer.from(csv + tail).toString("base64"));
    expect(encoded.map((b64) => /=*$/.exec(b64)?.[0]).sort()).toEqual(["", "=", "=="]);
    for (const b64 of encoded) {
      const wrapped = (b64.match(/.{1,76}/g) ?? []).join("\r\n");
      for (const sizes of [[1], [2], [3], [5], randomSizes(3, 300, 9)]) {
        const { result } = await readResponse(chunked(responseXml(`\n${wrapped}\n`), sizes));
        expect(E.isRight(result) && result.right.users.map((u) => u.userName)).toEqual([
          "alice",
          "bob",
          "carol",
          "dave",
        ]);
      }
    }
  });

  it("keeps only the users asked for, yet checks and counts every row", async () => {
    const { result } = await readResponse(chunked(xml, [7]), (name) => name.startsWith("c"));
    expect(E.isRight(result) && result.right.usersSeen).toBe(4);
    expect(E.isRight(result) && result.right.users.map((u) => u.userName)).toEqual(["carol"]);
    // Issue 12: a row that cannot be read is listed, and its user kept to be read from IAM.
    const bad = reportCsv(row("alice"), row("alice"));
    const dup = await readResponse(
      chunked(responseXml(Buffer.from(bad).toString("base64")), [64]),
      () => false,
    );
    expect(E.isRight(dup.result) && dup.result.right.unreadable).toEqual([
      { line: 4, userName: "alice", problem: "user alice appears twice" },
    ]);
    expect(E.isRight(dup.result) && dup.result.right.users).toEqual([
      { userName: "alice", keys: [] },
    ]);
  });

  it("rejects every response cut short, wherever it is cut", async () => {
    // A strict prefix of the response is never a report: each is malformed, none is read.
    const bytes = Buffer.from(xml.trimEnd());
    for (let cut = 0; cut < bytes.length; cut += 1) {
      const { result } = await readResponse(chunked(bytes.subarray(0, cut), [5]));
      expect(E.isLeft(result) && result.left.tag, `cut at ${cut}`).toBe("MalformedReport");
    }
  });

  it("rejects a report whose CSV is cut inside its last field or inside a row", async () => {
    for (const cut of [csv.length - 1, csv.length - 20]) {
      const { result } = await readResponse(
        chunked(responseXml(Buffer.from(csv.slice(0, cut)).toString("base64")), [3]),
      );
      expect(E.isLeft(result) && result.left.message).toMatch(/credential report/);
    }
  });

  it.each([
    ["a character outside base64", responseXml("dXNlcix*YXJu")],
    ["data after padding", responseXml("dXM=dXNl")],
    ["a base64 group cut short", responseXml("dXNlc")],
    ["too much padding", responseXml("dQ===")],
    ["markup inside Content", responseXml("dXNl<b>cg==</b>")],
    [
      "another root element",
      xml.replace("GetCredentialReportResponse xmlns", "ErrorResponse xmlns"),
    ],
    ["a second root element", `${xml}<GetCredentialReportResponse/>`],
    ["mismatched tags", xml.replace("</ReportFormat>", "</GeneratedTime>")],
    ["a DOCTYPE", xml.replace("<?xml", '<!DOCTYPE x [<!ENTITY a "b">]><?xml')],
    [
      "two Content elements",
      xml.replace("<ReportFormat>", "<Content>dXNl</Content><ReportFormat>"),
    ],
    ["text after the root", `${xml}garbage`],
  ])("rejects a response with %s as malformed", async (_, body) => {
    const { result } = await readResponse(chunked(body, [4]));
    expect(E.isLeft(result) && result.left.tag).toBe("MalformedReport");
    expect(E.isLeft(result) && result.left.message).toMatch(/credential report/);
  });

  it("reads an empty or missing Content as an empty report", async () => {
    for (const body of [responseXml(""), xml.replace(/<Content>.*<\/Content>/, "<Content/>")]) {
      const { envelope, result } = await readResponse(chunked(body, [3]));
      expect(envelope.hasContent).toBe(true);
      expect(E.isLeft(result) && result.left.message).toMatch(/is empty/);
    }
    const none = await readResponse(chunked(xml.replace(/<Content>.*<\/Content>/, ""), [3]));
    expect(none.envelope.hasContent).toBe(false);
  });

  it("passes an error of the body itself (a broken connection) through", async () => {
    async function* broken() {
      yield Buffer.from(xml.slice(0, 200));
      throw Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    }
    await expect(readResponse(broken())).rejects.toMatchObject({ code: "ECONNRESET" });
  });
});

describe("Base64Stream", () => {
  const decode = (pieces: string[]): string => {
    const b = new Base64Stream();
    const out = pieces.map((p) => b.write(p) ?? Buffer.alloc(0));
    b.end();
    return Buffer.concat(out).toString("utf8");
  };

  it("decodes groups and padding split anywhere, skipping whitespace", () => {
    const text = "user,arn\n<root_account>,x\né";
    const b64 = Buffer.from(text).toString("base64");
    for (let i = 0; i <= b64.length; i += 1) {
      for (let j = i; j <= b64.length; j += 3) {
        expect(decode([b64.slice(0, i), " \n", b64.slice(i, j), "\r\n", b64.slice(j)])).toBe(text);
      }
    }
    expect(decode(["QQ", "=", "="])).toBe("A");
  });

  it("rejects what is not canonical base64", () => {
    expect(() => decode(["QQ==", "QQ=="])).toThrow(ReportXmlError);
    expect(() => decode(["QQ=", "A"])).toThrow(ReportXmlError);
    expect(() => decode(["Q"])).toThrow(ReportXmlError);
    expect(() => decode(["QQ-_"])).toThrow(ReportXmlError);
  });
});

describe("envelopeXml", () => {
  it("writes a response with an empty Content that reads back to the same envelope", async () => {
    const envelope: ReportEnvelope = {
      hasContent: true,
      reportFormat: "text/csv",
      generatedTime: "2026-06-15T06:00:00Z",
      requestId: "a&b<c>",
    };
    const read: ReportEnvelope = { hasContent: false };
    const bytes: Buffer[] = [];
    for await (const b of reportContent(chunked(envelopeXml(envelope), [2]), read)) bytes.push(b);
    expect(bytes).toEqual([]);
    expect(read).toEqual(envelope);
  });
});
