import { Account, type SandboxUser } from "./account.js";
import type { FaultCounts, FaultSettings } from "./faults.js";
import type { IssuedSecret, KeyEvent } from "./iam/store.js";
import { memberCredentials, type Organization } from "./organizations.js";
import type { StoredObject } from "./s3/objects.js";
import type { Scenario } from "./scenario.js";
import type { SandboxSecret } from "./secrets-manager.js";
import type { Finding } from "./security-hub.js";
import { ADMIN_CREDENTIALS, SandboxServer } from "./server.js";
import type { SentEmail } from "./ses.js";
import type { SnsMessage } from "./sns.js";
import type { ParameterType } from "./ssm.js";

/** Options for `startSandbox`. */
export interface SandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Starting sandbox time (default: the real time at start). */
  now?: string | Date;
  /** A scenario to seed at start. */
  seed?: Scenario;
  /** Seed for generated ids, secrets and fault dice, for reproducible runs. */
  randomSeed?: number;
  /** Fault settings in force from the start. */
  faults?: FaultSettings;
  /** Real milliseconds a credential report takes to generate (default 20). */
  reportGenerationMs?: number;
  /** Region reported in `env()` and `clientConfig()` (default us-east-1). */
  region?: string;
}

/** The sandbox clock, as exposed on a running Sandbox. */
export interface SandboxClock {
  now(): Date;
  set(at: string | Date): void;
  advanceDays(days: number): void;
  advanceMs(ms: number): void;
}

/**
 * What every account of the sandbox offers, the default one (on `Sandbox` itself) and each of an
 * organisation (`Sandbox.account(id)`): its calls, faults and scenario, and inspection of what was
 * done to it.
 */
export interface AccountControl {
  /** Request counts keyed `service:Operation`. */
  calls(): Record<string, number>;
  /** Sets every request count back to zero. */
  resetCalls(): void;
  /** Replaces the fault settings. */
  setFaults(faults: FaultSettings): void;
  /** The fault settings in force (per-operation counts show what is left). */
  faults(): FaultSettings;
  /**
   * Adds a scenario (users, buckets, SES identities) to the current state; throws a
   * ScenarioError listing every problem.
   */
  seed(scenario: Scenario): void;
  /** Every email sent through SES. */
  emails(): readonly SentEmail[];
  /**
   * Every Secrets Manager secret (those scheduled for deletion too) with its versions and
   * staging labels; the values only with `{ values: true }`.
   */
  secrets(options?: { values?: boolean }): readonly SandboxSecret[];
  /** Every Security Hub finding as imported, with the RecordState and Workflow it has now. */
  findings(): readonly Finding[];
  /** Every message published to an SNS topic. */
  snsMessages(): readonly SnsMessage[];
  /**
   * Creates or overwrites an SSM parameter (a SecureString unless told), for `GetParameter`:
   * how a test seeds the webhook URL that `WEBHOOK_URL_PARAMETER` names.
   */
  putParameter(name: string, value: string, type?: ParameterType): void;
  /** Every S3 object, or those of one bucket. */
  objects(bucket?: string): readonly StoredObject[];
  /** Every IAM user with tags and keys (no secrets). */
  users(): readonly SandboxUser[];
  /** The secret of a live access key, to sign requests as that key's user. */
  secretOf(accessKeyId: string): string | undefined;
  /** Every secret the account ever issued (seeded and created keys, deleted ones included). */
  issuedSecrets(): readonly IssuedSecret[];
  /** The key trail: every CreateAccessKey, UpdateAccessKey and DeleteAccessKey that succeeded. */
  keyEvents(): readonly KeyEvent[];
  /** How many faults of each kind were injected so far (cleared by `reset`). */
  faultCounts(): FaultCounts;
}

/** A running sandbox: its address, a control surface and inspection of what was done to it. */
export interface Sandbox extends AccountControl {
  url: string;
  port: number;
  region: string;
  /** env vars that point an SDK/CLI at the sandbox: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION */
  env(): Record<string, string>;
  /** ready-made SDK client config: { endpoint, region, credentials, forcePathStyle: true } */
  clientConfig(): ClientConfig;
  /** Stops the server and closes open connections. */
  close(): Promise<void>;
  clock: SandboxClock;
  /** Empty account; calls and faults cleared. The clock keeps its time. */
  reset(): void;
  /**
   * Records a use of a live Active key at the sandbox's now, as a request signed with it would,
   * without a request: a simulation of many users at work stays cheap. False for a key AWS
   * would refuse (Inactive, deleted, unknown).
   */
  useKey(accessKeyId: string, service?: string): boolean;
  /**
   * The organisation's accounts, management first (empty until a scenario seeds an
   * `organization`). Each has its own IAM, S3 and SES, selected by the credentials that sign.
   */
  accounts(): readonly SandboxAccountInfo[];
  /** One account of the organisation (or the default account, by its id); throws for another id. */
  account(id: string): SandboxAccount;
}

/** SDK client config for the sandbox: its endpoint and region, signed with `credentials`. */
export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
}

/** An account of the sandbox's organisation, as `accounts()` lists it. */
export interface SandboxAccountInfo {
  id: string;
  name: string;
  status: "ACTIVE" | "SUSPENDED";
  /** The id of its root or OU. */
  parentId: string;
  /** The name of the role keyrotate may assume there, if it has one. */
  roleName: string | undefined;
}

/** The control and inspection surface of one account of the organisation. */
export interface SandboxAccount extends AccountControl {
  readonly id: string;
  /** The account administrator's credentials. */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** SDK client config signed as the account's administrator. */
  clientConfig(): ClientConfig;
  /** Suspends or reactivates the account (a suspended account refuses AssumeRole). */
  setStatus(status: "ACTIVE" | "SUSPENDED"): void;
}

/** The control surface of one account's state. */
const controlOf = (state: Account): AccountControl => ({
  calls: () => state.calls.snapshot(),
  resetCalls: () => state.calls.reset(),
  setFaults: (faults) => state.faults.set(faults),
  faults: () => state.faults.get(),
  seed: (scenario) => state.seed(scenario),
  emails: () => state.ses.emails(),
  secrets: (options) => state.secrets.secrets(options),
  findings: () => state.securityHub.findings(),
  snsMessages: () => state.sns.messages(),
  putParameter: (name, value, type) => state.ssm.put(name, value, type),
  objects: (bucket) => state.s3.objects(bucket),
  users: () => state.users(),
  secretOf: (accessKeyId) => state.iam.findKey(accessKeyId)?.secretAccessKey,
  issuedSecrets: () => state.iam.issuedSecrets(),
  keyEvents: () => state.iam.keyEvents(),
  faultCounts: () => state.faults.counts(),
});

/**
 * Starts a fake AWS account (IAM, S3, SES, Secrets Manager, Security Hub, SNS) on one local HTTP endpoint that real SDK clients talk to.
 * Tests and demos get a disposable, controllable AWS without network or cloud credentials.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`port must be 0-65535, got ${port}`);
  const host = options.host ?? "127.0.0.1";
  const region = options.region ?? "us-east-1";
  const account = new Account({
    region,
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.randomSeed !== undefined ? { randomSeed: options.randomSeed } : {}),
    ...(options.faults !== undefined ? { faults: options.faults } : {}),
    ...(options.reportGenerationMs !== undefined
      ? { reportGenerationMs: options.reportGenerationMs }
      : {}),
  });
  if (options.seed !== undefined) account.seed(options.seed);
  const server = new SandboxServer(account);
  const boundPort = await server.listen(port, host);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${boundPort}`;
  let closed: Promise<void> | undefined;
  const configFor = (credentials: ClientConfig["credentials"]): ClientConfig => ({
    endpoint: url,
    region,
    credentials: { ...credentials },
    forcePathStyle: true,
  });
  return {
    ...controlOf(account),
    url,
    port: boundPort,
    region,
    env: () => ({
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: ADMIN_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ADMIN_CREDENTIALS.secretAccessKey,
      AWS_REGION: region,
    }),
    clientConfig: () => configFor(ADMIN_CREDENTIALS),
    close: () => {
      closed ??= server.close();
      return closed;
    },
    clock: {
      now: () => account.clock.now(),
      set: (at) => account.clock.set(at),
      advanceDays: (days) => account.clock.advanceDays(days),
      advanceMs: (ms) => account.clock.advanceMs(ms),
    },
    reset: () => account.reset(),
    useKey: (accessKeyId, service) => account.useKey(accessKeyId, service),
    accounts: () =>
      (account.organization?.accounts() ?? []).map((a) => ({
        id: a.id,
        name: a.name,
        status: a.status,
        parentId: a.parentId,
        roleName: a.role?.name,
      })),
    account: (id) => {
      const org = account.organization as Organization;
      const member = org.account(id);
      const state = member?.state ?? (id === account.accountId ? account : undefined);
      if (state === undefined)
        throw new RangeError(`no account ${JSON.stringify(id)} in the sandbox's organization`);
      const credentials =
        state === account ? { ...ADMIN_CREDENTIALS } : { ...memberCredentials(id) };
      return {
        ...controlOf(state),
        id,
        credentials,
        clientConfig: () => configFor(credentials),
        setStatus: (status) => {
          if (member === undefined)
            throw new RangeError(`account ${id} is not in the sandbox's organization`);
          member.status = status;
        },
      };
    },
  };
}
