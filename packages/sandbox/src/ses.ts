import type { Clock } from "./clock.js";
import { missingParameter, ServiceError } from "./errors.js";
import { decodeMarker, encodeMarker, parseMaxItems } from "./pagination.js";
import type { QueryParams } from "./query.js";
import type { IdGenerator } from "./random.js";
import { SortedIndex } from "./sorted-index.js";
import { escapeXml, members, node, text } from "./xml.js";

/** An email the sandbox accepted through SendEmail or SendRawEmail. */
export interface SentEmail {
  /** The MessageId returned to the caller. */
  id: string;
  /** Sandbox time when it was sent. */
  time: Date;
  /** The Source as given (may include a display name). */
  source: string;
  destinations: { to: string[]; cc: string[]; bcc: string[] };
  replyTo: string[];
  subject: string | null;
  text: string | null;
  html: string | null;
  /** The raw MIME message for SendRawEmail, null for SendEmail. */
  raw: string | null;
  /** The message tags (`Tags`) sent with it, by name; absent when it carried none. */
  tags?: Readonly<Record<string, string>>;
}

interface Identity {
  identity: string;
  type: "EmailAddress" | "Domain";
}

const MAX_RECIPIENTS = 50;
const DAY_MS = 86_400_000;

/** The sending quota an account starts with (a production SES account's usual limits). */
export const DEFAULT_SEND_QUOTA = { max24HourSend: 50_000, maxSendRate: 14 } as const;

/** The address inside `"Name" <a@b.c>` or a bare `a@b.c`. */
export function bareAddress(address: string): string {
  const m = /<([^<>]+)>\s*$/.exec(address);
  return (m ? (m[1] as string) : address).trim();
}

function parseRawHeaders(raw: string): Map<string, string> {
  const headers = new Map<string, string>();
  const end = raw.search(/\r?\n\r?\n/);
  const block = (end < 0 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** The characters SES allows in a message tag's name and value, 256 at most. */
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The `Tags` of a send as `{ tags }` (nothing when there are none), refused as SES refuses a name
 * or value it does not allow.
 */
function messageTags(params: QueryParams): { tags?: Record<string, string> } {
  const list = params.structList("Tags", ["Name", "Value"]);
  if (list.length === 0) return {};
  const tags: Record<string, string> = {};
  for (const { Name: name, Value: value } of list) {
    for (const [field, v] of [
      ["name", name],
      ["value", value],
    ] as const) {
      if (v === undefined || !TAG_PART.test(v)) {
        throw new ServiceError(
          "InvalidParameterValue",
          `Invalid tag ${field} <${v ?? ""}>: only alphanumeric ASCII characters, '_', and '-' are allowed.`,
          400,
        );
      }
    }
    tags[name as string] = value as string;
  }
  return { tags };
}

function splitAddresses(list: string | undefined): string[] {
  if (!list) return [];
  return list
    .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((a) => a.trim())
    .filter((a) => a !== "");
}

/**
 * The SES (v1) part of the fake account: verified identities and a log of every sent email.
 * Keeping sent mail lets tests assert what keyrotate told people, without any mail server.
 */
export class SesStore {
  private readonly identities = new SortedIndex<Identity>();
  private sent: SentEmail[] = [];
  private sendingEnabled = true;
  private max24HourSend: number = DEFAULT_SEND_QUOTA.max24HourSend;

  /** Builds an empty store stamping mail with `clock` time and ids from `ids`. */
  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly region: string,
  ) {}

  /** Marks an email address (contains `@`) or a domain as verified. */
  verify(identity: string): void {
    const type = identity.includes("@") ? "EmailAddress" : "Domain";
    this.identities.set(identity.toLowerCase(), { identity, type });
  }

  /** Every email sent so far, oldest first. */
  emails(): readonly SentEmail[] {
    return this.sent;
  }

  /** Forgets identities and sent mail; sending is enabled again with the default quota. */
  clear(): void {
    this.identities.clear();
    this.sent = [];
    this.sendingEnabled = true;
    this.max24HourSend = DEFAULT_SEND_QUOTA.max24HourSend;
  }

  /**
   * Enables or pauses sending for the whole account (`UpdateAccountSendingEnabled`); a paused
   * account refuses every send with `AccountSendingPausedException`, as SES does.
   */
  setSendingEnabled(enabled: boolean): void {
    this.sendingEnabled = enabled;
  }

  /** Sets how many emails the account may send in 24 hours; -1 is unlimited, as SES reports it. */
  setMax24HourSend(max: number): void {
    if (!Number.isInteger(max) || max < -1) throw new RangeError("max24HourSend must be >= -1");
    this.max24HourSend = max;
  }

  /** Emails sent in the 24 hours before the sandbox's now. */
  private sentLast24Hours(): number {
    const since = this.clock.nowMs() - DAY_MS;
    let n = 0;
    for (let i = this.sent.length - 1; i >= 0; i--) {
      if ((this.sent[i] as SentEmail).time.getTime() <= since) break;
      n++;
    }
    return n;
  }

  private checkSending(): void {
    if (!this.sendingEnabled) {
      throw new ServiceError(
        "AccountSendingPausedException",
        "Email sending is disabled for your entire Amazon SES account.",
        400,
      );
    }
    if (this.max24HourSend >= 0 && this.sentLast24Hours() >= this.max24HourSend) {
      throw new ServiceError("Throttling", "Daily message quota exceeded.", 400);
    }
  }

  private isVerified(address: string): boolean {
    const lower = bareAddress(address).toLowerCase();
    if (this.identities.has(lower)) return true;
    const at = lower.lastIndexOf("@");
    if (at < 0) return false;
    const labels = lower.slice(at + 1).split(".");
    for (let i = 0; i < labels.length - 1; i++) {
      if (this.identities.get(labels.slice(i).join("."))?.type === "Domain") return true;
    }
    return false;
  }

  private checkSource(source: string): void {
    if (!bareAddress(source).includes("@")) {
      throw new ServiceError("InvalidParameterValue", `Missing final '@domain'`, 400);
    }
    if (!this.isVerified(source)) {
      throw new ServiceError(
        "MessageRejected",
        `Email address is not verified. The following identities failed the check in region ${this.region.toUpperCase()}: ${bareAddress(source)}`,
        400,
      );
    }
  }

  private checkRecipients(all: readonly string[]): void {
    if (all.length === 0)
      throw new ServiceError("InvalidParameterValue", "Missing required header 'To'.", 400);
    if (all.length > MAX_RECIPIENTS) {
      throw new ServiceError(
        "InvalidParameterValue",
        `Recipient count exceeds ${MAX_RECIPIENTS}.`,
        400,
      );
    }
    for (const a of all) {
      if (!bareAddress(a).includes("@"))
        throw new ServiceError("InvalidParameterValue", `Missing final '@domain'`, 400);
    }
  }

  private record(email: Omit<SentEmail, "id" | "time">): string {
    const id = `0100${this.ids.hex(8)}-${this.ids.uuid()}-000000`;
    this.sent.push({ id, time: this.clock.now(), ...email });
    return id;
  }

  /** Runs one SES Query action and returns its Result children (null for none). */
  handle(action: string, params: QueryParams): string | null {
    switch (action) {
      case "VerifyEmailIdentity":
      case "VerifyEmailAddress": {
        const email = params.require("EmailAddress");
        if (!/^[^@\s]+@[^@\s]+$/.test(bareAddress(email))) {
          throw new ServiceError("InvalidParameterValue", `Invalid email address<${email}>.`, 400);
        }
        this.verify(bareAddress(email));
        return action === "VerifyEmailIdentity" ? "" : null;
      }
      case "VerifyDomainIdentity": {
        const domain = params.require("Domain");
        if (!/^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(domain)) {
          throw new ServiceError("InvalidParameterValue", `Invalid domain name ${domain}.`, 400);
        }
        this.verify(domain);
        return text("VerificationToken", Buffer.from(this.ids.hex(16), "hex").toString("base64"));
      }
      case "ListIdentities": {
        const type = params.get("IdentityType");
        if (type !== undefined && type !== "EmailAddress" && type !== "Domain") {
          throw new ServiceError(
            "ValidationError",
            `1 validation error detected: Value '${type}' at 'identityType' failed to satisfy constraint: Member must satisfy enum value set: [EmailAddress, Domain]`,
            400,
          );
        }
        const limit = parseMaxItems(params.get("MaxItems"), 1000);
        const after = decodeMarker(
          "ListIdentities",
          params.get("NextToken"),
          () => new ServiceError("InvalidParameterValue", "Invalid NextToken.", 400),
        );
        const page = this.identities.page(after, limit, type ? (i) => i.type === type : undefined);
        return (
          members(
            "Identities",
            page.items.map((i) => escapeXml(i.identity)),
          ) +
          (page.truncated && page.lastKey
            ? text("NextToken", encodeMarker("ListIdentities", page.lastKey))
            : "")
        );
      }
      case "GetIdentityVerificationAttributes": {
        const asked = params.list("Identities");
        if (!params.hasPrefix("Identities")) throw missingParameter("Identities");
        if (asked.length > 100) {
          throw new ServiceError(
            "ValidationError",
            "1 validation error detected: Value at 'identities' failed to satisfy constraint: Member must have length less than or equal to 100",
            400,
          );
        }
        // Identities that were never verified are left out of the map, as SES does.
        const entries = asked.flatMap((name) => {
          const found = this.identities.get(name.toLowerCase());
          return found === undefined
            ? []
            : [
                node(
                  "entry",
                  text("key", name),
                  node("value", text("VerificationStatus", "Success")),
                ),
              ];
        });
        return node("VerificationAttributes", ...entries);
      }
      case "GetAccountSendingEnabled":
        return text("Enabled", this.sendingEnabled);
      case "UpdateAccountSendingEnabled": {
        const enabled = params.get("Enabled");
        if (enabled !== undefined && enabled !== "true" && enabled !== "false") {
          throw new ServiceError(
            "InvalidParameterValue",
            `Invalid value for Enabled: ${enabled}`,
            400,
          );
        }
        this.sendingEnabled = enabled !== "false";
        return null;
      }
      case "GetSendQuota":
        return (
          text("Max24HourSend", this.max24HourSend.toFixed(1)) +
          text("MaxSendRate", DEFAULT_SEND_QUOTA.maxSendRate.toFixed(1)) +
          text("SentLast24Hours", this.sentLast24Hours().toFixed(1))
        );
      case "SendEmail": {
        const source = params.require("Source");
        const to = params.list("Destination.ToAddresses");
        const cc = params.list("Destination.CcAddresses");
        const bcc = params.list("Destination.BccAddresses");
        const subject = params.require("Message.Subject.Data");
        const textBody = params.get("Message.Body.Text.Data") ?? null;
        const html = params.get("Message.Body.Html.Data") ?? null;
        if (textBody === null && html === null) {
          throw new ServiceError(
            "MissingParameter",
            "The request must contain the parameter Message.Body.",
            400,
          );
        }
        this.checkRecipients([...to, ...cc, ...bcc]);
        this.checkSource(source);
        this.checkSending();
        const id = this.record({
          source,
          destinations: { to, cc, bcc },
          replyTo: params.list("ReplyToAddresses"),
          subject,
          text: textBody,
          html,
          raw: null,
          ...messageTags(params),
        });
        return text("MessageId", id);
      }
      case "SendRawEmail": {
        const data = params.require("RawMessage.Data");
        if (!/^[A-Za-z0-9+/=\s]*$/.test(data)) {
          throw new ServiceError(
            "InvalidParameterValue",
            "RawMessage.Data is not valid base64.",
            400,
          );
        }
        const raw = Buffer.from(data, "base64").toString("utf8");
        const headers = parseRawHeaders(raw);
        const source = params.get("Source") ?? headers.get("from");
        if (source === undefined) {
          throw new ServiceError("InvalidParameterValue", "Missing required header 'From'.", 400);
        }
        const listed = params.list("Destinations");
        const to = listed.length > 0 ? listed : splitAddresses(headers.get("to"));
        const cc = listed.length > 0 ? [] : splitAddresses(headers.get("cc"));
        const bcc = listed.length > 0 ? [] : splitAddresses(headers.get("bcc"));
        this.checkRecipients([...to, ...cc, ...bcc]);
        this.checkSource(source);
        this.checkSending();
        const contentType = headers.get("content-type") ?? "text/plain";
        const bodyStart = raw.search(/\r?\n\r?\n/);
        const body = bodyStart < 0 ? "" : raw.slice(bodyStart).replace(/^\r?\n\r?\n/, "");
        const id = this.record({
          source,
          destinations: { to, cc, bcc },
          replyTo: splitAddresses(headers.get("reply-to")),
          subject: headers.get("subject") ?? null,
          text: contentType.toLowerCase().startsWith("text/plain") ? body : null,
          html: contentType.toLowerCase().startsWith("text/html") ? body : null,
          raw,
          ...messageTags(params),
        });
        return text("MessageId", id);
      }
      default:
        throw new ServiceError(
          "InvalidAction",
          `Could not find operation ${action} for version 2010-12-01`,
          400,
        );
    }
  }
}

/** Every SES action the sandbox implements; others get `InvalidAction`. */
export const SES_ACTIONS: ReadonlySet<string> = new Set([
  "VerifyEmailIdentity",
  "VerifyEmailAddress",
  "VerifyDomainIdentity",
  "ListIdentities",
  "GetIdentityVerificationAttributes",
  "GetAccountSendingEnabled",
  "UpdateAccountSendingEnabled",
  "GetSendQuota",
  "SendEmail",
  "SendRawEmail",
]);
