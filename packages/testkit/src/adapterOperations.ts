import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the adapter's sources are: every AWS call keyrotate makes is made there. */
export const adapterSourceDir = join(
  dirname(fileURLToPath(import.meta.url)),
  "../../aws-adapter/src",
);

/** The services the adapter's SDK clients talk to, by client package. */
const serviceOfClient: Readonly<Record<string, string>> = {
  "client-iam": "iam",
  "client-s3": "s3",
  "client-ses": "ses",
  "client-secrets-manager": "secretsmanager",
  "client-securityhub": "securityhub",
  "client-sns": "sns",
  "client-ssm": "ssm",
  "client-sts": "sts",
};

/**
 * The IAM action of an SDK operation, where they differ (the S3 API names its permissions
 * apart from its operations); every other operation is its own action.
 */
const actionOfOperation: Readonly<Record<string, string>> = {
  "s3:ListObjectsV2": "s3:ListBucket",
  "s3:ListObjects": "s3:ListBucket",
  "s3:HeadObject": "s3:GetObject",
  "s3:HeadBucket": "s3:ListBucket",
  "s3:DeleteObjects": "s3:DeleteObject",
};

/**
 * Operations that need no IAM permission, so no role grants them: `sts:GetCallerIdentity` ("No
 * permissions are required to perform this operation", STS API reference).
 */
const needsNoPermission: ReadonlySet<string> = new Set(["sts:GetCallerIdentity"]);

/** One AWS call site found in the adapter's code. */
export interface Operation {
  readonly action: string;
  readonly file: string;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")
        ? [join(dir, entry.name)]
        : [],
  );

const importPattern = /import\s*\{([^}]*)\}\s*from\s*["']@aws-sdk\/(client-[a-z0-9-]+)["']/g;

/**
 * The adapter's modules of an organisation run (`runOrganization`: Organizations and STS on the
 * management side). They never run in the single-account function this template deploys; the
 * member accounts' roles grant what `runKeyrotate` calls, as for one account.
 */
export const organizationOnly: ReadonlyArray<string> = ["organization.ts"];

/** The clients of an organisation run's management side: discovery and AssumeRole. */
const managementServiceOfClient: Readonly<Record<string, string>> = {
  "client-organizations": "organizations",
  "client-sts": "sts",
};

/** The calls made in `files`, whose SDK clients must all be among `services`. */
const operationsIn = (
  files: ReadonlyArray<string>,
  services: Readonly<Record<string, string>>,
): Operation[] => {
  const found: Operation[] = [];
  for (const file of files) {
    const code = readFileSync(file, "utf8");
    for (const [, names = "", client = ""] of code.matchAll(importPattern)) {
      const service = services[client];
      if (service === undefined)
        throw new Error(`${file}: an SDK client the role lacks: ${client}`);
      for (const raw of names.split(",")) {
        const name = raw.trim();
        if (name === "" || name.startsWith("type ")) continue;
        const local = name.split(/\s+as\s+/).pop() as string;
        const command = /^(\w+)Command$/.exec(name.split(/\s+as\s+/)[0] as string);
        const paginator = /^paginate(\w+)$/.exec(name.split(/\s+as\s+/)[0] as string);
        const operation = command?.[1] ?? paginator?.[1];
        if (operation === undefined) continue;
        const used = command
          ? new RegExp(`new\\s+${local}\\s*\\(`).test(code)
          : new RegExp(`\\b${local}\\s*\\(`).test(code);
        if (!used) continue;
        const call = `${service}:${operation}`;
        if (needsNoPermission.has(call)) continue;
        found.push({ action: actionOfOperation[call] ?? call, file });
      }
    }
  }
  return found;
};

/**
 * The IAM actions the adapter's code calls in an account, found by reading it: the value imports
 * of `@aws-sdk/client-*` that it uses as `new XxxCommand(` (operation `Xxx`) or `paginateXxx(`
 * (operation `Xxx`, page after page), mapped to `service:Action`.
 */
export const adapterOperations = (dir = adapterSourceDir): Operation[] =>
  operationsIn(
    sourceFiles(dir).filter((f) => !organizationOnly.includes(basename(f))),
    serviceOfClient,
  );

/**
 * The Organizations and STS actions of an organisation run's management side (discovery and
 * AssumeRole), found in {@link organizationOnly} the same way.
 */
export const organizationOperations = (dir = adapterSourceDir): Operation[] =>
  operationsIn(
    sourceFiles(dir).filter((f) => organizationOnly.includes(basename(f))),
    managementServiceOfClient,
  );

/** The distinct actions, sorted. */
export const adapterActions = (dir = adapterSourceDir): string[] =>
  [...new Set(adapterOperations(dir).map((o) => o.action))].sort();

/**
 * Operations the adapter calls only in the `list-users` scan mode. The deployed handler
 * (`src/bundle.ts`) never selects that mode, so its role is not granted them.
 */
export const listUsersModeOnly: ReadonlyArray<string> = ["iam:ListUsers"];

/**
 * Whether an action is called only with `SECRET_STORE=secretsmanager` (the store's calls, and
 * `iam:GetUser` for the user's ARN in its secret's policy): a role grants it only for that store.
 */
export const isSecretsManagerStoreOnly = (action: string): boolean =>
  action.startsWith("secretsmanager:") || action === "iam:GetUser";

/**
 * Actions the adapter calls only when a setting turns their channel on, by the template
 * parameter that does: the role is granted each only then (`SECURITY_HUB`, `SNS_TOPIC_ARN`,
 * `WEBHOOK_URL_PARAMETER`).
 */
export const settingGatedActions: Readonly<Record<string, ReadonlyArray<string>>> = {
  SecurityHub: ["securityhub:BatchImportFindings", "securityhub:GetFindings"],
  SnsTopicArn: ["sns:Publish"],
  WebhookUrlParameter: ["ssm:GetParameter"],
};

const gated = new Set(Object.values(settingGatedActions).flat());

/**
 * The actions the deployed function calls with every optional channel off: the adapter's, less
 * the list-users mode's and the {@link settingGatedActions} (the Secrets Manager store's are
 * in: see {@link isSecretsManagerStoreOnly}).
 */
export const deployedActions = (dir = adapterSourceDir): string[] =>
  adapterActions(dir).filter((a) => !listUsersModeOnly.includes(a) && !gated.has(a));
