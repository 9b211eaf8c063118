import type { Account } from "./account.js";
import { ServiceError } from "./errors.js";
import type { HttpResult } from "./http-result.js";
import {
  ORGANIZATION_ID,
  type OrgAccount,
  type Organization,
  type OrgParent,
  ROOT_ID,
} from "./organizations.js";

/** The `X-Amz-Target` prefix of AWS Organizations (JSON 1.1 protocol). */
export const ORGANIZATIONS_TARGET = "AWSOrganizationsV20161128";

/** The operations the sandbox answers. */
export const ORGANIZATIONS_OPERATIONS = new Set([
  "ListAccounts",
  "ListRoots",
  "ListOrganizationalUnitsForParent",
  "ListAccountsForParent",
  "ListChildren",
  "ListTagsForResource",
  "DescribeOrganization",
]);

// Organizations' page size: MaxResults is 1 to 20.
const MAX_RESULTS = 20;

/** A JSON 1.1 response. */
export function jsonResult(status: number, body: unknown, requestId: string): HttpResult {
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId },
    body: JSON.stringify(body),
  };
}

/** A JSON 1.1 error: `{"__type", "Message"}` and the `x-amzn-ErrorType` header. */
export function jsonError(err: ServiceError, requestId: string): HttpResult {
  const result = jsonResult(err.status, { __type: err.code, Message: err.message }, requestId);
  result.headers["x-amzn-errortype"] = err.code;
  return result;
}

const invalidInput = (message: string): ServiceError =>
  new ServiceError("InvalidInputException", message, 400);

/** The JSON object a JSON-protocol request carries (`{}` for an empty body). */
export function readInput(body: Buffer): Record<string, unknown> {
  const text = body.toString("utf8").trim();
  if (text === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ServiceError("SerializationException", "The request body is not a JSON object.", 400);
}

function page<T>(
  items: readonly T[],
  input: Record<string, unknown>,
  listing: string,
): { items: T[]; nextToken: string | undefined } {
  const max = input.MaxResults;
  if (max !== undefined && (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 20))
    throw invalidInput("MaxResults must be an integer from 1 to 20.");
  const size = (max as number | undefined) ?? MAX_RESULTS;
  let start = 0;
  const token = input.NextToken;
  if (token !== undefined && token !== null) {
    const decoded = typeof token === "string" ? decodeToken(token) : undefined;
    if (decoded === undefined || decoded.listing !== listing)
      throw invalidInput("The NextToken is not valid for this request.");
    start = decoded.start;
  }
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? encodeToken(listing, start + size) : undefined;
  return { items: slice, nextToken: next };
}

function encodeToken(listing: string, start: number): string {
  return Buffer.from(JSON.stringify([listing, start]), "utf8").toString("base64");
}

function decodeToken(token: string): { listing: string; start: number } | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
    if (Array.isArray(v) && typeof v[0] === "string" && Number.isInteger(v[1]) && v[1] >= 0)
      return { listing: v[0], start: v[1] };
  } catch {
    // invalid
  }
  return undefined;
}

function accountJson(a: OrgAccount): Record<string, unknown> {
  return {
    Id: a.id,
    Arn: a.arn,
    Email: a.email,
    Name: a.name,
    Status: a.status,
    JoinedMethod: "CREATED",
    JoinedTimestamp: a.joinedMs / 1000,
  };
}

/**
 * The thing an id parameter of the input names, found with `find`; `InvalidInputException` when
 * the parameter is missing, `notFound` when it names nothing.
 */
function lookUp<T>(
  input: Record<string, unknown>,
  parameter: "ParentId" | "ResourceId",
  find: (id: string) => T | undefined,
  notFound: () => ServiceError,
): T {
  const id = input[parameter];
  if (typeof id !== "string" || id === "") throw invalidInput(`${parameter} is required.`);
  const found = find(id);
  if (found === undefined) throw notFound();
  return found;
}

function parentOf(org: Organization, input: Record<string, unknown>): OrgParent {
  return lookUp(
    input,
    "ParentId",
    (id) => org.parent(id),
    () =>
      new ServiceError(
        "ParentNotFoundException",
        "We can't find a root or OU with the ParentId that you specified.",
        400,
      ),
  );
}

function listed<T extends string>(
  key: T,
  p: { items: unknown[]; nextToken: string | undefined },
): Record<string, unknown> {
  return { [key]: p.items, ...(p.nextToken === undefined ? {} : { NextToken: p.nextToken }) };
}

/**
 * Answers one AWS Organizations call from the management account's organisation. Only callers
 * of the management account may read it, as on AWS (members get AccessDeniedException).
 */
export function handleOrganizations(
  management: Account,
  caller: Account,
  operation: string,
  body: Buffer,
): unknown {
  if (!ORGANIZATIONS_OPERATIONS.has(operation))
    throw new ServiceError(
      "UnknownOperationException",
      `The keyrotate sandbox does not emulate Organizations ${operation}.`,
      400,
    );
  const input = readInput(body);
  const org = management.organization;
  if (org === undefined || !org.exists)
    throw new ServiceError(
      "AWSOrganizationsNotInUseException",
      "Your account is not a member of an organization.",
      400,
    );
  if (caller !== management)
    throw new ServiceError(
      "AccessDeniedException",
      "You don't have permissions to access this resource.",
      400,
    );
  switch (operation) {
    case "DescribeOrganization": {
      const mgmt = org.account(management.accountId) as OrgAccount;
      return {
        Organization: {
          Id: ORGANIZATION_ID,
          Arn: `arn:aws:organizations::${mgmt.id}:organization/${ORGANIZATION_ID}`,
          FeatureSet: "ALL",
          MasterAccountArn: mgmt.arn,
          MasterAccountId: mgmt.id,
          MasterAccountEmail: mgmt.email,
        },
      };
    }
    case "ListAccounts":
      return listed("Accounts", page(org.accounts().map(accountJson), input, "accounts"));
    case "ListRoots": {
      const root = org.parent(ROOT_ID) as OrgParent;
      return listed(
        "Roots",
        page([{ Id: root.id, Arn: root.arn, Name: root.name, PolicyTypes: [] }], input, "roots"),
      );
    }
    case "ListOrganizationalUnitsForParent": {
      const parent = parentOf(org, input);
      const ous = parent.ouIds.map((id) => {
        const ou = org.parent(id) as OrgParent;
        return { Id: ou.id, Arn: ou.arn, Name: ou.name };
      });
      return listed("OrganizationalUnits", page(ous, input, `ous:${parent.id}`));
    }
    case "ListAccountsForParent": {
      const parent = parentOf(org, input);
      const accounts = parent.accountIds.map((id) => accountJson(org.account(id) as OrgAccount));
      return listed("Accounts", page(accounts, input, `accounts:${parent.id}`));
    }
    case "ListChildren": {
      const parent = parentOf(org, input);
      const type = input.ChildType;
      if (type !== "ACCOUNT" && type !== "ORGANIZATIONAL_UNIT")
        throw invalidInput("ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT.");
      const ids = type === "ACCOUNT" ? parent.accountIds : parent.ouIds;
      return listed(
        "Children",
        page(
          ids.map((Id) => ({ Id, Type: type })),
          input,
          `children:${type}:${parent.id}`,
        ),
      );
    }
    default: {
      const account = lookUp(
        input,
        "ResourceId",
        (id) => org.account(id),
        () =>
          new ServiceError(
            "TargetNotFoundException",
            "We can't find a root, OU, account, or policy with the TargetId that you specified.",
            400,
          ),
      );
      const tags = account.tags.map((t) => ({ Key: t.key, Value: t.value }));
      return listed("Tags", page(tags, input, `tags:${account.id}`));
    }
  }
}
