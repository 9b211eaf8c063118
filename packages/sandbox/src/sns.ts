import { missingParameter, ServiceError } from "./errors.js";
import { decodeMarker, encodeMarker } from "./pagination.js";
import type { QueryParams } from "./query.js";
import { arnIn, type ServiceScope } from "./scope.js";
import { members, text } from "./xml.js";

/** SNS's Query API version. */
export const SNS_VERSION = "2010-03-31";

/** A message published to a topic, as `sandbox.snsMessages()` shows it. */
export interface SnsMessage {
  /** The MessageId returned to the caller. */
  id: string;
  /** Sandbox time when it was published. */
  time: Date;
  topicArn: string;
  subject: string | null;
  message: string;
  /** `MessageStructure` as sent (`json` or null). */
  messageStructure: string | null;
  /** Message attributes by name. */
  attributes: Readonly<
    Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>
  >;
}

/** The largest message SNS takes, message and attributes together: 256 KiB. */
const MAX_MESSAGE_BYTES = 262_144;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const PAGE = 100;

const invalidParameter = (message: string): ServiceError =>
  new ServiceError("InvalidParameter", `Invalid parameter: ${message}`, 400);

/** `MessageStructure=json` (its only value) wants a JSON object with a `default` entry. */
function checkJsonStructure(structure: string, message: string): void {
  if (structure !== "json") throw invalidParameter("MessageStructure");
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalidParameter("Message Structure - JSON message body failed to parse");
  }
  if (typeof parsed !== "object" || parsed === null || !("default" in parsed))
    throw invalidParameter("Message Structure - No default entry in JSON message body");
}

/**
 * The SNS part of a fake account: topics and every message published to them. Keeping messages
 * lets tests assert what keyrotate told a topic, without any subscriber.
 */
export class SnsStore {
  private readonly topics = new Map<string, { arn: string; name: string }>();
  private published: SnsMessage[] = [];

  /** An empty store for the account of `scope`. */
  constructor(private readonly scope: ServiceScope) {}

  /** Forgets topics and messages. */
  clear(): void {
    this.topics.clear();
    this.published = [];
  }

  /** Creates a topic (idempotent, as CreateTopic is) and returns its ARN. */
  createTopic(name: string): string {
    const fifo = name.endsWith(".fifo");
    if (!TOPIC_NAME.test(fifo ? name.slice(0, -5) : name))
      throw invalidParameter(
        "Topic Name: Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
      );
    const arn = arnIn(this.scope, "sns", name);
    if (!this.topics.has(arn)) this.topics.set(arn, { arn, name });
    return arn;
  }

  /** Every message published so far, oldest first. */
  messages(): readonly SnsMessage[] {
    return this.published;
  }

  /** Runs one SNS Query action and returns its Result children (null for none). */
  handle(action: string, params: QueryParams): string | null {
    switch (action) {
      case "CreateTopic":
        return text("TopicArn", this.createTopic(params.require("Name")));
      case "ListTopics": {
        const arns = [...this.topics.keys()].sort();
        const after = decodeMarker("ListTopics", params.get("NextToken"), () =>
          invalidParameter("NextToken"),
        );
        const start = after === undefined ? 0 : arns.findIndex((a) => a > after);
        const rest = start < 0 ? [] : arns.slice(start);
        const page = rest.slice(0, PAGE);
        const last = page[page.length - 1];
        return (
          members(
            "Topics",
            page.map((a) => text("TopicArn", a)),
          ) +
          (rest.length > PAGE && last !== undefined
            ? text("NextToken", encodeMarker("ListTopics", last))
            : "")
        );
      }
      case "DeleteTopic":
        this.topics.delete(params.require("TopicArn"));
        return null;
      case "Publish":
        return text("MessageId", this.publish(params));
      default:
        throw new ServiceError(
          "InvalidAction",
          `Could not find operation ${action} for version ${SNS_VERSION}`,
          400,
        );
    }
  }

  private publish(params: QueryParams): string {
    const topicArn = params.get("TopicArn") ?? params.get("TargetArn");
    if (topicArn === undefined) {
      if (params.get("PhoneNumber") !== undefined)
        throw invalidParameter("PhoneNumber: the keyrotate sandbox publishes to topics only");
      throw missingParameter("TopicArn");
    }
    const message = params.get("Message");
    if (message === undefined || message === "") throw invalidParameter("Empty message");
    const structure = params.get("MessageStructure") ?? null;
    if (structure !== null) checkJsonStructure(structure, message);
    const subject = params.get("Subject") ?? null;
    if (
      subject !== null &&
      (subject === "" || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject))
    )
      throw invalidParameter("Subject");
    const attributes: Record<
      string,
      { dataType: string; stringValue?: string; binaryValue?: string }
    > = {};
    let size = Buffer.byteLength(message);
    for (const entry of params.structList(
      "MessageAttributes",
      ["Name", "Value.DataType", "Value.StringValue", "Value.BinaryValue"],
      "entry",
    )) {
      const name = entry.Name;
      const dataType = entry["Value.DataType"];
      if (name === undefined || name === "")
        throw invalidParameter("MessageAttributes: an attribute has no name");
      if (dataType === undefined || !/^(String|Number|Binary)(\..+)?$/.test(dataType))
        throw invalidParameter(
          `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
        );
      const stringValue = entry["Value.StringValue"];
      const binaryValue = entry["Value.BinaryValue"];
      if (stringValue === undefined && binaryValue === undefined)
        throw invalidParameter(
          `The message attribute '${name}' must contain non-empty message attribute value.`,
        );
      attributes[name] = {
        dataType,
        ...(stringValue !== undefined ? { stringValue } : {}),
        ...(binaryValue !== undefined ? { binaryValue } : {}),
      };
      size +=
        Buffer.byteLength(name) +
        Buffer.byteLength(dataType) +
        Buffer.byteLength(stringValue ?? binaryValue ?? "");
    }
    if (size > MAX_MESSAGE_BYTES) throw invalidParameter("Message too long");
    if (!this.topics.has(topicArn)) throw new ServiceError("NotFound", "Topic does not exist", 404);
    const id = this.scope.ids.uuid();
    this.published.push({
      id,
      time: this.scope.clock.now(),
      topicArn,
      subject,
      message,
      messageStructure: structure,
      attributes,
    });
    return id;
  }
}

/** Every SNS action the sandbox implements; others get `InvalidAction`. */
export const SNS_ACTIONS: ReadonlySet<string> = new Set([
  "CreateTopic",
  "ListTopics",
  "DeleteTopic",
  "Publish",
]);
