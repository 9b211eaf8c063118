import type { Account } from "./account.js";
import { type FaultSettings, parseFaultSettings } from "./faults.js";
import { isObjectWith, isRecord, unknownKeys } from "./json-input.js";
import type { Random } from "./random.js";
import { parseScenario, type Scenario, ScenarioError } from "./scenario.js";

/** The role keyrotate assumes in an account, and whom it trusts. */
export interface ScenarioRole {
  /** The role's name (`[\w+=,.@-]{1,64}`). */
  name: string;
  /** The external id the trust policy requires (`sts:ExternalId`); none when absent. */
  externalId?: string;
  /** Accounts whose principals may assume it (default: the management account). */
  trustedAccountIds?: string[];
}

/** One account of an organisation scenario. */
export interface ScenarioAccount {
  /** 12 digits, unique in the sandbox. */
  id: string;
  name: string;
  /** Default `<id>@example.com`. */
  email?: string;
  /** Default ACTIVE. A SUSPENDED account is listed but refuses AssumeRole. */
  status?: "ACTIVE" | "SUSPENDED";
  /** Account tags, as `ListTagsForResource` returns them. */
  tags?: Record<string, string>;
  /** This account's member role; null: the account has none (default: the organisation's). */
  role?: ScenarioRole | null;
  /** The account's own IAM users, buckets, SES identities (no nested organization). */
  scenario?: Scenario;
  /** The account's own fault settings, e.g. an IAM throttle of its own. */
  faults?: FaultSettings;
}

/** An organisational unit of a scenario, with nested OUs. */
export interface ScenarioOu {
  name: string;
  accounts?: ScenarioAccount[];
  ous?: ScenarioOu[];
}

/**
 * An AWS Organization seeded into the sandbox: the management account is the sandbox's default
 * account; every other account has its own IAM, S3, SES, faults and credentials.
 */
export interface OrganizationScenario {
  /** The role created in every account (default `OrganizationAccountAccessRole`, no external id). */
  memberRole?: ScenarioRole;
  /** The management account's name, tags and role (its state is the default account's). */
  management?: {
    name?: string;
    email?: string;
    tags?: Record<string, string>;
    role?: ScenarioRole | null;
  };
  /** Accounts directly under the root. */
  accounts?: ScenarioAccount[];
  /** OUs directly under the root. */
  ous?: ScenarioOu[];
}

/** The role of an account as the sandbox keeps it. */
export interface MemberRole {
  readonly name: string;
  readonly externalId: string | undefined;
  readonly trustedAccountIds: readonly string[];
}

/** An account of the organisation: its listing data and its sandbox state. */
export interface OrgAccount {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly email: string;
  status: "ACTIVE" | "SUSPENDED";
  readonly joinedMs: number;
  readonly parentId: string;
  readonly tags: ReadonlyArray<{ key: string; value: string }>;
  role: MemberRole | undefined;
  readonly state: Account;
  /** The account administrator's credentials (like `ADMIN_CREDENTIALS` for the default one). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** An organisational unit or the root. */
export interface OrgParent {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly parentId: string | undefined;
  readonly ouIds: string[];
  readonly accountIds: string[];
}

/** Temporary credentials issued by `AssumeRole`. */
export interface StsSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expirationMs: number;
  readonly account: Account;
  readonly roleName: string;
  readonly sessionName: string;
}

/** The id of the sandbox's organisation, as Organizations shapes it (`o-` and 10 characters). */
export const ORGANIZATION_ID = "o-sandbox001";
/** The id of the organisation's root, the parent of the top-level OUs and accounts. */
export const ROOT_ID = "r-sand";
/** The member role when a scenario names none: the role AWS creates in accounts it makes. */
export const DEFAULT_MEMBER_ROLE = "OrganizationAccountAccessRole";

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** The administrator credentials of a member account, derived from its id. */
export const memberCredentials = (accountId: string) => ({
  accessKeyId: `AKIAACCT${accountId}`,
  secretAccessKey: `sandbox+admin+secret+for+account+${accountId}`,
});

type AccountFactory = (accountId: string, random: Random) => Account;

/**
 * The organisation of the sandbox's management account: its tree of OUs, its member accounts
 * and the STS sessions issued into them. Requests signed with a member's credentials (or a
 * session of it) are served from that member's own state.
 */
export class Organization {
  private readonly accountsById = new Map<string, OrgAccount>();
  private readonly parents = new Map<string, OrgParent>();
  private readonly byAdminKey = new Map<string, OrgAccount>();
  private readonly sessions = new Map<string, StsSession>();
  private ouCount = 0;
  private seeded = false;

  /** An organisation of `management` (empty until seeded). */
  constructor(
    readonly management: Account,
    private readonly random: Random,
    private readonly makeAccount: AccountFactory,
  ) {}

  /** Whether a scenario seeded an organisation. */
  get exists(): boolean {
    return this.seeded;
  }

  /** Every account, management first, then in the order they were seeded. */
  accounts(): OrgAccount[] {
    return [...this.accountsById.values()];
  }

  /** The account with `id`, or undefined. */
  account(id: string): OrgAccount | undefined {
    return this.accountsById.get(id);
  }

  /** The root or OU with `id`, or undefined. */
  parent(id: string): OrgParent | undefined {
    return this.parents.get(id);
  }

  /** The sandbox state a request signed with `accessKeyId` belongs to, if a member's. */
  stateForKey(accessKeyId: string): { account: Account; session?: StsSession } | undefined {
    const session = this.sessions.get(accessKeyId);
    if (session) return { account: session.account, session };
    const admin = this.byAdminKey.get(accessKeyId);
    if (admin) return { account: admin.state };
    if (this.management.iam.findKey(accessKeyId)) return { account: this.management };
    for (const a of this.accountsById.values()) {
      if (a.state !== this.management && a.state.iam.findKey(accessKeyId))
        return { account: a.state };
    }
    return undefined;
  }

  /** Records temporary credentials issued by AssumeRole. */
  addSession(session: StsSession): void {
    this.sessions.set(session.accessKeyId, session);
  }

  /** Fresh temporary-credential material. */
  sessionMaterial(): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
    const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const secret = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    return {
      accessKeyId: `ASIA${this.random.string(16, upper)}`,
      secretAccessKey: this.random.string(40, secret),
      sessionToken: `IQoJb3JpZ2luX2VjE${this.random.string(180, secret)}`,
    };
  }

  /** Forgets every account, OU and session. */
  clear(): void {
    this.accountsById.clear();
    this.parents.clear();
    this.byAdminKey.clear();
    this.sessions.clear();
    this.ouCount = 0;
    this.seeded = false;
  }

  /** Validates an organisation scenario, throwing a ScenarioError with every problem. */
  parse(input: unknown): OrganizationScenario {
    const problems: string[] = [];
    const at = "$.organization";
    if (this.seeded)
      problems.push(`${at}: the sandbox already has an organization; reset it first`);
    if (!isRecord(input)) throw new ScenarioError([...problems, `${at}: must be an object`]);
    unknownKeys(problems, at, input, ["memberRole", "management", "accounts", "ous"]);
    if (input.memberRole !== undefined) checkRole(problems, `${at}.memberRole`, input.memberRole);
    if (input.management !== undefined) {
      const m = input.management;
      if (isObjectWith(problems, `${at}.management`, m, ["name", "email", "tags", "role"])) {
        if (m.name !== undefined && (typeof m.name !== "string" || m.name === ""))
          problems.push(`${at}.management.name: must be a non-empty string`);
        if (m.email !== undefined && (typeof m.email !== "string" || !m.email.includes("@")))
          problems.push(`${at}.management.email: must be an email address`);
        if (m.tags !== undefined) checkTags(problems, `${at}.management.tags`, m.tags);
        if (m.role !== undefined && m.role !== null)
          checkRole(problems, `${at}.management.role`, m.role);
      }
    }
    const ids = new Set<string>([this.management.accountId]);
    const walk = (node: Record<string, unknown>, path: string): void => {
      if (node.accounts !== undefined) {
        if (!Array.isArray(node.accounts)) problems.push(`${path}.accounts: must be an array`);
        else
          node.accounts.forEach((a: unknown, i) => {
            checkAccount(problems, `${path}.accounts[${i}]`, a, ids);
          });
      }
      if (node.ous !== undefined) {
        if (!Array.isArray(node.ous)) problems.push(`${path}.ous: must be an array`);
        else
          node.ous.forEach((ou: unknown, i) => {
            const p = `${path}.ous[${i}]`;
            if (!isObjectWith(problems, p, ou, ["name", "accounts", "ous"])) return;
            if (typeof ou.name !== "string" || ou.name === "" || ou.name.length > 128)
              problems.push(`${p}.name: must be a string of 1 to 128 characters`);
            walk(ou, p);
          });
      }
    };
    walk(input, at);
    if (problems.length > 0) throw new ScenarioError(problems);
    return input as OrganizationScenario;
  }

  /** Adds a parsed organisation: the root, OUs and accounts with their own state. */
  seed(org: OrganizationScenario): void {
    const mgmt = this.management;
    const root = this.addParent(ROOT_ID, "Root", undefined, "root");
    const defaultRole = roleOf(org.memberRole ?? { name: DEFAULT_MEMBER_ROLE }, mgmt.accountId);
    const m = org.management ?? {};
    this.addAccount(root, {
      id: mgmt.accountId,
      name: m.name ?? "management",
      state: mgmt,
      email: m.email,
      tags: m.tags,
      status: "ACTIVE",
      role: m.role === null ? undefined : m.role ? roleOf(m.role, mgmt.accountId) : defaultRole,
    });
    const add = (parent: OrgParent, accounts: ScenarioAccount[] | undefined): void => {
      for (const a of accounts ?? []) {
        const state = this.makeAccount(a.id, this.random.fork());
        if (a.faults !== undefined) state.faults.set(a.faults);
        if (a.scenario !== undefined) state.seed(a.scenario);
        this.addAccount(parent, {
          id: a.id,
          name: a.name,
          state,
          email: a.email,
          tags: a.tags,
          status: a.status ?? "ACTIVE",
          role: a.role === null ? undefined : a.role ? roleOf(a.role, mgmt.accountId) : defaultRole,
        });
      }
    };
    const addOus = (parent: OrgParent, ous: ScenarioOu[] | undefined): void => {
      for (const ou of ous ?? []) {
        this.ouCount += 1;
        const id = `ou-sand-${String(this.ouCount).padStart(8, "0")}`;
        const node = this.addParent(id, ou.name, parent.id, "ou");
        parent.ouIds.push(id);
        add(node, ou.accounts);
        addOus(node, ou.ous);
      }
    };
    add(root, org.accounts);
    addOus(root, org.ous);
    this.seeded = true;
  }

  private addParent(
    id: string,
    name: string,
    parentId: string | undefined,
    kind: "root" | "ou",
  ): OrgParent {
    const parent: OrgParent = {
      id,
      arn: `arn:aws:organizations::${this.management.accountId}:${kind}/${ORGANIZATION_ID}/${id}`,
      name,
      parentId,
      ouIds: [],
      accountIds: [],
    };
    this.parents.set(id, parent);
    return parent;
  }

  private addAccount(
    parent: OrgParent,
    a: {
      id: string;
      name: string;
      state: Account;
      email: string | undefined;
      tags: Record<string, string> | undefined;
      status: "ACTIVE" | "SUSPENDED";
      role: MemberRole | undefined;
    },
  ): void {
    const account: OrgAccount = {
      id: a.id,
      arn: `arn:aws:organizations::${this.management.accountId}:account/${ORGANIZATION_ID}/${a.id}`,
      name: a.name,
      email: a.email ?? `aws+${a.id}@example.com`,
      status: a.status,
      joinedMs: this.management.clock.nowMs(),
      parentId: parent.id,
      tags: Object.entries(a.tags ?? {}).map(([key, value]) => ({ key, value })),
      role: a.role,
      state: a.state,
      credentials: memberCredentials(a.id),
    };
    this.accountsById.set(a.id, account);
    if (a.state !== this.management) this.byAdminKey.set(account.credentials.accessKeyId, account);
    parent.accountIds.push(a.id);
  }
}

function roleOf(role: ScenarioRole, managementId: string): MemberRole {
  return {
    name: role.name,
    externalId: role.externalId,
    trustedAccountIds: role.trustedAccountIds ?? [managementId],
  };
}

function checkTags(problems: string[], path: string, tags: unknown): void {
  if (!isRecord(tags)) {
    problems.push(`${path}: must be an object of key: value strings`);
    return;
  }
  for (const [k, v] of Object.entries(tags)) {
    if (k === "" || k.length > 128) problems.push(`${path}: tag key must be 1 to 128 characters`);
    if (typeof v !== "string" || v.length > 256)
      problems.push(`${path}.${k}: value must be a string of at most 256 characters`);
  }
}

function checkRole(problems: string[], path: string, role: unknown): void {
  if (!isRecord(role)) {
    problems.push(`${path}: must be an object (or null for no role)`);
    return;
  }
  unknownKeys(problems, path, role, ["name", "externalId", "trustedAccountIds"]);
  if (typeof role.name !== "string" || !ROLE_NAME.test(role.name))
    problems.push(`${path}.name: must be a role name (1 to 64 of letters, digits, +=,.@_-)`);
  if (
    role.externalId !== undefined &&
    (typeof role.externalId !== "string" || !EXTERNAL_ID.test(role.externalId))
  ) {
    problems.push(`${path}.externalId: must be 2 to 1224 of letters, digits, +=,.@:/_-`);
  }
  if (role.trustedAccountIds !== undefined) {
    if (
      !Array.isArray(role.trustedAccountIds) ||
      !role.trustedAccountIds.every((id) => typeof id === "string" && ACCOUNT_ID.test(id))
    ) {
      problems.push(`${path}.trustedAccountIds: must be an array of 12-digit account ids`);
    }
  }
}

function checkAccount(problems: string[], path: string, a: unknown, ids: Set<string>): void {
  if (
    !isObjectWith(problems, path, a, [
      "id",
      "name",
      "email",
      "status",
      "tags",
      "role",
      "scenario",
      "faults",
    ])
  )
    return;
  if (typeof a.id !== "string" || !ACCOUNT_ID.test(a.id))
    problems.push(`${path}.id: must be a 12-digit account id`);
  else if (ids.has(a.id)) problems.push(`${path}.id: duplicate account id ${a.id}`);
  else ids.add(a.id);
  if (typeof a.name !== "string" || a.name === "" || a.name.length > 50)
    problems.push(`${path}.name: must be a string of 1 to 50 characters`);
  if (a.email !== undefined && (typeof a.email !== "string" || !a.email.includes("@")))
    problems.push(`${path}.email: must be an email address`);
  if (a.status !== undefined && a.status !== "ACTIVE" && a.status !== "SUSPENDED")
    problems.push(`${path}.status: must be "ACTIVE" or "SUSPENDED"`);
  if (a.tags !== undefined) checkTags(problems, `${path}.tags`, a.tags);
  if (a.role !== undefined && a.role !== null) checkRole(problems, `${path}.role`, a.role);
  if (a.faults !== undefined) {
    try {
      parseFaultSettings(a.faults);
    } catch (e) {
      problems.push(`${path}.faults: ${(e as Error).message}`);
    }
  }
  if (a.scenario !== undefined) {
    if (isRecord(a.scenario) && a.scenario.organization !== undefined)
      problems.push(`${path}.scenario.organization: a member account cannot hold an organization`);
    else {
      try {
        parseScenario(a.scenario);
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        for (const p of e.problems) problems.push(`${path}.scenario${p.slice(1)}`);
      }
    }
  }
}
