import { GetUserCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  type AttemptMiddleware,
  type AwsClients,
  createAwsClients,
  MUTATING_OPERATIONS,
  type RunOptions,
  type RunReport,
  runKeyrotate,
  secretFiles,
  secretsManagerFormat,
} from "@keyrotate/aws-adapter";
import { type CalendarDate, decodeSettings, type Settings } from "@keyrotate/core";
import { type Sandbox, type ScenarioUser, startSandbox } from "@keyrotate/sandbox";
import { checkSettingsOf, undelivered } from "@keyrotate/sandbox/verify";
import * as E from "fp-ts/lib/Either.js";

export const SENDER = "keyrotate@example.com";
export const BUCKET = "creds-bucket";

/** A sandbox with a verified sender and the credentials bucket, and clients pointed at it. */
export interface Harness {
  readonly sandbox: Sandbox;
  readonly settings: Settings;
  readonly clients: AwsClients;
  /** Clients with extra middleware (a crash switch, a fault) on every attempt. */
  readonly clientsWith: (middleware: AttemptMiddleware[], maxAttempts?: number) => AwsClients;
  readonly today: () => CalendarDate;
  /** One run, without the run lease unless `options.lease` asks for it. */
  readonly run: (options?: Partial<RunOptions>) => Promise<RunReport>;
  readonly close: () => Promise<void>;
}

export const startHarness = async (
  users: ScenarioUser[],
  env: Record<string, string> = {},
  now = "2026-01-01T09:00:00Z",
): Promise<Harness> => {
  const sandbox = await startSandbox({
    now,
    randomSeed: 7,
    reportGenerationMs: 5,
    seed: { verifiedEmails: [SENDER], buckets: [BUCKET], users },
  });
  const decoded = decodeSettings({
    SES_EMAIL: SENDER,
    SES_REGION: sandbox.region,
    S3_CSV_BUCKET: BUCKET,
    ...env,
  });
  if (E.isLeft(decoded)) {
    await sandbox.close();
    throw new Error(`the harness's settings are invalid: ${JSON.stringify(decoded.left)}`);
  }
  const settings = decoded.right;
  const { endpoint, region, credentials } = sandbox.clientConfig();
  const clientsWith = (middleware: AttemptMiddleware[], maxAttempts = 3) =>
    createAwsClients({ settings, endpoint, region, credentials, maxAttempts, middleware });
  const clients = clientsWith([]);
  const today = () => sandbox.clock.now().toISOString().slice(0, 10) as CalendarDate;
  return {
    sandbox,
    settings,
    clients,
    clientsWith,
    today,
    run: (options = {}) =>
      runKeyrotate({
        clients,
        settings,
        today: today(),
        polling: { initialDelayMs: 10, maxDelayMs: 50 },
        now: () => sandbox.clock.now(),
        // One process, one run at a time: these tests are about a run's calls, and their crash
        // switch would also fail the lease's release. The lease has tests of its own.
        lease: false,
        ...options,
      }),
    close: () => sandbox.close(),
  };
};

/** Signs one request with the user's newest Active key, as a user who works every day does. */
export const useNewestKey = async (h: Harness, userName: string): Promise<void> => {
  const user = h.sandbox.users().find((u) => u.name === userName);
  const key = [...(user?.keys ?? [])]
    .filter((k) => k.status === "Active")
    .sort((a, b) => (a.createDate < b.createDate ? 1 : -1))[0];
  const secret = key === undefined ? undefined : h.sandbox.secretOf(key.accessKeyId);
  if (key === undefined || secret === undefined) return;
  const { endpoint, region } = h.sandbox.clientConfig();
  const iam = new IAMClient({
    endpoint,
    region,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: secret },
  });
  await iam.send(new GetUserCommand({}));
  iam.destroy();
};

/** Keys of a user in the sandbox. */
export const keysOf = (h: Harness, userName: string) =>
  h.sandbox.users().find((u) => u.name === userName)?.keys ?? [];

/** Tags of a user in the sandbox, as a record. */
export const tagsOf = (h: Harness, userName: string): Record<string, string> =>
  Object.fromEntries(
    (h.sandbox.users().find((u) => u.name === userName)?.tags ?? []).map((t) => [t.key, t.value]),
  );

/** The check settings of a harness's settings, with either secret store. */
export const harnessCheckSettings = (h: Pick<Harness, "settings">) =>
  checkSettingsOf(h.settings, secretFiles, secretsManagerFormat);

/**
 * Checks that every key of a user other than `oldKeyIds` was delivered (`@keyrotate/sandbox/verify`'s
 * `undelivered`: its secret file holds the key's real secret, a Rotated notice names it, the
 * tracking tags name the key it replaces). Returns the problems found.
 */
export const undeliveredKeys = (h: Harness, userName: string, oldKeyIds: string[]): string[] => {
  const user = h.sandbox.users().find((u) => u.name === userName);
  if (user === undefined) return [];
  const account = {
    users: h.sandbox.users(),
    objects: h.sandbox.objects(),
    emails: h.sandbox.emails(),
    secrets: h.sandbox.secrets({ values: true }),
    secretOf: (id: string) => h.sandbox.secretOf(id),
  };
  return user.keys
    .filter((key) => !oldKeyIds.includes(key.accessKeyId))
    .flatMap((key) => {
      const why = undelivered(harnessCheckSettings(h), account, user, key);
      return why === undefined ? [] : [`${key.accessKeyId}: ${why}`];
    });
};

export { MUTATING_OPERATIONS };

/** How many calls changed the account or sent mail. */
export const mutatingCalls = (calls: Record<string, number>): number =>
  MUTATING_OPERATIONS.reduce((n, op) => n + (calls[op] ?? 0), 0);
