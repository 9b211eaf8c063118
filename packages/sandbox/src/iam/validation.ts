import { AwsError, validationError } from "../errors.js";
import type { Tag } from "./store.js";

const USER_NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007e]+\/)$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ACCESS_KEY_ID = /^[\w]+$/;

/** Longest tag key IAM accepts. */
export const MAX_TAG_KEY_LENGTH = 128;
/** Longest tag value IAM accepts. */
export const MAX_TAG_VALUE_LENGTH = 256;

/**
 * Checks a user name against IAM's constraints (1–64 chars of `[\w+=,.@-]`).
 * Shared by the API and scenario seeding so both reject the same names.
 */
export function checkUserName(name: string, member = "userName"): void {
  if (name.length < 1)
    throw validationError(name, member, "Member must have length greater than or equal to 1");
  if (name.length > 64)
    throw validationError(name, member, "Member must have length less than or equal to 64");
  if (!USER_NAME.test(name)) {
    throw validationError(
      name,
      member,
      "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
  }
}

/** Checks an IAM path (`/` or `/a/b/`, at most 512 characters). */
export function checkPath(path: string, member = "path"): void {
  if (path.length > 512)
    throw validationError(path, member, "Member must have length less than or equal to 512");
  if (!PATH.test(path)) {
    throw validationError(
      path,
      member,
      "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
    );
  }
}

/** Checks an access key id's shape (16–128 word characters). */
export function checkAccessKeyId(id: string, member = "accessKeyId"): void {
  if (id.length < 16)
    throw validationError(id, member, "Member must have length greater than or equal to 16");
  if (id.length > 128)
    throw validationError(id, member, "Member must have length less than or equal to 128");
  if (!ACCESS_KEY_ID.test(id))
    throw validationError(id, member, "Member must satisfy regular expression pattern: [\\w]+");
}

/** Checks one tag key (1–128 chars of IAM's tag alphabet). */
export function checkTagKey(key: string, member: string): void {
  if (key.length < 1)
    throw validationError(key, member, "Member must have length greater than or equal to 1");
  if (key.length > MAX_TAG_KEY_LENGTH) {
    throw validationError(
      key,
      member,
      `Member must have length less than or equal to ${MAX_TAG_KEY_LENGTH}`,
    );
  }
  if (!TAG_KEY.test(key)) {
    throw validationError(
      key,
      member,
      "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
    );
  }
}

/** Checks one tag value (0–256 chars of IAM's tag alphabet). */
export function checkTagValue(value: string, member: string): void {
  if (value.length > MAX_TAG_VALUE_LENGTH) {
    throw validationError(
      value,
      member,
      `Member must have length less than or equal to ${MAX_TAG_VALUE_LENGTH}`,
    );
  }
  if (!TAG_VALUE.test(value)) {
    throw validationError(
      value,
      member,
      "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
    );
  }
}

/**
 * Validates a list of tags from one request: at most 50, valid keys and values, no duplicate keys.
 * IAM compares tag keys case-insensitively, so `Team` and `team` in one request are duplicates.
 */
export function checkTags(tags: readonly Tag[]): void {
  if (tags.length > 50) {
    throw validationError(
      `[${tags.map((t) => `${t.key}=${t.value}`).join(", ")}]`,
      "tags",
      "Member must have length less than or equal to 50",
    );
  }
  const seen = new Set<string>();
  tags.forEach((tag, i) => {
    checkTagKey(tag.key, `tags.${i + 1}.member.key`);
    checkTagValue(tag.value, `tags.${i + 1}.member.value`);
    const lower = tag.key.toLowerCase();
    if (seen.has(lower)) {
      throw new AwsError(
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
      );
    }
    seen.add(lower);
  });
}
