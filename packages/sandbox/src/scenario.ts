import { DAY_MS } from "./clock.js";
import type { ServiceError } from "./errors.js";
import type { IamStore } from "./iam/store.js";
import { checkPath, checkTagKey, checkTagValue, checkUserName } from "./iam/validation.js";
import { isObjectWith, isRecord, unknownKeys } from "./json-input.js";
import type { OrganizationScenario } from "./organizations.js";

/** One access key in a scenario, described by its age rather than a date. */
export interface ScenarioKey {
  /** Days since the key was created. */
  ageDays: number;
  status?: "Active" | "Inactive";
  /** Days since the key was last used; null or absent means never used. */
  lastUsedDaysAgo?: number | null;
  /** Service of the last use (default `iam`). */
  lastUsedService?: string;
  /** Region of the last use (default: the sandbox region). */
  lastUsedRegion?: string;
  /** A fixed access key id (`AKIA` + 16 upper-case letters/digits); generated when absent. */
  id?: string;
}

/** One IAM user in a scenario. */
export interface ScenarioUser {
  name: string;
  path?: string;
  tags?: Record<string, string>;
  /** Days since the user was created (default: the age of its oldest key, or 0). */
  createdDaysAgo?: number;
  keys?: ScenarioKey[];
}

/**
 * A starting state for the fake account, relative to the sandbox clock.
 * Scenarios let a demo or a test describe "a user with a 95-day-old key" instead of dates.
 */
export interface Scenario {
  /** Sets the sandbox clock before anything else is applied. */
  now?: string;
  /** Verified SES identities: email addresses, or domains (no `@`). */
  verifiedEmails?: string[];
  /** S3 buckets to create. */
  buckets?: string[];
  /**
   * KMS keys that SSE-KMS puts may name, by id, ARN or alias exactly as a put names them, with
   * their state (default `Enabled`). Keys not listed are accepted as if enabled.
   */
  kmsKeys?: ScenarioKmsKey[];
  /** SES account settings: sending paused, and the 24-hour sending quota (-1 = unlimited). */
  ses?: { sendingEnabled?: boolean; max24HourSend?: number };
  users?: ScenarioUser[];
  /**
   * An AWS Organization whose management account is this one: OUs, member accounts (each with
   * its own IAM, S3 and SES), and the role keyrotate assumes in them. Validated when seeded.
   */
  organization?: OrganizationScenario;
}

/** A KMS key of a scenario. */
export interface ScenarioKmsKey {
  id: string;
  state?: "Enabled" | "Disabled" | "PendingDeletion";
}

/** Thrown when a scenario is invalid; `problems` lists each one with its JSON path. */
export class ScenarioError extends Error {
  /** Builds the error from its problems. */
  constructor(readonly problems: string[]) {
    super(
      `invalid scenario (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}`,
    );
    this.name = "ScenarioError";
  }
}

const KEY_ID = /^AKIA[A-Z0-9]{16}$/;

function isAge(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

function check(problems: string[], path: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    problems.push(`${path}: ${(e as ServiceError).message}`);
  }
}

/**
 * Validates untrusted scenario JSON against the rules of the format and the current account
 * (names and key ids must be new), and returns it typed or throws a ScenarioError listing every problem.
 */
export function parseScenario(input: unknown, iam?: IamStore): Scenario {
  const problems: string[] = [];
  if (!isRecord(input)) throw new ScenarioError(["$: must be a JSON object"]);
  unknownKeys(problems, "$", input, [
    "now",
    "verifiedEmails",
    "buckets",
    "kmsKeys",
    "ses",
    "users",
    "organization",
  ]);
  if (input.kmsKeys !== undefined) {
    if (!Array.isArray(input.kmsKeys)) problems.push("$.kmsKeys: must be an array");
    else
      input.kmsKeys.forEach((k: unknown, i) => {
        const path = `$.kmsKeys[${i}]`;
        if (!isObjectWith(problems, path, k, ["id", "state"])) return;
        if (typeof k.id !== "string" || k.id.trim() === "")
          problems.push(`${path}.id: must be a key id, key ARN or alias`);
        if (
          k.state !== undefined &&
          k.state !== "Enabled" &&
          k.state !== "Disabled" &&
          k.state !== "PendingDeletion"
        ) {
          problems.push(`${path}.state: must be "Enabled", "Disabled" or "PendingDeletion"`);
        }
      });
  }
  if (input.ses !== undefined) {
    if (isObjectWith(problems, "$.ses", input.ses, ["sendingEnabled", "max24HourSend"])) {
      if (input.ses.sendingEnabled !== undefined && typeof input.ses.sendingEnabled !== "boolean")
        problems.push("$.ses.sendingEnabled: must be true or false");
      const max = input.ses.max24HourSend;
      if (max !== undefined && (typeof max !== "number" || !Number.isInteger(max) || max < -1))
        problems.push("$.ses.max24HourSend: must be an integer >= -1 (-1 = unlimited)");
    }
  }
  if (
    input.now !== undefined &&
    (typeof input.now !== "string" || !Number.isFinite(Date.parse(input.now)))
  ) {
    problems.push("$.now: must be an ISO 8601 date-time string");
  }
  if (input.verifiedEmails !== undefined) {
    if (!Array.isArray(input.verifiedEmails))
      problems.push("$.verifiedEmails: must be an array of strings");
    else
      input.verifiedEmails.forEach((e, i) => {
        if (typeof e !== "string" || !/^([^@\s]+@)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(e)) {
          problems.push(`$.verifiedEmails[${i}]: must be an email address or a domain name`);
        }
      });
  }
  if (input.buckets !== undefined) {
    if (!Array.isArray(input.buckets)) problems.push("$.buckets: must be an array of strings");
    else
      input.buckets.forEach((b, i) => {
        if (typeof b !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b)) {
          problems.push(`$.buckets[${i}]: must be a valid S3 bucket name (3-63 of a-z 0-9 . -)`);
        }
      });
  }
  const names = new Set<string>();
  const keyIds = new Set<string>();
  if (input.users !== undefined && !Array.isArray(input.users))
    problems.push("$.users: must be an array");
  const users = Array.isArray(input.users) ? input.users : [];
  users.forEach((u: unknown, i) => {
    const path = `$.users[${i}]`;
    if (!isObjectWith(problems, path, u, ["name", "path", "tags", "createdDaysAgo", "keys"]))
      return;
    if (typeof u.name !== "string") problems.push(`${path}.name: must be a string`);
    else {
      check(problems, `${path}.name`, () => checkUserName(u.name as string));
      const lower = u.name.toLowerCase();
      if (names.has(lower))
        problems.push(`${path}.name: duplicate user name ${u.name} (names are case-insensitive)`);
      else if (iam?.findUser(u.name))
        problems.push(`${path}.name: user ${u.name} already exists in the sandbox`);
      names.add(lower);
    }
    if (u.path !== undefined) {
      if (typeof u.path !== "string") problems.push(`${path}.path: must be a string`);
      else check(problems, `${path}.path`, () => checkPath(u.path as string));
    }
    if (u.tags !== undefined) {
      if (!isRecord(u.tags)) problems.push(`${path}.tags: must be an object of key: value strings`);
      else {
        const entries = Object.entries(u.tags);
        if (entries.length > 50)
          problems.push(`${path}.tags: at most 50 tags per user (got ${entries.length})`);
        const seen = new Set<string>();
        for (const [k, v] of entries) {
          check(problems, `${path}.tags.${k}`, () => checkTagKey(k, "key"));
          if (typeof v !== "string") problems.push(`${path}.tags.${k}: value must be a string`);
          else check(problems, `${path}.tags.${k}`, () => checkTagValue(v, "value"));
          if (seen.has(k.toLowerCase()))
            problems.push(`${path}.tags.${k}: duplicate tag key (keys are case-insensitive)`);
          seen.add(k.toLowerCase());
        }
      }
    }
    if (u.createdDaysAgo !== undefined && !isAge(u.createdDaysAgo)) {
      problems.push(`${path}.createdDaysAgo: must be a number >= 0`);
    }
    if (u.keys === undefined) return;
    if (!Array.isArray(u.keys)) {
      problems.push(`${path}.keys: must be an array`);
      return;
    }
    if (u.keys.length > 2)
      problems.push(`${path}.keys: at most 2 access keys per user (got ${u.keys.length})`);
    u.keys.forEach((k: unknown, j) => {
      const kp = `${path}.keys[${j}]`;
      if (
        !isObjectWith(problems, kp, k, [
          "ageDays",
          "status",
          "lastUsedDaysAgo",
          "lastUsedService",
          "lastUsedRegion",
          "id",
        ])
      )
        return;
      if (!isAge(k.ageDays)) problems.push(`${kp}.ageDays: must be a number >= 0`);
      else if (isAge(u.createdDaysAgo) && k.ageDays > u.createdDaysAgo) {
        problems.push(
          `${kp}.ageDays: the key (${k.ageDays} days) cannot be older than its user (createdDaysAgo ${u.createdDaysAgo})`,
        );
      }
      if (k.status !== undefined && k.status !== "Active" && k.status !== "Inactive") {
        problems.push(`${kp}.status: must be "Active" or "Inactive"`);
      }
      if (k.lastUsedDaysAgo !== undefined && k.lastUsedDaysAgo !== null) {
        if (!isAge(k.lastUsedDaysAgo))
          problems.push(`${kp}.lastUsedDaysAgo: must be a number >= 0 or null`);
        else if (isAge(k.ageDays) && k.lastUsedDaysAgo > k.ageDays) {
          problems.push(
            `${kp}.lastUsedDaysAgo: a key cannot be used (${k.lastUsedDaysAgo} days ago) before it was created (${k.ageDays} days ago)`,
          );
        }
      }
      for (const f of ["lastUsedService", "lastUsedRegion"]) {
        if (k[f] !== undefined && (typeof k[f] !== "string" || k[f] === ""))
          problems.push(`${kp}.${f}: must be a non-empty string`);
      }
      if (k.id !== undefined) {
        if (typeof k.id !== "string" || !KEY_ID.test(k.id)) {
          problems.push(`${kp}.id: must be AKIA followed by 16 upper-case letters or digits`);
        } else if (keyIds.has(k.id)) problems.push(`${kp}.id: duplicate access key id ${k.id}`);
        else if (iam && (iam.findKey(k.id) || iam.isRetiredKey(k.id))) {
          problems.push(`${kp}.id: access key ${k.id} already exists in the sandbox`);
        }
        if (typeof k.id === "string") keyIds.add(k.id);
      }
    });
  });
  if (problems.length > 0) throw new ScenarioError(problems);
  return input as Scenario;
}

/** The creation time of a scenario user, in epoch ms relative to `nowMs`. */
export function userCreateDate(user: ScenarioUser, nowMs: number): number {
  const oldestKey = Math.max(0, ...(user.keys ?? []).map((k) => k.ageDays));
  return nowMs - (user.createdDaysAgo ?? oldestKey) * DAY_MS;
}
