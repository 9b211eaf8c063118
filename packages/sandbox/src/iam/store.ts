import { ServiceError } from "../errors.js";
import type { IdGenerator } from "../random.js";
import { SortedIndex } from "../sorted-index.js";
import type { CredentialReport } from "./credential-report.js";

/** Where and when an access key last signed a request. */
export interface LastUse {
  date: number;
  region: string;
  service: string;
}

/** An IAM access key as the sandbox stores it (secret included). */
export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  status: "Active" | "Inactive";
  createDate: number;
  lastUsed: LastUse | undefined;
  user: IamUser;
}

/** An IAM tag. */
export interface Tag {
  key: string;
  value: string;
}

/** An IAM user as the sandbox stores it. */
export interface IamUser {
  name: string;
  path: string;
  userId: string;
  arn: string;
  createDate: number;
  /** Tags keyed by lower-cased key: IAM tag keys are case-insensitive. */
  tags: Map<string, Tag>;
  /** At most two keys, oldest first. */
  keys: AccessKey[];
}

/**
 * One change to an access key made through the API, as an audit trail (CloudTrail-like) records
 * it: what the key was just before, and whether read calls could list it at that moment.
 */
export interface KeyEvent {
  /** 1, 2, 3, … in the order the changes were made. */
  readonly seq: number;
  /** Sandbox time of the change, epoch ms. */
  readonly time: number;
  readonly operation: "CreateAccessKey" | "UpdateAccessKey" | "DeleteAccessKey";
  readonly userName: string;
  readonly accessKeyId: string;
  /** The key's status before the change (undefined for a creation). */
  readonly statusBefore: "Active" | "Inactive" | undefined;
  /** The status it was given (UpdateAccessKey), or undefined. */
  readonly statusAfter: "Active" | "Inactive" | undefined;
  /** Whether ListAccessKeys would have listed the key just before the change (always true without a consistency delay). */
  readonly visibleBefore: boolean;
}

/** An access key secret the account ever issued, kept after the key is deleted. */
export interface IssuedSecret {
  readonly accessKeyId: string;
  readonly userName: string;
  readonly secretAccessKey: string;
}

/** IAM's quota of access keys per user. */
export const MAX_KEYS_PER_USER = 2;
/** IAM's quota of tags per user. */
export const MAX_TAGS_PER_USER = 50;

/**
 * The IAM half of the fake account: users, their tags and keys, and the credential report.
 * Users sit in a sorted index keyed by lower-cased name (IAM names are case-insensitive) so
 * listing 100,000 of them page by page stays cheap.
 */
export class IamStore {
  /** Users by lower-cased name, in name order. */
  readonly users = new SortedIndex<IamUser>();
  /** The latest credential report, if one was generated. */
  report: CredentialReport | undefined;
  /** When the account (and so its root user) was created, epoch ms. */
  accountCreateDate: number;
  private readonly keys = new Map<string, AccessKey>();
  private readonly retiredKeys = new Set<string>();
  private readonly userIds = new Set<string>();
  private readonly issued: IssuedSecret[] = [];
  private readonly events: KeyEvent[] = [];

  /** Creates an empty account whose root user dates from `accountCreateDate`. */
  constructor(
    readonly accountId: string,
    private readonly ids: IdGenerator,
    accountCreateDate: number,
  ) {
    this.accountCreateDate = accountCreateDate;
  }

  /** The user named `name` (any case), or undefined. */
  findUser(name: string): IamUser | undefined {
    return this.users.get(name.toLowerCase());
  }

  /** The user named `name`, or IAM's NoSuchEntity error. */
  getUser(name: string): IamUser {
    const user = this.findUser(name);
    if (!user)
      throw new ServiceError("NoSuchEntity", `The user with name ${name} cannot be found.`, 404);
    return user;
  }

  /** Creates a user, or fails with EntityAlreadyExists when the name is taken in any case. */
  createUser(init: {
    name: string;
    path: string;
    createDate: number;
    tags: readonly Tag[];
  }): IamUser {
    const lower = init.name.toLowerCase();
    if (this.users.has(lower)) {
      throw new ServiceError(
        "EntityAlreadyExists",
        `User with name ${init.name} already exists.`,
        409,
      );
    }
    let userId = this.ids.userId();
    while (this.userIds.has(userId)) userId = this.ids.userId();
    this.userIds.add(userId);
    const user: IamUser = {
      name: init.name,
      path: init.path,
      userId,
      arn: `arn:aws:iam::${this.accountId}:user${init.path}${init.name}`,
      createDate: init.createDate,
      tags: new Map(init.tags.map((t) => [t.key.toLowerCase(), { key: t.key, value: t.value }])),
      keys: [],
    };
    this.users.set(lower, user);
    if (init.createDate < this.accountCreateDate) this.accountCreateDate = init.createDate;
    return user;
  }

  /** Deletes a user, refusing with DeleteConflict while it still has access keys. */
  deleteUser(user: IamUser): void {
    if (user.keys.length > 0) {
      throw new ServiceError(
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
        409,
      );
    }
    this.users.delete(user.name.toLowerCase());
    this.userIds.delete(user.userId);
  }

  /** Adds an access key to `user`, enforcing the two-keys quota. */
  createAccessKey(
    user: IamUser,
    init: {
      createDate: number;
      accessKeyId?: string;
      status?: "Active" | "Inactive";
      lastUsed?: LastUse;
    },
  ): AccessKey {
    if (user.keys.length >= MAX_KEYS_PER_USER) {
      throw new ServiceError(
        "LimitExceeded",
        `Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`,
        409,
      );
    }
    let accessKeyId = init.accessKeyId ?? this.ids.accessKeyId();
    if (this.keys.has(accessKeyId) || this.retiredKeys.has(accessKeyId)) {
      if (init.accessKeyId !== undefined) {
        throw new ServiceError(
          "EntityAlreadyExists",
          `Access key ${accessKeyId} already exists.`,
          409,
        );
      }
      while (this.keys.has(accessKeyId) || this.retiredKeys.has(accessKeyId)) {
        accessKeyId = this.ids.accessKeyId();
      }
    }
    const key: AccessKey = {
      accessKeyId,
      secretAccessKey: this.ids.secretAccessKey(),
      status: init.status ?? "Active",
      createDate: init.createDate,
      lastUsed: init.lastUsed,
      user,
    };
    user.keys.push(key);
    user.keys.sort((a, b) => a.createDate - b.createDate);
    this.keys.set(accessKeyId, key);
    this.issued.push({ accessKeyId, userName: user.name, secretAccessKey: key.secretAccessKey });
    return key;
  }

  /** The access key `accessKeyId` of `user`, or NoSuchEntity. */
  getUserKey(user: IamUser, accessKeyId: string): AccessKey {
    const key = this.keys.get(accessKeyId);
    if (!key || key.user !== user) {
      throw new ServiceError(
        "NoSuchEntity",
        `The Access Key with id ${accessKeyId} cannot be found.`,
        404,
      );
    }
    return key;
  }

  /** Deletes an access key; its id stays known so requests signed with it are refused. */
  deleteAccessKey(key: AccessKey): void {
    key.user.keys = key.user.keys.filter((k) => k !== key);
    this.keys.delete(key.accessKeyId);
    this.retiredKeys.add(key.accessKeyId);
  }

  /** The live access key with this id, if any. */
  findKey(accessKeyId: string): AccessKey | undefined {
    return this.keys.get(accessKeyId);
  }

  /** Whether this id belonged to a key that has since been deleted. */
  isRetiredKey(accessKeyId: string): boolean {
    return this.retiredKeys.has(accessKeyId);
  }

  /** Every secret the account ever issued, deleted keys' included, in the order issued. */
  issuedSecrets(): readonly IssuedSecret[] {
    return [...this.issued];
  }

  /** Appends a change to the key trail. */
  recordKeyEvent(event: Omit<KeyEvent, "seq">): void {
    this.events.push({ seq: this.events.length + 1, ...event });
  }

  /** The key trail: every key change made through the API, oldest first. */
  keyEvents(): readonly KeyEvent[] {
    return [...this.events];
  }

  /** Empties the account. */
  clear(accountCreateDate: number): void {
    this.users.clear();
    this.issued.length = 0;
    this.events.length = 0;
    this.keys.clear();
    this.retiredKeys.clear();
    this.userIds.clear();
    this.report = undefined;
    this.accountCreateDate = accountCreateDate;
  }
}
