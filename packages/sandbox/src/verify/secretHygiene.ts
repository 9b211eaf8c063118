/**
 * Secret hygiene: proof that no secret access key appears where it must not (a log line, a run
 * report, a notice, an error or exception message). The scanner knows every secret the sandbox
 * ever issued, deleted keys' included, and looks for each in the texts it is given, also
 * URL-encoded, base64-encoded and in part (its first or last 20 characters).
 */

/**
 * Where the secrets come from: a running sandbox (`startSandbox`) fits. A source that also keeps
 * what was delivered (Security Hub findings, SNS messages) has those scanned on every scan.
 */
export interface SecretSource {
  issuedSecrets(): ReadonlyArray<{
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  }>;
  findings?(): ReadonlyArray<unknown>;
  snsMessages?(): ReadonlyArray<{ readonly subject: string | null; readonly message: string }>;
}

/** One secret found where it must not be. Never holds the secret itself. */
export interface SecretLeak {
  /** The label of the text it was found in (`logs[3]`, `report`, `email 2 html`, …). */
  readonly where: string;
  /** The key whose secret leaked. */
  readonly accessKeyId: string;
  /** How it appeared. */
  readonly form: "verbatim" | "url-encoded" | "base64" | "partial";
}

/** Everything to scan, by label; values are flattened with {@link textsOf}. */
export type LabelledTexts = Readonly<Record<string, unknown>>;

const PARTIAL = 20;

/**
 * Flattens anything a test holds into the texts a reader could see: strings as they are, errors
 * with name, message, stack, own fields and causes (recursively), buffers as UTF-8, and any
 * other value as JSON (circular references cut, errors expanded).
 */
export const textsOf = (value: unknown): string[] => {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (v === null || v === undefined) return;
    if (typeof v === "string") {
      out.push(v);
      return;
    }
    if (typeof v !== "object") {
      out.push(String(v));
      return;
    }
    if (seen.has(v)) return;
    seen.add(v);
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
      out.push(Buffer.from(v).toString("utf8"));
      return;
    }
    if (v instanceof Error) {
      out.push(`${v.name}: ${v.message}`);
      if (v.stack !== undefined) out.push(v.stack);
      for (const key of Object.keys(v)) visit((v as unknown as Record<string, unknown>)[key]);
      if ("cause" in v) visit(v.cause);
      return;
    }
    out.push(safeJson(v));
    if (Array.isArray(v)) for (const item of v) if (typeof item === "object") visit(item);
  };
  visit(value);
  return out;
};

const safeJson = (value: unknown): string => {
  const stack = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === "bigint") return v.toString();
        if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack };
        if (typeof v === "object" && v !== null) {
          if (stack.has(v)) return "[circular]";
          stack.add(v);
        }
        return v;
      }) ?? ""
    );
  } catch {
    return String(value);
  }
};

/** The forms a secret can leak in, most specific first. */
const formsOf = (secret: string): ReadonlyArray<readonly [SecretLeak["form"], string]> => {
  const forms: (readonly [SecretLeak["form"], string])[] = [["verbatim", secret]];
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) forms.push(["url-encoded", encoded]);
  forms.push(["base64", Buffer.from(secret, "utf8").toString("base64").replace(/=+$/, "")]);
  if (secret.length > PARTIAL) {
    forms.push(["partial", secret.slice(0, PARTIAL)], ["partial", secret.slice(-PARTIAL)]);
  }
  return forms;
};

/**
 * Looks for each of `secrets` in every labelled value. Returns one leak per secret and label
 * (the most specific form found), in label order.
 *
 * @example scanForSecrets([{ accessKeyId, secretAccessKey }], { logs, report }) // []
 */
export const scanForSecrets = (
  secrets: ReadonlyArray<{ readonly accessKeyId: string; readonly secretAccessKey: string }>,
  texts: LabelledTexts,
): SecretLeak[] => {
  const leaks: SecretLeak[] = [];
  const candidates = secrets
    .filter((s) => s.secretAccessKey.length >= 16)
    .map((s) => ({ id: s.accessKeyId, forms: formsOf(s.secretAccessKey) }));
  for (const [where, value] of Object.entries(texts)) {
    const haystack = textsOf(value).join("\n");
    for (const { id, forms } of candidates) {
      const found = forms.find(([, form]) => haystack.includes(form));
      if (found !== undefined) leaks.push({ where, accessKeyId: id, form: found[0] });
    }
  }
  return leaks;
};

/** Describes leaks for a failure message, without the secrets. */
export const describeLeaks = (leaks: ReadonlyArray<SecretLeak>): string =>
  leaks.map((l) => `${l.where}: the secret of ${l.accessKeyId} (${l.form})`).join("\n");

/**
 * A scanner bound to a sandbox: every secret it ever issued, read at scan time, so keys created
 * and deleted during the test are covered.
 *
 * @example
 * const hygiene = secretHygiene(sandbox);
 * hygiene.assertClean({ logs, report, emails: sandbox.emails(), error });
 */
export const secretHygiene = (source: SecretSource) => ({
  /** The secrets known so far (for a count in a test's assertions). */
  secrets: () => source.issuedSecrets(),
  /** The leaks in the given texts and in what the source delivered. */
  scan: (texts: LabelledTexts): SecretLeak[] =>
    scanForSecrets(source.issuedSecrets(), { ...texts, ...deliveredTexts(source) }),
  /** Throws (naming key ids and places, never a secret) when any text holds a secret. */
  assertClean: (texts: LabelledTexts): void => {
    const leaks = scanForSecrets(source.issuedSecrets(), { ...texts, ...deliveredTexts(source) });
    if (leaks.length > 0) {
      throw new Error(`${leaks.length} secret leak(s):\n${describeLeaks(leaks)}`);
    }
  },
});

/** A sandbox-bound scanner, as made by {@link secretHygiene}. */
export type SecretHygiene = ReturnType<typeof secretHygiene>;

/** What a source delivered, as labelled texts: every finding and every SNS message. */
export const deliveredTexts = (source: SecretSource): Record<string, string> => {
  const out: Record<string, string> = {};
  (source.findings?.() ?? []).forEach((f, i) => {
    out[`finding ${i}`] = textsOf(f).join("\n");
  });
  (source.snsMessages?.() ?? []).forEach((m, i) => {
    out[`sns message ${i}`] = [m.subject, m.message].filter((x) => x !== null).join("\n");
  });
  return out;
};

/** A webhook receiver's requests as labelled texts: each body and its headers. */
export const webhookTexts = (
  requests: ReadonlyArray<{
    readonly text: string;
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
  }>,
): Record<string, string> => {
  const out: Record<string, string> = {};
  requests.forEach((r, i) => {
    out[`webhook ${i}`] = [r.path, JSON.stringify(r.headers), r.text].join("\n");
  });
  return out;
};

/** The sandbox's emails as labelled texts: subject, text, HTML and raw MIME of each. */
export const emailTexts = (
  emails: ReadonlyArray<{
    readonly subject: string | null;
    readonly text: string | null;
    readonly html: string | null;
    readonly raw: string | null;
  }>,
): Record<string, string> => {
  const out: Record<string, string> = {};
  emails.forEach((e, i) => {
    out[`email ${i}`] = [e.subject, e.text, e.html, e.raw].filter((x) => x !== null).join("\n");
  });
  return out;
};
