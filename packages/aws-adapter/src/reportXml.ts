import { StringDecoder } from "node:string_decoder";
import type { AwsError } from "./errors.js";
import { malformedReport } from "./reportRows.js";

/** The small fields of a `GetCredentialReport` response, read beside its content. */
export interface ReportEnvelope {
  generatedTime?: string;
  reportFormat?: string;
  requestId?: string;
  /** Whether a `<Content>` element was found (empty or not). */
  hasContent: boolean;
}

/** Thrown while reading a response that is not a complete `GetCredentialReportResponse`. */
export class ReportXmlError extends Error {
  override readonly name = "ReportXmlError";

  /** The `MalformedReport` error to report. */
  readonly error: AwsError;

  constructor(message: string) {
    super(`the credential report response ${message}`);
    this.error = malformedReport(`response ${message}`);
  }
}

const ROOT = "GetCredentialReportResponse";
const RESULT = "GetCredentialReportResult";
/** Longest tag, or captured value, held while waiting for the rest of it. */
const MAX_PENDING = 64 * 1024;
const MAX_VALUE = 1024;

/**
 * Decodes base64 text given in pieces of any length: whitespace anywhere is skipped, a 4-character
 * group may be split across pieces, padding only at the very end. Anything else (a character
 * outside the alphabet, data after padding, a length that is not a multiple of 4) throws.
 */
export class Base64Stream {
  private carry = "";
  private padding = 0;

  /** Decodes what `text` completes; the bytes of the groups still open wait for more. */
  write(text: string): Buffer | undefined {
    const s = text.replace(/[ \t\r\n]+/g, "");
    if (s === "") return undefined;
    if (!/^[A-Za-z0-9+/]*=*$/.test(s)) throw new ReportXmlError("content is not base64");
    const eq = s.indexOf("=");
    if (this.padding > 0 && eq !== 0) throw new ReportXmlError("content has data after padding");
    if (eq !== -1) this.padding += s.length - eq;
    if (this.padding > 2) throw new ReportXmlError("content has too much base64 padding");
    const all = this.carry + s;
    const usable = all.length - (all.length % 4);
    this.carry = all.slice(usable);
    return usable === 0 ? undefined : Buffer.from(all.slice(0, usable), "base64");
  }

  /** Checks that no group is left open. */
  end(): void {
    if (this.carry !== "") throw new ReportXmlError("content is cut inside a base64 group");
  }
}

const nameOf = (tag: string): string => /^<\/?([^\s/>]+)/.exec(tag)?.[1] ?? "";

const unescapeXml = (s: string): string =>
  s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) =>
    e === "lt" ? "<" : e === "gt" ? ">" : e === "amp" ? "&" : e === "quot" ? '"' : "'",
  );

/** Where the tag starting at `lt` ends (the index of its last character), or -1 if not yet. */
const tagEnd = (text: string, lt: number): number => {
  if (text.startsWith("<?", lt)) {
    const end = text.indexOf("?>", lt + 2);
    return end === -1 ? -1 : end + 1;
  }
  if (text.startsWith("<!--", lt)) {
    const end = text.indexOf("-->", lt + 4);
    return end === -1 ? -1 : end + 2;
  }
  let quote = "";
  for (let i = lt + 1; i < text.length; i += 1) {
    const c = text[i];
    if (quote !== "") {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return i;
  }
  return -1;
};

/**
 * Reads the XML of a `GetCredentialReport` response as it arrives and yields the decoded bytes of
 * its `<Content>` (the report's CSV) piece by piece, filling `envelope` with `GeneratedTime`,
 * `ReportFormat` and `RequestId` as they pass. Holds at most one chunk and one open tag at a time:
 * the content is never gathered. Tags and base64 groups may be split across chunks anywhere.
 *
 * Throws {@link ReportXmlError} when the response is not a well-nested, complete
 * `GetCredentialReportResponse` (cut short, a second root, a DOCTYPE or CDATA, content that is not
 * base64); an error of `body` itself (a broken connection) passes through.
 */
export async function* reportContent(
  body: AsyncIterable<Uint8Array | string>,
  envelope: ReportEnvelope,
): AsyncGenerator<Buffer, void, undefined> {
  const decoder = new StringDecoder("utf8");
  const base64 = new Base64Stream();
  const stack: string[] = [];
  let rootDone = false;
  let inContent = false;
  // The content's text ended at a "<": the next tag must be its end tag.
  let closingContent = false;
  let capture: "generatedTime" | "reportFormat" | "requestId" | undefined;
  let value = "";
  let pending = "";

  const onText = (text: string): void => {
    if (capture !== undefined) {
      value += text;
      if (value.length > MAX_VALUE) throw new ReportXmlError(`has an overlong ${capture}`);
    } else if (stack.length === 0 && text.trim() !== "") {
      throw new ReportXmlError("has text outside its root element");
    }
  };

  const onTag = (tag: string): void => {
    if (closingContent) {
      closingContent = false;
      if (!/^<\/Content\s*>$/.test(tag)) throw new ReportXmlError("has markup inside Content");
    }
    if (tag.startsWith("<?")) {
      if (stack.length > 0 || rootDone) throw new ReportXmlError("has a misplaced declaration");
      return;
    }
    if (tag.startsWith("<!--")) return;
    if (tag.startsWith("<!")) throw new ReportXmlError("has a DOCTYPE or CDATA section");
    const name = nameOf(tag);
    if (name === "") throw new ReportXmlError("has an invalid tag");
    if (tag.startsWith("</")) {
      if (stack.at(-1) !== name) throw new ReportXmlError(`closes ${name} where it was not open`);
      stack.pop();
      if (capture !== undefined) {
        envelope[capture] = unescapeXml(value.trim());
        capture = undefined;
      }
      if (stack.length === 0) rootDone = true;
      return;
    }
    if (rootDone) throw new ReportXmlError("has more than one root element");
    if (stack.length === 0 && name !== ROOT)
      throw new ReportXmlError(`is a ${name}, not a ${ROOT}`);
    if (capture !== undefined) throw new ReportXmlError(`has an element inside ${capture}`);
    const parent = stack.at(-1);
    const selfClosing = tag.endsWith("/>");
    if (parent === RESULT && name === "Content") {
      if (envelope.hasContent) throw new ReportXmlError("has two Content elements");
      envelope.hasContent = true;
      inContent = !selfClosing;
    } else if (parent === RESULT && (name === "GeneratedTime" || name === "ReportFormat")) {
      capture = name === "GeneratedTime" ? "generatedTime" : "reportFormat";
    } else if (parent === "ResponseMetadata" && name === "RequestId") {
      capture = "requestId";
    }
    if (selfClosing) {
      if (capture !== undefined) envelope[capture] = "";
      capture = undefined;
      if (stack.length === 0) rootDone = true;
    } else {
      value = "";
      stack.push(name);
    }
  };

  for await (const chunk of body) {
    const text = pending + (typeof chunk === "string" ? chunk : decoder.write(chunk));
    pending = "";
    let i = 0;
    while (i < text.length) {
      if (inContent) {
        const lt = text.indexOf("<", i);
        const bytes = base64.write(text.slice(i, lt === -1 ? text.length : lt));
        if (bytes !== undefined) yield bytes;
        if (lt === -1) break;
        inContent = false;
        closingContent = true;
        i = lt;
        continue;
      }
      const lt = text.indexOf("<", i);
      onText(text.slice(i, lt === -1 ? text.length : lt));
      if (lt === -1) break;
      const gt = tagEnd(text, lt);
      if (gt === -1) {
        pending = text.slice(lt);
        if (pending.length > MAX_PENDING) throw new ReportXmlError("has an overlong tag");
        break;
      }
      onTag(text.slice(lt, gt + 1));
      i = gt + 1;
    }
  }
  if (pending !== "" || inContent || stack.length > 0 || !rootDone) {
    throw new ReportXmlError("is cut short");
  }
  onText(decoder.end());
  base64.end();
}

/** A `GetCredentialReportResponse` with an empty `Content` and the envelope's other fields. */
export const envelopeXml = (envelope: ReportEnvelope): string => {
  const escapeXml = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const field = (name: string, v: string | undefined) =>
    v === undefined ? "" : `<${name}>${escapeXml(v)}</${name}>`;
  return (
    `<${ROOT} xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${RESULT}><Content></Content>` +
    `${field("ReportFormat", envelope.reportFormat)}${field("GeneratedTime", envelope.generatedTime)}` +
    `</${RESULT}><ResponseMetadata>${field("RequestId", envelope.requestId)}</ResponseMetadata></${ROOT}>`
  );
};
