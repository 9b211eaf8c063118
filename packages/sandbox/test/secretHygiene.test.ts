import { describe, expect, it } from "vitest";
import {
  describeLeaks,
  emailTexts,
  scanForSecrets,
  secretHygiene,
  textsOf,
} from "../src/verify/secretHygiene.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE+Y";
const secrets = [{ accessKeyId: "AKIAALICE00000000001", secretAccessKey: SECRET }];

describe("the secret scanner", () => {
  it("finds nothing in texts without a secret", () => {
    expect(
      scanForSecrets(secrets, { log: "rotated AKIAALICE00000000001", report: { ok: true } }),
    ).toEqual([]);
  });

  it("finds a secret verbatim, URL-encoded, base64-encoded or in part, and names only the key", () => {
    const leaks = scanForSecrets(secrets, {
      verbatim: `secret=${SECRET}`,
      url: `https://x/?s=${encodeURIComponent(SECRET)}`,
      base64: Buffer.from(SECRET).toString("base64"),
      partial: `…${SECRET.slice(0, 25)}…`,
    });

    expect(leaks.map((l) => [l.where, l.form])).toEqual([
      ["verbatim", "verbatim"],
      ["url", "url-encoded"],
      ["base64", "base64"],
      ["partial", "partial"],
    ]);
    expect(describeLeaks(leaks)).not.toContain(SECRET.slice(0, 20));
    expect(describeLeaks(leaks)).toContain("AKIAALICE00000000001");
  });

  it("looks into errors (message, stack, fields, causes), nested objects, arrays and buffers", () => {
    const inner = Object.assign(new Error("inner"), { response: { body: SECRET } });
    const outer = new Error("outer", { cause: inner });
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    circular.deep = [{ secret: SECRET }];

    expect(scanForSecrets(secrets, { error: outer })).toHaveLength(1);
    expect(scanForSecrets(secrets, { circular })).toHaveLength(1);
    expect(scanForSecrets(secrets, { buffer: Buffer.from(`x${SECRET}`) })).toHaveLength(1);
    expect(textsOf(new Error("boom")).join()).toContain("Error: boom");
  });

  it("reads every secret the source ever issued at scan time, and throws without printing it", () => {
    const issued: { accessKeyId: string; secretAccessKey: string }[] = [];
    const hygiene = secretHygiene({ issuedSecrets: () => issued });
    hygiene.assertClean({ log: SECRET });
    issued.push(...secrets);

    expect(hygiene.secrets()).toHaveLength(1);
    expect(() => hygiene.assertClean({ log: SECRET })).toThrow(
      /log: the secret of AKIAALICE00000000001/,
    );
    try {
      hygiene.assertClean({ log: SECRET });
    } catch (e) {
      expect((e as Error).message).not.toContain(SECRET.slice(-20));
    }
  });

  it("labels each email's subject, text, HTML and raw MIME", () => {
    const texts = emailTexts([
      { subject: "s", text: "t", html: null, raw: null },
      { subject: null, text: null, html: `<p>${SECRET}</p>`, raw: null },
    ]);
    expect(Object.keys(texts)).toEqual(["email 0", "email 1"]);
    expect(scanForSecrets(secrets, texts).map((l) => l.where)).toEqual(["email 1"]);
  });
});
