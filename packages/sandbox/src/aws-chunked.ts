import { ServiceError } from "./errors.js";

/**
 * Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=…]\r\n<data>\r\n…0\r\n<trailers>\r\n\r\n`).
 * SDK v3 streams uploads this way with trailing checksums; the sandbox must store the decoded bytes.
 */
export function decodeAwsChunked(body: Buffer): { data: Buffer; trailers: Record<string, string> } {
  const chunks: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let pos = 0;
  const readLine = (): string => {
    const end = body.indexOf("\r\n", pos, "latin1");
    if (end < 0) throw malformed();
    const line = body.toString("latin1", pos, end);
    pos = end + 2;
    return line;
  };
  for (;;) {
    const header = readLine();
    const size = Number.parseInt(header.split(";")[0] ?? "", 16);
    if (!/^[0-9a-fA-F]+$/.test(header.split(";")[0] ?? "") || !Number.isFinite(size))
      throw malformed();
    if (size === 0) break;
    if (pos + size + 2 > body.length) throw malformed();
    chunks.push(body.subarray(pos, pos + size));
    pos += size;
    if (body.toString("latin1", pos, pos + 2) !== "\r\n") throw malformed();
    pos += 2;
  }
  while (pos < body.length) {
    const line = readLine();
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon < 0) throw malformed();
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(chunks), trailers };
}

function malformed(): ServiceError {
  return new ServiceError(
    "IncompleteBody",
    "The request body is not valid aws-chunked encoding.",
    400,
  );
}
