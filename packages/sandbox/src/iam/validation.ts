import { ServiceError, validationError } from "../errors.js";
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

/** One member's constraints as IAM's API model states them, and the pattern as IAM prints it. */
interface Constraint {
  readonly min: number;
  readonly max: number;
  readonly pattern: RegExp;
  readonly patternText: string;
}

/** Throws IAM's ValidationError for the first constraint `value` breaks, in IAM's order. */
const check = (value: string, member: string, c: Constraint): void => {
  if (value.length < c.min) {
    throw validationError(
      value,
      member,
      `Member must have length greater than or equal to ${c.min}`,
    );
  }
  if (value.length > c.max) {
    throw validationError(value, member, `Member must have length less than or equal to ${c.max}`);
  }
  if (!c.pattern.test(value)) {
    throw validationError(
      value,
      member,
      `Member must satisfy regular expression pattern: ${c.patternText}`,
    );
  }
};

const TAG_ALPHABET = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]";

/**
 * Checks a user name against IAM's constraints (1–64 chars of `[\w+=,.@-]`).
 * Shared by the API and scenario seeding so both reject the same names.
 */
export function checkUserName(name: string, member = "userName"): void {
  check(name, member, { min: 1, max: 64, pattern: USER_NAME, patternText: "[\\w+=,.@-]+" });
}

/** Checks an IAM path (`/` or `/a/b/`, at most 512 characters). */
export function checkPath(path: string, member = "path"): void {
  check(path, member, {
    min: 0,
    max: 512,
    pattern: PATH,
    patternText: "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
  });
}

/** Checks an access key id's shape (16–128 word characters). */
export function checkAccessKeyId(id: string, member = "accessKeyId"): void {
  check(id, member, { min: 16, max: 128, pattern: ACCESS_KEY_ID, patternText: "[\\w]+" });
}

/** Checks one tag key (1–128 chars of IAM's tag alphabet). */
export function checkTagKey(key: string, member: string): void {
  check(key, member, {
    min: 1,
    max: MAX_TAG_KEY_LENGTH,
    pattern: TAG_KEY,
    patternText: `${TAG_ALPHABET}+`,
  });
}

/** Checks one tag value (0–256 chars of IAM's tag alphabet). */
export function checkTagValue(value: string, member: string): void {
  check(value, member, {
    min: 0,
    max: MAX_TAG_VALUE_LENGTH,
    pattern: TAG_VALUE,
    patternText: `${TAG_ALPHABET}*`,
  });
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
      throw new ServiceError(
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
      );
    }
    seen.add(lower);
  });
}
