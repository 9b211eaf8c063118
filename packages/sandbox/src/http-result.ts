import { XML_DECLARATION } from "./xml.js";

/** An HTTP answer built by a service handler, written out by the server. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** An XML document answer (`application/xml`, with the XML declaration), as S3 sends them. */
export function xmlResult(status: number, body: string): HttpResult {
  return { status, headers: { "content-type": "application/xml" }, body: XML_DECLARATION + body };
}
