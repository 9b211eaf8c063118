import { missingParameter } from "./errors.js";
import { escapeXml } from "./xml.js";

/**
 * The parameters of an AWS Query-protocol request (form body merged over the URL query).
 * IAM and SES both speak this protocol, so parsing `X.member.N` lists lives here once.
 */
export class QueryParams {
  private readonly values = new Map<string, string>();

  /** Parses a form-encoded body and the URL's own query string (the body wins). */
  constructor(body: string, urlQuery?: URLSearchParams) {
    if (urlQuery) for (const [k, v] of urlQuery) this.values.set(k, v);
    for (const [k, v] of new URLSearchParams(body)) this.values.set(k, v);
  }

  /** The value of `name`, or undefined when absent. */
  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** The value of `name`, or a `MissingParameter` error naming it. */
  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw missingParameter(name);
    return value;
  }

  /** Whether any parameter starts with `prefix` (e.g. to tell an empty list from an absent one). */
  hasPrefix(prefix: string): boolean {
    for (const k of this.values.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** The list `name.member.1`, `name.member.2`, … in index order. */
  list(name: string): string[] {
    return this.indexed(`${name}.member.`).map(([, v]) => v);
  }

  /**
   * The structure list `name.member.N.field` as objects keyed by field, in index order; a map
   * (`name.entry.N.Key`, as SNS sends `MessageAttributes`) with `item` "entry".
   */
  structList(
    name: string,
    fields: readonly string[],
    item: "member" | "entry" = "member",
  ): Record<string, string | undefined>[] {
    const prefix = `${name}.${item}.`;
    const byIndex = new Map<number, Record<string, string | undefined>>();
    for (const [k, v] of this.values) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      const dot = rest.indexOf(".");
      if (dot < 0) continue;
      const index = Number(rest.slice(0, dot));
      const field = rest.slice(dot + 1);
      if (!Number.isInteger(index) || !fields.includes(field)) continue;
      const entry = byIndex.get(index) ?? {};
      entry[field] = v;
      byIndex.set(index, entry);
    }
    return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  }

  private indexed(prefix: string): [number, string][] {
    const out: [number, string][] = [];
    for (const [k, v] of this.values) {
      if (!k.startsWith(prefix)) continue;
      const index = Number(k.slice(prefix.length));
      if (Number.isInteger(index)) out.push([index, v]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }
}

/** Namespaces of the Query services the sandbox speaks, by signing name. */
export const QUERY_NAMESPACES = {
  iam: "https://iam.amazonaws.com/doc/2010-05-08/",
  ses: "http://ses.amazonaws.com/doc/2010-12-01/",
  sns: "http://sns.amazonaws.com/doc/2010-03-31/",
} as const;

/**
 * A successful Query response: `<XxxResponse><XxxResult>…</XxxResult><ResponseMetadata>…`.
 * A null result omits the Result element, as AWS does for actions that return nothing.
 */
export function queryResponse(
  action: string,
  namespace: string,
  result: string | null,
  requestId: string,
): string {
  const body = result === null ? "" : `<${action}Result>${result}</${action}Result>`;
  return (
    `<${action}Response xmlns="${namespace}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** A Query error response: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`. */
export function queryErrorResponse(
  namespace: string,
  error: { type: string; code: string; message: string },
  requestId: string,
): string {
  return (
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${error.type}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
