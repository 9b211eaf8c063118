import { createHash, createHmac } from "node:crypto";

const sha256 = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");
const hmac = (key: Buffer | string, s: string): Buffer =>
  createHmac("sha256", key).update(s, "utf8").digest();

/** What {@link signedGetUser} needs: where, as whom, in which region, at what time. */
export interface KeyUseRequest {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  /** Used only to sign, in memory; never written anywhere. */
  readonly secretAccessKey: string;
  /** The request time (the sandbox's clock), which becomes the key's last use. */
  readonly at: Date;
}

/**
 * Calls IAM `GetUser` signed with SigV4 as the key's owner: what any application holding the key
 * does, and what makes IAM record the key's last use. The demo uses it to simulate users who
 * keep working with their keys, so that only the keys meant to go unused are judged unused.
 * Resolves with the HTTP status.
 */
export const signedGetUser = async (req: KeyUseRequest): Promise<number> => {
  const url = new URL(req.endpoint);
  const body = "Action=GetUser&Version=2010-05-08";
  const amzDate = req.at
    .toISOString()
    .replaceAll(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${req.region}/iam/aws4_request`;
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    host: url.host,
    "x-amz-date": amzDate,
  };
  const signed = Object.keys(headers).sort();
  const canonical = [
    "POST",
    url.pathname === "" ? "/" : url.pathname,
    "",
    ...signed.map((h) => `${h}:${headers[h]}`),
    "",
    signed.join(";"),
    sha256(body),
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const kDate = hmac(`AWS4${req.secretAccessKey}`, day);
  const key = hmac(hmac(hmac(kDate, req.region), "iam"), "aws4_request");
  const signature = createHmac("sha256", key).update(toSign, "utf8").digest("hex");
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": headers["content-type"] as string,
      "x-amz-date": amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${req.accessKeyId}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${signature}`,
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
};
