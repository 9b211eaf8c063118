import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import type { Settings } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";
import { adminSummaryContent } from "./adminSummary.js";
import type { Block } from "./emailMarkup.js";
import { AwsError, mapAwsError, redactSecrets } from "./errors.js";
import { type Log, silentLog } from "./log.js";
import type { ChannelReport, RunReport } from "./report.js";

/** How long one POST may take before it counts as failed (default of {@link postWebhook}). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

// Slack's limits: 3,000 characters in a section's text, 50 blocks, 40,000 in `text`.
const SECTION_MAX = 3000;
const BLOCKS_MAX = 50;
const TEXT_MAX = 40_000;

/** A Slack Block Kit block as keyrotate sends it: sections of mrkdwn text. */
export interface SlackSection {
  readonly type: "section";
  readonly text: { readonly type: "mrkdwn"; readonly text: string };
}

/** The JSON a Slack-compatible incoming webhook takes: a fallback `text` and `blocks`. */
export interface WebhookMessage {
  readonly text: string;
  readonly blocks: ReadonlyArray<SlackSection>;
}

// mrkdwn gives &, < and > a meaning: escape them as Slack asks.
const escapeMrkdwn = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

const section = (text: string): SlackSection => ({
  type: "section",
  text: { type: "mrkdwn", text: clip(text, SECTION_MAX) },
});

/** The lines of a block, as chat shows them. */
const linesOf = (b: Block): string[] =>
  b._tag === "list"
    ? b.items.map((i) => `• ${escapeMrkdwn(i)}`)
    : b._tag === "link"
      ? [`${escapeMrkdwn(b.label)}: ${b.href}`]
      : [escapeMrkdwn(b.text)];

/**
 * The run's admin summary ({@link adminSummaryContent}, the one summary) as a Slack-compatible
 * message: the subject as `text` and in bold on top, then each paragraph and list as sections,
 * a long list split across sections, within Slack's limits (the last section says how many lines
 * did not fit).
 */
export const webhookMessage = (report: RunReport): WebhookMessage => {
  const { subject, blocks } = adminSummaryContent(report);
  const sections: string[] = [`*${escapeMrkdwn(subject)}*`];
  for (const b of blocks) {
    let current = "";
    for (const line of linesOf(b)) {
      if (current !== "" && current.length + 1 + line.length > SECTION_MAX) {
        sections.push(current);
        current = "";
      }
      current = current === "" ? line : `${current}\n${line}`;
    }
    if (current !== "") sections.push(current);
  }
  const kept =
    sections.length <= BLOCKS_MAX
      ? sections
      : [
          ...sections.slice(0, BLOCKS_MAX - 1),
          `… and ${sections.length - (BLOCKS_MAX - 1)} more sections: see the run report.`,
        ];
  return { text: clip(subject, TEXT_MAX), blocks: kept.map(section) };
};

/** The setting a webhook error names instead of the URL. */
const URL_NAME = "WEBHOOK_URL";

/**
 * The webhook URL of a run: `WEBHOOK_URL`, or the SecureString parameter `WEBHOOK_URL_PARAMETER`
 * read with decryption (`ssm:GetParameter`); undefined when neither is set. A failure is Left,
 * its message naming the parameter, never its value.
 */
export const webhookUrlOf = async (
  ssm: () => Promise<SSMClient>,
  settings: Pick<Settings, "webhookUrl" | "webhookUrlParameter">,
): Promise<E.Either<AwsError, string | undefined>> => {
  if (settings.webhookUrl !== undefined) return E.right(settings.webhookUrl);
  const name = settings.webhookUrlParameter;
  if (name === undefined) return E.right(undefined);
  try {
    const out = await (await ssm()).send(
      new GetParameterCommand({ Name: name, WithDecryption: true }),
    );
    const value = out.Parameter?.Value;
    if (value === undefined || !/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(value))
      return E.left(
        new AwsError(
          "InvalidInput",
          "ssm:GetParameter",
          `the SSM parameter ${name} (WEBHOOK_URL_PARAMETER) does not hold an https:// URL (its value is not shown: it is a secret)`,
        ),
      );
    return E.right(value);
  } catch (e) {
    const error = mapAwsError("ssm:GetParameter", e);
    return E.left(
      new AwsError(
        error.tag,
        error.operation,
        error.code === "ParameterNotFound"
          ? `the SSM parameter ${name} (WEBHOOK_URL_PARAMETER) does not exist in this account and region: create it as a SecureString holding the webhook URL, or set WEBHOOK_URL_PARAMETER=off, then run again.`
          : `the SSM parameter ${name} (WEBHOOK_URL_PARAMETER) could not be read: ${error.code ?? error.tag}`,
        error.code,
      ),
    );
  }
};

/** Options of {@link postWebhook}. */
export interface PostWebhookOptions {
  /** The URL: a secret, never logged. */
  readonly url: string;
  readonly message: WebhookMessage;
  /** Per attempt (default {@link WEBHOOK_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  readonly log?: Log;
}

/**
 * POSTs the message once; an answer of 5xx is retried once. A timeout, a network failure or any
 * other non-2xx answer fails. Errors name `WEBHOOK_URL`, never the URL.
 */
export const postWebhook = async (options: PostWebhookOptions): Promise<ChannelReport> => {
  const log = options.log ?? silentLog;
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const body = JSON.stringify(options.message);
  const attempt = async (): Promise<{ status: number } | { error: string }> => {
    try {
      const res = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status };
    } catch (e) {
      const name = (e as { name?: unknown } | null)?.name;
      const code = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
      return {
        error:
          name === "TimeoutError" || name === "AbortError"
            ? `no answer within ${timeoutMs} ms`
            : `the request failed${typeof code === "string" ? ` (${code})` : ""}`,
      };
    }
  };
  let outcome = await attempt();
  if ("status" in outcome && outcome.status >= 500) {
    log({
      level: "warn",
      event: "webhook-retry",
      message: `${URL_NAME} answered HTTP ${outcome.status}; retrying once`,
    });
    outcome = await attempt();
  }
  if ("status" in outcome && outcome.status >= 200 && outcome.status < 300) {
    log({
      level: "info",
      event: "webhook-sent",
      message: `the run summary was posted to ${URL_NAME}`,
    });
    return { status: "sent", sent: 1, failures: [] };
  }
  const why = "status" in outcome ? `HTTP ${outcome.status}` : outcome.error;
  const error = new AwsError(
    "status" in outcome && outcome.status < 500 ? "InvalidInput" : "ServiceFailure",
    "webhook:POST",
    redactSecrets(`the run summary could not be posted to ${URL_NAME}: ${why}`, [options.url]),
  ).toJSON();
  log({ level: "error", event: "webhook-failed", message: error.message, error });
  return { status: "failed", sent: 0, failures: [{ item: "summary", error }] };
};
