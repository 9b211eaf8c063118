import type { Clock } from "../clock.js";
import { ServiceError, validationError } from "../errors.js";
import { decodeMarker, encodeMarker, pageArray, parseMaxItems } from "../pagination.js";
import type { QueryParams } from "../query.js";
import type { SigningInfo } from "../sigv4.js";
import { isoSeconds, members, node, text } from "../xml.js";
import {
  type Consistency,
  type KeyAsRead,
  readView,
  recordCreation,
  recordWrite,
  userVisible,
} from "./consistency.js";
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
  /** How long writes stay invisible to read calls (`faults.consistencyDelayMs`), and now. */
  consistency: Consistency;
}

/** An IAM action: returns the `<XxxResult>` children, or null for actions whose response has no result. */
type Action = (params: QueryParams, ctx: IamContext) => string | null;

function userXml(user: IamUser, tags: readonly Tag[]): string {
  return (
    text("Path", user.path) +
    text("UserName", user.name) +
    text("UserId", user.userId) +
    text("Arn", user.arn) +
    text("CreateDate", isoSeconds(user.createDate)) +
    (tags.length > 0 ? tagsXml(tags) : "")
  );
}

function tagsXml(tags: readonly Tag[]): string {
  return members(
    "Tags",
    tags.map((t) => text("Key", t.key) + text("Value", t.value)),
  );
}

function keyMetadataXml(userName: string, key: KeyAsRead): string {
  return (
    text("UserName", userName) +
    text("AccessKeyId", key.accessKeyId) +
    text("Status", key.status) +
    text("CreateDate", isoSeconds(key.createDate))
  );
}

/**
 * One page of the IAM listing named `listing`: reads `MaxItems` and `Marker` (a marker of another
 * listing is refused), takes the page with `take`, and returns its items with the `IsTruncated`
 * and `Marker` elements that end the answer.
 */
function iamPage<T>(
  params: QueryParams,
  listing: string,
  take: (
    after: string | undefined,
    limit: number,
  ) => { items: T[]; lastKey: string | undefined; truncated: boolean },
): { items: T[]; pageXml: string } {
  const limit = parseMaxItems(params.get("MaxItems"));
  const after = decodeMarker(listing, params.get("Marker"));
  const page = take(after, limit);
  const marker = page.lastKey === undefined ? undefined : encodeMarker(listing, page.lastKey);
  return {
    items: page.items,
    pageXml: text("IsTruncated", page.truncated) + (page.truncated ? text("Marker", marker) : ""),
  };
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
    throw new ServiceError(
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

/** For read calls: a user created within the consistency delay does not exist yet. */
function visibleUser(user: IamUser, ctx: IamContext): IamUser {
  if (!userVisible(user, ctx.consistency)) {
    throw new ServiceError("NoSuchEntity", `The user with name ${user.name} cannot be found.`, 404);
  }
  return user;
}

const createUser: Action = (params, ctx) => {
  const name = params.require("UserName");
  checkUserName(name);
  const path = params.get("Path") ?? "/";
  checkPath(path);
  const tags = readTags(params);
  checkTags(tags);
  const user = ctx.store.createUser({ name, path, tags, createDate: ctx.clock.nowMs() });
  recordCreation(user, ctx.consistency);
  return node("User", userXml(user, [...user.tags.values()]));
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
    const self = visibleUser(key.user, ctx);
    return node("User", userXml(self, readView(self, ctx.consistency).tags));
  }
  const user = visibleUser(requireUser(params, ctx), ctx);
  return node("User", userXml(user, readView(user, ctx.consistency).tags));
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
  const filter = (u: IamUser) =>
    (prefix === "/" || u.path.startsWith(prefix)) && userVisible(u, ctx.consistency);
  const page = iamPage(params, "ListUsers", (after, limit) =>
    ctx.store.users.page(after, limit, filter),
  );
  return (
    members(
      "Users",
      page.items.map((u) => userXml(u, [])),
    ) + page.pageXml
  );
};

const deleteUser: Action = (params, ctx) => {
  ctx.store.deleteUser(requireUser(params, ctx));
  return null;
};

const tagUser: Action = (params, ctx) => {
  const user = requireUser(params, ctx);
  if (!params.hasPrefix("Tags.member."))
    throw new ServiceError("MissingParameter", "The request must contain the parameter Tags.", 400);
  const tags = readTags(params);
  checkTags(tags);
  const added = tags.filter((t) => !user.tags.has(t.key.toLowerCase())).length;
  if (user.tags.size + added > MAX_TAGS_PER_USER) {
    throw new ServiceError(
      "LimitExceeded",
      `Cannot exceed quota for TagsPerUser: ${MAX_TAGS_PER_USER}`,
      409,
    );
  }
  recordWrite(user, ctx.consistency, () => {
    for (const t of tags) user.tags.set(t.key.toLowerCase(), { key: t.key, value: t.value });
  });
  return null;
};

const untagUser: Action = (params, ctx) => {
  const user = requireUser(params, ctx);
  const keys = params.list("TagKeys");
  if (keys.length === 0 && !params.hasPrefix("TagKeys")) {
    throw new ServiceError(
      "MissingParameter",
      "The request must contain the parameter TagKeys.",
      400,
    );
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
  recordWrite(user, ctx.consistency, () => {
    for (const k of keys) user.tags.delete(k.toLowerCase());
  });
  return null;
};

const listUserTags: Action = (params, ctx) => {
  const user = visibleUser(requireUser(params, ctx), ctx);
  const page = iamPage(params, `ListUserTags:${user.userId}`, (after, limit) =>
    pageArray(readView(user, ctx.consistency).tags, (t) => t.key.toLowerCase(), after, limit),
  );
  return tagsXml(page.items) + page.pageXml;
};

const createAccessKey: Action = (params, ctx) => {
  const user = targetUser(params, ctx);
  const key = recordWrite(user, ctx.consistency, () =>
    ctx.store.createAccessKey(user, { createDate: ctx.clock.nowMs() }),
  );
  ctx.store.recordKeyEvent({
    time: ctx.clock.nowMs(),
    operation: "CreateAccessKey",
    userName: user.name,
    accessKeyId: key.accessKeyId,
    statusBefore: undefined,
    statusAfter: key.status,
    visibleBefore: false,
  });
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
  const user = visibleUser(targetUser(params, ctx), ctx);
  const page = iamPage(params, `ListAccessKeys:${user.userId}`, (after, limit) =>
    pageArray(readView(user, ctx.consistency).keys, (k) => k.accessKeyId, after, limit),
  );
  return (
    members(
      "AccessKeyMetadata",
      page.items.map((k) => keyMetadataXml(user.name, k)),
    ) + page.pageXml
  );
};

/** Changes a key through `write`, recording the change in the key trail. */
function changeKey(
  ctx: IamContext,
  key: AccessKey,
  operation: "UpdateAccessKey" | "DeleteAccessKey",
  statusAfter: "Active" | "Inactive" | undefined,
  write: () => void,
): void {
  const visibleBefore = readView(key.user, ctx.consistency).keys.some(
    (k) => k.accessKeyId === key.accessKeyId,
  );
  const statusBefore = key.status;
  recordWrite(key.user, ctx.consistency, write);
  ctx.store.recordKeyEvent({
    time: ctx.clock.nowMs(),
    operation,
    userName: key.user.name,
    accessKeyId: key.accessKeyId,
    statusBefore,
    statusAfter,
    visibleBefore,
  });
}

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
  const key = readKey(params, ctx);
  changeKey(ctx, key, "UpdateAccessKey", status, () => {
    key.status = status;
  });
  return null;
};

const deleteAccessKey: Action = (params, ctx) => {
  const key = readKey(params, ctx);
  changeKey(ctx, key, "DeleteAccessKey", undefined, () => ctx.store.deleteAccessKey(key));
  return null;
};

const getAccessKeyLastUsed: Action = (params, ctx) => {
  const id = params.require("AccessKeyId");
  checkAccessKeyId(id);
  const key = ctx.store.findKey(id);
  if (!key)
    throw new ServiceError("NoSuchEntity", `The Access Key with id ${id} cannot be found.`, 404);
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
  const wantUsers = filters.length === 0 || filters.includes("User");
  const page = iamPage(params, "GetAccountAuthorizationDetails", (after, limit) =>
    wantUsers
      ? ctx.store.users.page(after, limit, (u) => userVisible(u, ctx.consistency))
      : { items: [], lastKey: undefined, truncated: false },
  );
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
      tagsXml(readView(u, ctx.consistency).tags),
  );
  return (
    members("UserDetailList", users) +
    members("GroupDetailList", []) +
    members("RoleDetailList", []) +
    members("Policies", []) +
    page.pageXml
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
    content: renderCredentialReport(store, (user) =>
      userVisible(user, ctx.consistency) ? readView(user, ctx.consistency).keys : undefined,
    ),
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
      throw new ServiceError(
        "ReportNotPresent",
        "Credential report not present. Use GenerateCredentialReport to create one.",
        410,
      );
    case "in-progress":
      throw new ServiceError("ReportInProgress", "Report is still being generated.", 404);
    case "expired":
      throw new ServiceError(
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
