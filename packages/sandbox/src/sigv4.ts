import type { IncomingHttpHeaders } from "node:http";

/** What the SigV4 credential scope of a request says: who signed it, where, for which service. */
export interface SigningInfo {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const SCOPE = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

/**
 * Reads the credential scope from the `Authorization` header or presigned `X-Amz-Credential`.
 * The scope names the service, which is how one endpoint serves IAM, S3 and SES (as LocalStack does).
 * Signatures are not verified.
 */
export function readSigningInfo(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): SigningInfo | undefined {
  const auth = headers.authorization;
  let credential: string | undefined;
  if (typeof auth === "string" && auth.startsWith("AWS4-")) {
    credential = /Credential=([^,\s]+)/.exec(auth)?.[1];
  } else {
    credential = query.get("X-Amz-Credential") ?? undefined;
  }
  if (credential === undefined) return undefined;
  const m = SCOPE.exec(credential);
  if (!m) return undefined;
  return {
    accessKeyId: m[1] as string,
    date: m[2] as string,
    region: m[3] as string,
    service: m[4] as string,
  };
}
