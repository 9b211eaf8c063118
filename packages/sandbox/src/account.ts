import { CallCounter } from "./calls.js";
import { Clock, DAY_MS } from "./clock.js";
import { type FaultSettings, Faults } from "./faults.js";
import { IamStore } from "./iam/store.js";
import { Organization } from "./organizations.js";
import { freshSeed, IdGenerator, Random } from "./random.js";
import { S3Store } from "./s3/store.js";
import { parseScenario, type Scenario, ScenarioError, userCreateDate } from "./scenario.js";
import { SecretsStore } from "./secrets-manager.js";
import { FindingsStore } from "./security-hub.js";
import { SesStore } from "./ses.js";
import { SnsStore } from "./sns.js";
import { ParameterStore } from "./ssm.js";

/** An IAM user as the sandbox reports it for inspection: no secrets. */
export interface SandboxUser {
  name: string;
  path: string;
  arn: string;
  userId: string;
  createDate: Date;
  tags: { key: string; value: string }[];
  keys: {
    accessKeyId: string;
    status: "Active" | "Inactive";
    createDate: Date;
    lastUsed?: { date: Date; region: string; service: string };
  }[];
}

/** The account id every ARN in the sandbox uses. */
export const SANDBOX_ACCOUNT_ID = "123456789012";

/** Settings that shape a new account. */
export interface AccountSettings {
  now?: string | Date;
  randomSeed?: number;
  faults?: FaultSettings;
  reportGenerationMs?: number;
  region: string;
  /** The account's id (default {@link SANDBOX_ACCOUNT_ID}, the management account). */
  accountId?: string;
  /** A clock shared with other accounts (members share the management account's). */
  clock?: Clock;
  /** Where ids and secrets come from (members get a fork of the management account's). */
  random?: Random;
}

/**
 * The whole fake AWS account: clock, IAM, S3, SES, Secrets Manager, Security Hub, SNS, faults and
 * call counts, independent of HTTP.
 * Keeping state apart from the server lets the programmatic API and `/_sandbox/` share one model.
 */
export class Account {
  readonly clock: Clock;
  readonly iam: IamStore;
  readonly s3: S3Store;
  readonly ses: SesStore;
  readonly secrets: SecretsStore;
  readonly securityHub: FindingsStore;
  readonly sns: SnsStore;
  readonly ssm: ParameterStore;
  readonly faults: Faults;
  readonly calls = new CallCounter();
  readonly region: string;
  readonly accountId: string;
  readonly reportGenerationMs: number;
  /**
   * The organisation this account manages: member accounts, OUs and STS sessions. Only the
   * management account (the sandbox's default one) has it; it is empty until a scenario seeds it.
   */
  readonly organization: Organization | undefined;
  /** Generates request ids (not seeded: they never affect behaviour). */
  readonly requestIds: IdGenerator;

  /** Creates an empty account. */
  constructor(settings: AccountSettings) {
    this.region = settings.region;
    this.accountId = settings.accountId ?? SANDBOX_ACCOUNT_ID;
    this.clock = settings.clock ?? new Clock(settings.now ?? new Date());
    const root = settings.random ?? new Random(settings.randomSeed ?? freshSeed());
    const ids = new IdGenerator(root.fork());
    this.faults = new Faults(root.fork(), settings.faults ?? {});
    this.requestIds = new IdGenerator(new Random(freshSeed()));
    this.reportGenerationMs = settings.reportGenerationMs ?? 20;
    if (!Number.isFinite(this.reportGenerationMs) || this.reportGenerationMs < 0) {
      throw new RangeError("reportGenerationMs must be a number >= 0");
    }
    this.iam = new IamStore(this.accountId, ids, this.clock.nowMs());
    this.s3 = new S3Store(this.clock, this.region);
    this.ses = new SesStore(this.clock, ids, this.region);
    const scope = { clock: this.clock, ids, region: this.region, accountId: this.accountId };
    this.secrets = new SecretsStore(scope, (id) => this.s3.kmsKeyState(id));
    this.securityHub = new FindingsStore(scope);
    this.sns = new SnsStore(scope);
    this.ssm = new ParameterStore(scope);
    const orgRandom = root.fork();
    this.organization =
      settings.accountId === undefined
        ? new Organization(this, orgRandom, (accountId, random) => {
            const member = new Account({
              region: this.region,
              accountId,
              clock: this.clock,
              random,
              reportGenerationMs: this.reportGenerationMs,
            });
            return member;
          })
        : undefined;
  }

  /** Validates a scenario (throwing ScenarioError with every problem) and adds it to the account. */
  seed(input: Scenario | unknown): void {
    const scenario = parseScenario(input, this.iam);
    const organization =
      scenario.organization === undefined
        ? undefined
        : this.organization === undefined
          ? (() => {
              throw new ScenarioError(["$.organization: only the management account seeds one"]);
            })()
          : this.organization.parse(scenario.organization);
    if (scenario.now !== undefined) this.clock.set(scenario.now);
    const now = this.clock.nowMs();
    for (const b of scenario.buckets ?? []) this.s3.createBucket(b);
    for (const e of scenario.verifiedEmails ?? []) this.ses.verify(e);
    for (const k of scenario.kmsKeys ?? []) this.s3.setKmsKey(k.id, k.state ?? "Enabled");
    if (scenario.ses?.sendingEnabled !== undefined)
      this.ses.setSendingEnabled(scenario.ses.sendingEnabled);
    if (scenario.ses?.max24HourSend !== undefined)
      this.ses.setMax24HourSend(scenario.ses.max24HourSend);
    for (const u of scenario.users ?? []) {
      const user = this.iam.createUser({
        name: u.name,
        path: u.path ?? "/",
        createDate: userCreateDate(u, now),
        tags: Object.entries(u.tags ?? {}).map(([key, value]) => ({ key, value })),
      });
      for (const k of u.keys ?? []) {
        const used = k.lastUsedDaysAgo;
        this.iam.createAccessKey(user, {
          createDate: now - k.ageDays * DAY_MS,
          ...(k.id !== undefined ? { accessKeyId: k.id } : {}),
          ...(k.status !== undefined ? { status: k.status } : {}),
          ...(used !== undefined && used !== null
            ? {
                lastUsed: {
                  date: now - used * DAY_MS,
                  region: k.lastUsedRegion ?? this.region,
                  service: k.lastUsedService ?? "iam",
                },
              }
            : {}),
        });
      }
    }
    if (organization !== undefined) this.organization?.seed(organization);
  }

  /** Empties the account and clears calls and faults; the clock keeps its time. */
  reset(): void {
    this.iam.clear(this.clock.nowMs());
    this.s3.clear();
    this.ses.clear();
    this.secrets.clear();
    this.securityHub.clear();
    this.sns.clear();
    this.ssm.clear();
    this.calls.reset();
    this.faults.set({});
    this.faults.clearCounts();
    this.organization?.clear();
  }

  /**
   * Records a use of a live Active key now, as a request signed with it would; false (nothing
   * recorded) for an Inactive, deleted or unknown key, which AWS would refuse.
   */
  useKey(accessKeyId: string, service = "iam"): boolean {
    const key = this.iam.findKey(accessKeyId);
    if (key === undefined || key.status !== "Active") return false;
    key.lastUsed = { date: this.clock.nowMs(), region: this.region, service };
    return true;
  }

  /** Every IAM user with tags and keys, in name order. */
  users(): SandboxUser[] {
    const out: SandboxUser[] = [];
    for (const u of this.iam.users.values()) {
      out.push({
        name: u.name,
        path: u.path,
        arn: u.arn,
        userId: u.userId,
        createDate: new Date(u.createDate),
        tags: [...u.tags.values()].map((t) => ({ key: t.key, value: t.value })),
        keys: u.keys.map((k) => ({
          accessKeyId: k.accessKeyId,
          status: k.status,
          createDate: new Date(k.createDate),
          ...(k.lastUsed
            ? {
                lastUsed: {
                  date: new Date(k.lastUsed.date),
                  region: k.lastUsed.region,
                  service: k.lastUsed.service,
                },
              }
            : {}),
        })),
      });
    }
    return out;
  }
}
