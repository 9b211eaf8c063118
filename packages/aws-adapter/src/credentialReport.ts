import { Readable } from "node:stream";
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type GetCredentialReportCommandOutput,
  type IAMClient,
} from "@aws-sdk/client-iam";
import * as E from "fp-ts/lib/Either.js";
import { AwsError, mapAwsError } from "./errors.js";
import {
  CredentialReportRows,
  type CredentialReportUser,
  malformedReport,
  parseCsvStream,
  type ReportRows,
} from "./reportRows.js";
import { envelopeXml, type ReportEnvelope, ReportXmlError, reportContent } from "./reportXml.js";

export {
  type CredentialReportKey,
  type CredentialReportUser,
  parseCredentialReport,
  parseCredentialReportRows,
  REQUIRED_COLUMNS,
  type UnreadableReportRow,
} from "./reportRows.js";

const operation = "iam:GetCredentialReport";

/** How to wait for the credential report. Every field has a default. */
export interface ReportPolling {
  /**
   * First wait after asking for a report that is not ready (default 100 ms: IAM takes from
   * moments to seconds to generate one, so the first check comes early).
   */
  readonly initialDelayMs?: number;
  /**
   * Longest wait between two polls (default 2 s); waits double up to it, so a report is read at
   * most 2 s after it is ready, at the cost of a poll every 2 s while a large one is generated.
   */
  readonly maxDelayMs?: number;
  /** Give up after waiting this long in total (default 5 minutes). */
  readonly timeoutMs?: number;
  /** How to wait; injected so that tests do not sleep (default `setTimeout`). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Default first wait of {@link ReportPolling}, in ms. */
export const DEFAULT_REPORT_INITIAL_DELAY_MS = 100;

/** Default longest wait of {@link ReportPolling}, in ms. */
export const DEFAULT_REPORT_MAX_DELAY_MS = 2_000;

/** A credential report as fetched: its CSV and when IAM generated it. */
export interface FetchedReport {
  readonly csv: string;
  readonly generatedAt: Date | undefined;
}

/** A credential report as read by {@link readCredentialReport}: its users, parsed and checked. */
export interface CredentialReport extends ReportRows {
  readonly generatedAt: Date | undefined;
}

/** Options of {@link readCredentialReport}. */
export interface ReadReportOptions {
  /**
   * Which users to keep (default: all). Every row is still checked and counted in `usersSeen`;
   * the others are dropped as they are read, so a large account costs only the users kept.
   */
  readonly keep?: (user: CredentialReportUser) => boolean;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Asks IAM for a fresh credential report and reads it with `get`: `GenerateCredentialReport`,
 * then `get` (a `GetCredentialReport`), polling with exponential backoff while it is
 * `ReportInProgress`, generating again when it is `ReportNotPresent` or `ReportExpired`, and
 * waiting out throttling and a generation `LimitExceeded` (a recent report can still be read).
 */
const pollCredentialReport = async <A>(
  iam: IAMClient,
  polling: ReportPolling,
  get: () => Promise<E.Either<AwsError, A>>,
): Promise<E.Either<AwsError, A>> => {
  const sleep = polling.sleep ?? defaultSleep;
  const maxDelay = polling.maxDelayMs ?? DEFAULT_REPORT_MAX_DELAY_MS;
  const timeout = polling.timeoutMs ?? 300_000;
  let delay = polling.initialDelayMs ?? DEFAULT_REPORT_INITIAL_DELAY_MS;
  let waited = 0;
  let generations = 0;
  const wait = async (): Promise<boolean> => {
    if (waited >= timeout) return false;
    const ms = Math.min(delay, timeout - waited);
    await sleep(ms);
    waited += ms;
    delay = Math.min(delay * 2, maxDelay);
    return true;
  };
  const generate = async (): Promise<E.Either<AwsError, boolean>> => {
    generations += 1;
    try {
      const out = await iam.send(new GenerateCredentialReportCommand({}));
      return E.right(out.State === "COMPLETE");
    } catch (e) {
      const error = mapAwsError("iam:GenerateCredentialReport", e);
      // Generating too often: a report made moments ago may still be there to read.
      if (error.tag === "LimitExceeded" || error.tag === "Throttled") return E.right(false);
      return E.left(error);
    }
  };
  const first = await generate();
  if (E.isLeft(first)) return first;
  if (!first.right) await wait();
  let last: AwsError | undefined;
  for (;;) {
    try {
      return await get();
    } catch (e) {
      last = mapAwsError(operation, e);
      const code = last.code ?? "";
      const notReady = /ReportInProgress|NotReady/.test(code);
      const gone = /ReportNotPresent|NotPresent|ReportExpired|Expired/.test(code);
      if (gone) {
        if (generations >= 3) break;
        const again = await generate();
        if (E.isLeft(again)) return again;
        if (!again.right && !(await wait())) break;
        continue;
      }
      if (!(notReady || last.tag === "Throttled" || last.tag === "ServiceFailure")) {
        return E.left(last);
      }
      if (!(await wait())) break;
    }
  }
  return E.left(
    new AwsError(
      "ReportUnavailable",
      operation,
      `the credential report was not available after ${Math.round(waited / 1000)} s and ${generations} generation request(s)${last === undefined ? "" : `; last: ${last.message}`}`,
      last?.code,
      last === undefined ? {} : { cause: last },
    ),
  );
};

/** What the streaming middleware read from one successful attempt. */
interface Streamed<A> {
  readonly envelope: ReportEnvelope;
  readonly value: A;
}

/** The part of the SDK's `HttpResponse` the streaming middleware uses. */
interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

const isRawResponse = (r: unknown): r is RawResponse =>
  typeof r === "object" &&
  r !== null &&
  typeof (r as { statusCode?: unknown }).statusCode === "number" &&
  typeof (r as { headers?: unknown }).headers === "object";

const bodyChunks = (body: unknown): AsyncIterable<Uint8Array | string> | undefined => {
  if (body instanceof Uint8Array || typeof body === "string") return Readable.from([body]);
  const iterable = body as { [Symbol.asyncIterator]?: unknown } | null | undefined;
  return typeof iterable?.[Symbol.asyncIterator] === "function"
    ? (iterable as AsyncIterable<Uint8Array | string>)
    : undefined;
};

/**
 * A deserialize-step middleware for one `GetCredentialReportCommand`, placed inside the SDK's
 * deserializer (priority low): on each attempt it sees the raw HTTP response from the transport.
 * An error status passes through untouched, so the SDK still maps and retries `ReportInProgress`,
 * `ReportNotPresent`, `ReportExpired` and throttling. A success is read as a stream: `consume`
 * gets the decoded CSV bytes of `<Content>` as they arrive, and the SDK's deserializer then gets
 * the same response with an empty `<Content>`, so the command resolves without the SDK ever
 * holding the report. What `consume` returned goes to `done`.
 *
 * A response that is not a complete `GetCredentialReportResponse` fails the attempt with a
 * `MalformedReport` error; a connection broken mid-body fails it with the transport's error,
 * which the SDK retries like any other.
 */
const streamReportBody =
  <A>(
    consume: (content: AsyncIterable<Uint8Array>) => Promise<A>,
    done: (read: Streamed<A> | undefined) => void,
  ) =>
  <I, O>(next: (args: I) => Promise<O>) =>
  async (args: I): Promise<O> => {
    done(undefined);
    const out = await next(args);
    const response = (out as { response?: unknown }).response;
    if (!isRawResponse(response) || response.statusCode < 200 || response.statusCode >= 300) {
      return out;
    }
    const body = bodyChunks(response.body);
    if (body === undefined) return out;
    const envelope: ReportEnvelope = { hasContent: false };
    let value: A;
    try {
      value = await consume(reportContent(body, envelope));
    } catch (e) {
      if (e instanceof ReportXmlError) throw e.error;
      throw e;
    }
    const xml = Buffer.from(envelopeXml(envelope), "utf8");
    response.body = Readable.from([xml]);
    for (const name of Object.keys(response.headers)) {
      if (name.toLowerCase() === "content-length") response.headers[name] = String(xml.length);
    }
    done({ envelope, value });
    return out;
  };

const streamingOptions = {
  step: "deserialize",
  priority: "low",
  name: "keyrotateCredentialReportStream",
} as const;

/**
 * Sends one `GetCredentialReport` whose content goes to `consume` as it arrives; when the
 * middleware did not run (a client whose `send` is stubbed, as in unit tests), the content the
 * SDK decoded goes to `consume` instead. Left when the report is not CSV or has no content.
 */
const getReport = async <A>(
  iam: IAMClient,
  consume: (content: AsyncIterable<Uint8Array>) => Promise<A>,
): Promise<E.Either<AwsError, { value: A; out: GetCredentialReportCommandOutput }>> => {
  let streamed: Streamed<A> | undefined;
  const command = new GetCredentialReportCommand({});
  command.middlewareStack.add(
    streamReportBody(consume, (read) => {
      streamed = read;
    }),
    streamingOptions,
  );
  const out = await iam.send(command);
  const format = out.ReportFormat ?? streamed?.envelope.reportFormat;
  if (format !== undefined && format !== "text/csv") {
    return E.left(malformedReport(`has format ${format}, not text/csv`));
  }
  if (streamed !== undefined) {
    return streamed.envelope.hasContent
      ? E.right({ value: streamed.value, out })
      : E.left(malformedReport("is empty"));
  }
  if (out.Content === undefined) return E.left(malformedReport("is empty"));
  return E.right({ value: await consume(pieces(out.Content)), out });
};

/** `bytes` as a stream of pieces of at most 64 KiB. */
async function* pieces(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536);
}

/**
 * Asks IAM for a fresh credential report and reads it as it downloads: `GenerateCredentialReport`,
 * then `GetCredentialReport`, polling with exponential backoff while it is `ReportInProgress`
 * (first check after {@link ReportPolling.initialDelayMs}), generating again when it is
 * `ReportNotPresent` or `ReportExpired`, and waiting out throttling and a generation
 * `LimitExceeded` (a recent report can still be read).
 *
 * The report is never held whole: its XML is scanned, its base64 decoded and its CSV parsed as
 * the bytes arrive, and only the users kept (`options.keep`) outlive their row, so memory grows
 * with the users kept rather than with the account. Every row is checked as
 * {@link parseCredentialReport} does: a row that cannot be read is listed in `unreadable` (its
 * user kept, with no key slots); a malformed or truncated report is a `MalformedReport`.
 *
 * On an account whose report is ready at once this costs two calls; usually one poll more.
 */
export const readCredentialReport = (
  iam: IAMClient,
  polling: ReportPolling = {},
  options: ReadReportOptions = {},
): Promise<E.Either<AwsError, CredentialReport>> =>
  pollCredentialReport(iam, polling, async () => {
    const read = await getReport(iam, async (content) => {
      const rows = new CredentialReportRows(options.keep);
      await parseCsvStream(content, rows);
      return rows.finish();
    });
    if (E.isLeft(read)) return read;
    const { value, out } = read.right;
    return E.isLeft(value)
      ? value
      : E.right({
          users: value.right.users,
          usersSeen: value.right.usersSeen,
          unreadable: value.right.unreadable,
          generatedAt: out.GeneratedTime,
        });
  });

/**
 * Like {@link readCredentialReport}, but returns the report's CSV as one string, for callers that
 * parse it themselves with {@link parseCredentialReport}. The download is streamed as well, but
 * the CSV is held whole: prefer {@link readCredentialReport} on large accounts.
 */
export const fetchCredentialReport = (
  iam: IAMClient,
  polling: ReportPolling = {},
): Promise<E.Either<AwsError, FetchedReport>> =>
  pollCredentialReport(iam, polling, async () => {
    const read = await getReport(iam, async (content) => {
      const parts: Buffer[] = [];
      for await (const part of content)
        parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part));
      return Buffer.concat(parts).toString("utf8");
    });
    return E.map(({ value, out }: { value: string; out: GetCredentialReportCommandOutput }) => ({
      csv: value,
      generatedAt: out.GeneratedTime,
    }))(read);
  });
