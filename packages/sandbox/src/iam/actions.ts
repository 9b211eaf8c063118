import type { Clock } from "../clock.js";
import { AwsError, validationError } from "../errors.js";
import { decodeMarker, encodeMarker, pageArray, parseMaxItems } from "../pagination.js";
import type { QueryParams } from "../query.js";
import type { SigningInfo } from "../sigv4.js";
import { isoSeconds, members, node, text } from "../xml.js";
import { renderCredentialReport, reportState } from "./credential-report.js";
import {
  type AccessKey,
  type IamStore,
  type IamUser,
  MAX_TAGS_PER_USER,
  type Tag,
} from "./store.js";
import {
  checkAccessKeyId,
  checkPath,
  checkTagKey,
  checkTags,
  checkUserName,
} from "./validation.js";

/** What an IAM action needs besides its parameters. */
export interface IamContext {
  store: IamStore;
  clock: Clock;
  /** The credential scope the request was signed with, if any. */
  caller: SigningInfo | undefined;
  /** Real milliseconds a credential report takes to generate. */
  reportGenerationMs: number;
}

/** An IAM action: returns the `<XxxResult>` children, or null for actions whose response has no result. */
type Action = (params: QueryParams, ctx: IamContext) => string | null;

function userXml(user: IamUser, withTags: boolean): string {
  return (
    text("Path", user.path) +
    text("UserName", user.name) +
    text("UserId", user.userId) +
    text("Arn", user.arn) +
    text("CreateDate", isoSeconds(user.createDate)) +
    (withTags && user.tags.size > 0 ? tagsXml([...user.tags.values()]) : "")
  );
}

function tagsXml(tags: readonly Tag[]): string {
  return members(
    "Tags",
    tags.map((t) => text("Key", t.key) + text("Value", t.value)),
  );
}

function keyMetadataXml(key: AccessKey): string {
  return (
    text("UserName", key.user.name) +
    text("AccessKeyId", key.accessKeyId) +
    text("Status", key.status) +
    text("CreateDate", isoSeconds(key.createDate))
  );
}

function pageXml(truncated: boolean, marker: string | undefined): string {
  return text("IsTruncated", truncated) + (truncated ? text("Marker", marker) : "");
}

function readTags(params: QueryParams): Tag[] {
  return params.structList("Tags", ["Key", "Value"]).map((t, i) => {
    if (t.Key === undefined)
      throw validationError(null, `tags.${i + 1}.member.key`, "Member must not be null");
    if (t.Value === undefined)
      throw validationError(null, `tags.${i + 1}.member.value`, "Member must not be null");
    return { key: t.Key, value: t.Value };
  });
}

/**
 * The user an action applies to: the named one, or when UserName is omitted the IAM user whose key
 * signed the request (as AWS does); the sandbox's own admin credentials belong to no user.
 */
function targetUser(params: QueryParams, ctx: IamContext): IamUser {
  const name = params.get("UserName");
  if (name !== undefined) {
    checkUserName(name);
    return ctx.store.getUser(name);
  }
  const key = ctx.caller ? ctx.store.findKey(ctx.caller.accessKeyId) : undefined;
  if (!key) {
    throw new AwsError(
      "ValidationError",
      "Must specify userName when calling with non-User credentials",
      400,
    );
  }
  return key.user;
}

function requireUser(params: QueryParams, ctx: IamContext): IamUser {
  const name = params.require("UserName");
  checkUserName(name);
  return ctx.store.getUser(name);
}

const createUser: Action = (params, ctx) => {
  const name = params.require("UserName");
  checkUserName(name);
  const path = params.get("Path") ?? "/";
  checkPath(path);
  const tags = readTags(params);
  checkTags(tags);
  const user = ctx.store.createUser({ name, path, tags, createDate: ctx.clock.nowMs() });
  return node("User", userXml(user, true));
};

const getUser: Action = (params, ctx) => {
  if (params.get("UserName") === undefined) {
    const key = ctx.caller ? ctx.store.findKey(ctx.caller.accessKeyId) : undefined;
    if (!key) {
      // The sandbox's admin credentials act as the account's root user.
      const id = ctx.store.accountId;
      return node(
        "User",
        text("UserId", id) +
          text("Arn", `arn:aws:iam::${id}:root`) +
          text("CreateDate", isoSeconds(ctx.store.accountCreateDate)),
      );
    }
    return node("User", userXml(key.user, true));
  }
  return node("User", userXml(requireUser(params, ctx), true));
};

const listUsers: Action = (params, ctx) => {
  const prefix = params.get("PathPrefix") ?? "/";
  if (!prefix.startsWith("/")) {
    throw validationError(
      prefix,
      "pathPrefix",
      "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
    );
  }
  const limit = parseMaxItems(params.get("MaxItems"));
  const after = decodeMarker("ListUsers", params.get("Marker"));
  const filter = prefix === "/" ? undefined : (u: IamUser) => u.path.startsWith(prefix);
  const page = ctx.store.users.page(after, limit, filter);
  const marker = page.lastKey === undefined ? undefined : encodeMarker("ListUsers", page.lastKey);
  return (
    members(
      "Users",
      page.items.map((u) => userXml(u, false)),
    ) + pageXml(page.truncated, marker)
  );
};

const deleteUser: Action = (params, ctx) => {
  ctx.store.deleteUser(requireUser(params, ctx));
  return null;
};

const tagUser: Action = (params, ctx) => {
  const user = requireUser(params, ctx);
  if (!params.hasPrefix("Tags.member."))
    throw new AwsError("MissingParameter", "The request must contain the parameter Tags.", 400);
  const tags = readTags(params);
  checkTags(tags);
  const added = tags.filter((t) => !user.tags.has(t.key.toLowerCase())).length;
  if (user.tags.size + added > MAX_TAGS_PER_USER) {
    throw new AwsError(
      "LimitExceeded",
      `Cannot exceed quota for TagsPerUser: ${MAX_TAGS_PER_USER}`,
      409,
    );
  }
  for (const t of tags) user.tags.set(t.key.toLowerCase(), { key: t.key, value: t.value });
  return null;
};

const untagUser: Action = (params, ctx) => {
  const user = requireUser(params, ctx);
  const keys = params.list("TagKeys");
  if (keys.length === 0 && !params.hasPrefix("TagKeys")) {
    throw new AwsError("MissingParameter", "The request must contain the parameter TagKeys.", 400);
  }
  if (keys.length > 50)
    throw validationError(
      `[${keys.join(", ")}]`,
      "tagKeys",
      "Member must have length less than or equal to 50",
    );
  keys.forEach((k, i) => {
    checkTagKey(k, `tagKeys.${i + 1}.member`);
  });
  for (const k of keys) user.tags.delete(k.toLowerCase());
  return null;
};

const listUserTags: Action = (params, ctx) => {
  const user = requireUser(params, ctx);
  const limit = parseMaxItems(params.get("MaxItems"));
  const listing = `ListUserTags:${user.userId}`;
  const after = decodeMarker(listing, params.get("Marker"));
  const page = pageArray([...user.tags.values()], (t) => t.key.toLowerCase(), after, limit);
  const marker = page.lastKey === undefined ? undefined : encodeMarker(listing, page.lastKey);
  return tagsXml(page.items) + pageXml(page.truncated, marker);
};

const createAccessKey: Action = (params, ctx) => {
  const user = targetUser(params, ctx);
  const key = ctx.store.createAccessKey(user, { createDate: ctx.clock.nowMs() });
  return node(
    "AccessKey",
    text("UserName", user.name) +
      text("AccessKeyId", key.accessKeyId) +
      text("Status", key.status) +
      text("SecretAccessKey", key.secretAccessKey) +
      text("CreateDate", isoSeconds(key.createDate)),
  );
};

const listAccessKeys: Action = (params, ctx) => {
  const user = targetUser(params, ctx);
  const limit = parseMaxItems(params.get("MaxItems"));
  const listing = `ListAccessKeys:${user.userId}`;
  const after = decodeMarker(listing, params.get("Marker"));
  const page = pageArray(user.keys, (k) => k.accessKeyId, after, limit);
  const marker = page.lastKey === undefined ? undefined : encodeMarker(listing, page.lastKey);
  return (
    members("AccessKeyMetadata", page.items.map(keyMetadataXml)) + pageXml(page.truncated, marker)
  );
};

function readKey(params: QueryParams, ctx: IamContext): AccessKey {
  const id = params.require("AccessKeyId");
  checkAccessKeyId(id);
  return ctx.store.getUserKey(targetUser(params, ctx), id);
}

const updateAccessKey: Action = (params, ctx) => {
  const status = params.require("Status");
  if (status !== "Active" && status !== "Inactive") {
    throw validationError(
      status,
      "status",
      "Member must satisfy enum value set: [Active, Inactive]",
    );
  }
  readKey(params, ctx).status = status;
  return null;
};

const deleteAccessKey: Action = (params, ctx) => {
  ctx.store.deleteAccessKey(readKey(params, ctx));
  return null;
};

const getAccessKeyLastUsed: Action = (params, ctx) => {
  const id = params.require("AccessKeyId");
  checkAccessKeyId(id);
  const key = ctx.store.findKey(id);
  if (!key)
    throw new AwsError("NoSuchEntity", `The Access Key with id ${id} cannot be found.`, 404);
  const used = key.lastUsed;
  return (
    text("UserName", key.user.name) +
    node(
      "AccessKeyLastUsed",
      (used ? text("LastUsedDate", isoSeconds(used.date)) : "") +
        text("ServiceName", used ? used.service : "N/A") +
        text("Region", used ? used.region : "N/A"),
    )
  );
};

const ENTITY_FILTERS = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"];

const getAccountAuthorizationDetails: Action = (params, ctx) => {
  const filters = params.list("Filter");
  filters.forEach((f, i) => {
    if (!ENTITY_FILTERS.includes(f)) {
      throw validationError(
        f,
        `filter.${i + 1}.member`,
        `Member must satisfy enum value set: [${ENTITY_FILTERS.join(", ")}]`,
      );
    }
  });
  const limit = parseMaxItems(params.get("MaxItems"));
  const after = decodeMarker("GetAccountAuthorizationDetails", params.get("Marker"));
  const wantUsers = filters.length === 0 || filters.includes("User");
  const page = wantUsers
    ? ctx.store.users.page(after, limit)
    : { items: [], lastKey: undefined, truncated: false };
  const marker =
    page.lastKey === undefined
      ? undefined
      : encodeMarker("GetAccountAuthorizationDetails", page.lastKey);
  const users = page.items.map(
    (u) =>
      text("Path", u.path) +
      text("UserName", u.name) +
      text("UserId", u.userId) +
      text("Arn", u.arn) +
      text("CreateDate", isoSeconds(u.createDate)) +
      members("UserPolicyList", []) +
      members("GroupList", []) +
      members("AttachedManagedPolicies", []) +
      tagsXml([...u.tags.values()]),
  );
  return (
    members("UserDetailList", users) +
    members("GroupDetailList", []) +
    members("RoleDetailList", []) +
    members("Policies", []) +
    pageXml(page.truncated, marker)
  );
};

const generateCredentialReport: Action = (_params, ctx) => {
  const { store, clock } = ctx;
  const state = reportState(store.report, clock.nowMs(), Date.now());
  if (state === "in-progress") {
    return text("State", "INPROGRESS") + text("Description", "Report generation in progress");
  }
  if (state === "fresh") return text("State", "COMPLETE");
  store.report = {
    generatedMs: clock.nowMs(),
    readyAtRealMs: Date.now() + ctx.reportGenerationMs,
    content: renderCredentialReport(store),
  };
  return (
    text("Description", "No report exists. Starting a new report generation task") +
    text("State", "STARTED")
  );
};

const getCredentialReport: Action = (_params, ctx) => {
  const report = ctx.store.report;
  switch (reportState(report, ctx.clock.nowMs(), Date.now())) {
    case "absent":
      throw new AwsError(
        "ReportNotPresent",
        "Credential report not present. Use GenerateCredentialReport to create one.",
        410,
      );
    case "in-progress":
      throw new AwsError("ReportInProgress", "Report is still being generated.", 404);
    case "expired":
      throw new AwsError(
        "ReportExpired",
        "Credential report has expired. Use GenerateCredentialReport to create a new one.",
        410,
      );
  }
  const fresh = report as NonNullable<typeof report>;
  return (
    text("Content", fresh.content.toString("base64")) +
    text("ReportFormat", "text/csv") +
    text("GeneratedTime", isoSeconds(fresh.generatedMs))
  );
};

/**
 * Every IAM action the sandbox implements, by Query `Action` name.
 * Anything else is answered with `InvalidAction`, as IAM does for unknown operations.
 */
export const IAM_ACTIONS: ReadonlyMap<string, Action> = new Map<string, Action>([
  ["CreateUser", createUser],
  ["GetUser", getUser],
  ["ListUsers", listUsers],
  ["DeleteUser", deleteUser],
  ["TagUser", tagUser],
  ["UntagUser", untagUser],
  ["ListUserTags", listUserTags],
  ["CreateAccessKey", createAccessKey],
  ["ListAccessKeys", listAccessKeys],
  ["UpdateAccessKey", updateAccessKey],
  ["DeleteAccessKey", deleteAccessKey],
  ["GetAccessKeyLastUsed", getAccessKeyLastUsed],
  ["GetAccountAuthorizationDetails", getAccountAuthorizationDetails],
  ["GenerateCredentialReport", generateCredentialReport],
  ["GetCredentialReport", getCredentialReport],
]);
