import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { EmailAddress, emailProblem } from "./EmailAddress.js";

/**
 * The settings the state machine reads. A subset of {@link Settings}, so that `decide` can be
 * called without the delivery settings (bucket, sender) that only the adapter needs.
 */
export interface PolicySettings {
  /** An Active key older than this gets warning notices (`WARNING_DAYS`). */
  readonly warningDays: number;
  /** An Active key older than this is rotated (`OVERDUE_DAYS`). */
  readonly overdueDays: number;
  /** Days after rotation before the old key is deactivated (`DEACTIVATE_DAYS`). */
  readonly deactivateDays: number;
  /** Days after deactivation before the old key is deleted (`DELETION_DAYS`). */
  readonly deletionDays: number;
  /** Warning reminders every N days; 1 is the original's daily mail (`REMINDER_INTERVAL_DAYS`). */
  readonly reminderIntervalDays: number;
  /** User tag holding the user's email address (`IAM_EMAIL_TAG_KEY`). */
  readonly emailTagKey: string;
  /** Tracking tag: date of the last transition (`LAST_CHECK_DATE_TAG_KEY`). */
  readonly lastCheckDateTagKey: string;
  /** Tracking tag: id of the key being retired (`LAST_CHECK_OLD_KEY_TAG_KEY`). */
  readonly lastCheckOldKeyTagKey: string;
  /** keyrotate's own tag: a step in flight, or the day of the last warning (`STATE_TAG_KEY`). */
  readonly stateTagKey: string;
  /** User tag that exempts a user: `true`, or a date to be exempt until (`EXEMPT_TAG_KEY`). */
  readonly exemptTagKey: string;
  /** What to do about two Active keys (`TWO_ACTIVE_KEYS`). */
  readonly twoActiveKeys: "warn" | "enforce";
  /** What to do about an Inactive key that blocks a rotation (`INACTIVE_BLOCKER`). */
  readonly inactiveBlocker: "warn" | "delete";
  /** Deactivate Active keys unused for more than this many days; off when undefined (`UNUSED_DAYS`). */
  readonly unusedDays: number | undefined;
  /**
   * A key is rotated (or retired) only after a notice naming it was sent at least this many days
   * before; 0 is the original's rotation on first sight (`MIN_NOTICE_DAYS`).
   */
  readonly minNoticeDays: number;
  /** An old key still in use is deactivated up to this many days late (`IN_USE_DELAY_DAYS`). */
  readonly inUseDelayDays: number;
  /**
   * Deactivate the old key before its date once the new key is in use and the old one has gone
   * quiet (`EARLY_DEACTIVATION`).
   */
  readonly earlyDeactivation: boolean;
}

/** Every setting of a keyrotate run: the policy and how to deliver its results. */
export interface Settings extends PolicySettings {
  /** Verified SES sender of every notice (`SES_EMAIL`). */
  readonly sesEmail: EmailAddress;
  /** Region of the SES sender (`SES_REGION`). */
  readonly sesRegion: string;
  /** Bucket that receives new credentials (`S3_CSV_BUCKET`). */
  readonly s3CsvBucket: string;
  /** Name used in notices and logs (`LAMBDA_FUNCTION_NAME`). */
  readonly lambdaFunctionName: string | undefined;
  /** Plan and report, change nothing, send nothing (`DRY_RUN`). */
  readonly dryRun: boolean;
  /** Address for a run summary; off when undefined (`ADMIN_EMAIL`). */
  readonly adminEmail: EmailAddress | undefined;
  /** SSE-KMS key for stored credentials; SSE-S3 when undefined (`KMS_KEY_ID`). */
  readonly kmsKeyId: string | undefined;
  /** Where a new key's secret goes: an S3 object or the user's Secrets Manager secret (`SECRET_STORE`). */
  readonly secretStore: "s3" | "secretsmanager";
  /** How many users are changed at once (`CONCURRENCY`). */
  readonly concurrency: number;
  /** Import an ASFF finding per key failing a control into Security Hub (`SECURITY_HUB`). */
  readonly securityHub: boolean;
  /** SNS topic for a message per run and per user action; off when undefined (`SNS_TOPIC_ARN`). */
  readonly snsTopicArn: string | undefined;
  /** Chat webhook for the run summary; a secret, never shown (`WEBHOOK_URL`). */
  readonly webhookUrl: string | undefined;
  /** SSM parameter (SecureString) holding the webhook URL (`WEBHOOK_URL_PARAMETER`). */
  readonly webhookUrlParameter: string | undefined;
}

/** One problem with one setting: its environment name, the value it got, and what is wrong. */
export interface SettingProblem {
  readonly setting: string;
  readonly value: string | undefined;
  readonly message: string;
}

/**
 * The settings whose values are secrets (a chat webhook URL grants posting to the channel): the
 * one place that says so. Their values are never shown: not in a problem, a report or a log.
 */
export const secretSettingNames: ReadonlySet<string> = new Set(["WEBHOOK_URL"]);

/** What is shown instead of a secret setting's value. */
export const HIDDEN_VALUE = "(hidden)";

/**
 * Renders a problem as one line: `WARNING_DAYS="abc": expected a whole number of days ≥ 0`; a
 * secret setting's value shows as `(hidden)`.
 */
export const formatSettingProblem = (p: SettingProblem): string =>
  `${p.setting}${
    p.value === undefined
      ? " (not set)"
      : secretSettingNames.has(p.setting)
        ? `=${HIDDEN_VALUE}`
        : `=${JSON.stringify(p.value)}`
  }: ${p.message}`;

type Parser<A> = t.Type<A, string, string>;

const parser = <A>(
  name: string,
  parse: (s: string) => E.Either<string, A>,
  show: (a: A) => string,
): Parser<A> =>
  new t.Type<A, string, string>(
    name,
    (u): u is A => E.isRight(parse(String(u))),
    (s, c) => {
      const r = parse(s);
      return E.isRight(r) ? t.success(r.right) : t.failure(s, c, r.left);
    },
    show,
  );

const wholeNumber = (min: number, max = 36_500): Parser<number> =>
  parser(
    `integer ${min}..${max}`,
    (s) =>
      /^\d+$/.test(s.trim()) && Number(s) >= min && Number(s) <= max
        ? E.right(Number(s))
        : E.left(`expected a whole number from ${min} to ${max}`),
    String,
  );

const oneOf = <V extends string>(...values: V[]): Parser<V> =>
  parser(
    values.join("|"),
    (s) =>
      (values as string[]).includes(s.trim().toLowerCase())
        ? E.right(s.trim().toLowerCase() as V)
        : E.left(`expected one of ${values.join(", ")}`),
    (v) => v,
  );

const boolean: Parser<boolean> = parser(
  "boolean",
  (s) => {
    const v = s.trim().toLowerCase();
    if (["true", "1", "yes"].includes(v)) return E.right(true);
    if (["false", "0", "no"].includes(v)) return E.right(false);
    return E.left("expected true or false");
  },
  String,
);

// IAM tag keys: 1 to 128 characters of letters, digits, white space and _ . : / = + - @.
const tagKey: Parser<string> = parser(
  "tag key",
  (s) =>
    /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(s) && !s.toLowerCase().startsWith("aws:")
      ? E.right(s)
      : E.left("expected an IAM tag key: 1 to 128 letters, digits, spaces or _.:/=+-@, not aws:"),
  (s) => s,
);

const email: Parser<EmailAddress> = parser(
  "email",
  (s) => {
    const problem = emailProblem(s);
    return problem === undefined
      ? E.right(s as EmailAddress)
      : E.left(`not one email address: ${problem}`);
  },
  (s) => s,
);

const region: Parser<string> = parser(
  "region",
  (s) =>
    /^[a-z]{2}(-[a-z]+)+-\d+$/.test(s)
      ? E.right(s)
      : E.left("expected an AWS region such as eu-west-1"),
  (s) => s,
);

const bucket: Parser<string> = parser(
  "bucket",
  (s) =>
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s) && !/\.\.|^\d+\.\d+\.\d+\.\d+$/.test(s)
      ? E.right(s)
      : E.left("expected an S3 bucket name: 3 to 63 lower-case letters, digits, dots or hyphens"),
  (s) => s,
);

const kmsKey: Parser<string> = parser(
  "kms key",
  (s) =>
    /^(arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/+=,.@-]+|alias\/[\w/+=,.@-]+|[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/.test(
      s,
    )
      ? E.right(s)
      : E.left("expected a KMS key id, key ARN, alias name or alias ARN"),
  (s) => s,
);

const onOff: Parser<boolean> = parser(
  "on|off",
  (s) => {
    const v = s.trim().toLowerCase();
    if (["on", "true"].includes(v)) return E.right(true);
    if (["off", "false"].includes(v)) return E.right(false);
    return E.left("expected on or off");
  },
  (b) => (b ? "on" : "off"),
);

const snsTopicArn: Parser<string> = parser(
  "sns topic arn",
  (s) =>
    /^arn:aws[\w-]*:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(s)
      ? E.right(s)
      : E.left(
          "expected an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:keyrotate-events",
        ),
  (s) => s,
);

// Its messages never repeat the value: a webhook URL is a secret.
const webhookUrl: Parser<string> = parser(
  "webhook url",
  (s) => {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      return E.left("expected an https:// URL (the value is not shown: it is a secret)");
    }
    const local = ["127.0.0.1", "localhost"].includes(url.hostname);
    if (url.protocol === "https:" || (url.protocol === "http:" && local)) return E.right(s);
    return E.left(
      "expected an https:// URL; http:// only for 127.0.0.1 or localhost (the value is not shown: it is a secret)",
    );
  },
  (s) => s,
);

const ssmParameter: Parser<string> = parser(
  "ssm parameter",
  (s) =>
    (/^[A-Za-z0-9_.\-/]{1,2048}$/.test(s) && !/^\/?(aws|ssm)/i.test(s)) ||
    /^arn:aws[\w-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\-/]{1,2048}$/.test(s)
      ? E.right(s)
      : E.left(
          "expected an SSM parameter name such as /keyrotate/webhook-url (letters, digits and _.-/, not starting with aws or ssm) or its ARN",
        ),
  (s) => s,
);

const text: Parser<string> = parser(
  "text",
  (s) =>
    s.length <= 256 && !/[\r\n]/.test(s)
      ? E.right(s)
      : E.left("expected one line of at most 256 characters"),
  (s) => s,
);

/** A setting that falls back to a default when unset or empty. */
const withDefault = <A>(codec: Parser<A>, fallback: A) => ({
  codec,
  fallback,
  required: false as const,
});
/** A setting that is off (undefined) when unset, empty or `off`. */
const optional = <A>(codec: Parser<A>) => ({
  codec,
  fallback: undefined,
  required: false as const,
  off: true as const,
});
/** A setting that must be given. */
const required = <A>(codec: Parser<A>) => ({ codec, fallback: undefined, required: true as const });

/**
 * The policy settings by environment name: their codecs and defaults, the only place a default
 * is written. The names and meanings of the original function are kept, so an existing
 * deployment's environment works unchanged.
 */
export const policySettingSpecs = {
  WARNING_DAYS: ["warningDays", withDefault(wholeNumber(0), 30)],
  OVERDUE_DAYS: ["overdueDays", withDefault(wholeNumber(0), 60)],
  DEACTIVATE_DAYS: ["deactivateDays", withDefault(wholeNumber(0), 10)],
  DELETION_DAYS: ["deletionDays", withDefault(wholeNumber(0), 10)],
  REMINDER_INTERVAL_DAYS: ["reminderIntervalDays", withDefault(wholeNumber(1), 7)],
  IAM_EMAIL_TAG_KEY: ["emailTagKey", withDefault(tagKey, "email")],
  LAST_CHECK_DATE_TAG_KEY: ["lastCheckDateTagKey", withDefault(tagKey, "last-check-date")],
  LAST_CHECK_OLD_KEY_TAG_KEY: ["lastCheckOldKeyTagKey", withDefault(tagKey, "last-check-old-key")],
  STATE_TAG_KEY: ["stateTagKey", withDefault(tagKey, "key-rotation-state")],
  EXEMPT_TAG_KEY: ["exemptTagKey", withDefault(tagKey, "key-rotation-exempt")],
  TWO_ACTIVE_KEYS: ["twoActiveKeys", withDefault(oneOf("warn", "enforce"), "warn")],
  INACTIVE_BLOCKER: ["inactiveBlocker", withDefault(oneOf("warn", "delete"), "warn")],
  UNUSED_DAYS: ["unusedDays", optional(wholeNumber(1))],
  MIN_NOTICE_DAYS: ["minNoticeDays", withDefault(wholeNumber(0, 365), 7)],
  IN_USE_DELAY_DAYS: ["inUseDelayDays", withDefault(wholeNumber(0, 365), 7)],
  EARLY_DEACTIVATION: ["earlyDeactivation", withDefault(boolean, false)],
} as const satisfies Record<string, readonly [keyof PolicySettings, unknown]>;

/**
 * Every setting by environment name: the policy settings, then how results are delivered
 * (sender, bucket, names) and how fast.
 */
export const settingSpecs = {
  ...policySettingSpecs,
  SES_EMAIL: ["sesEmail", required(email)],
  SES_REGION: ["sesRegion", required(region)],
  S3_CSV_BUCKET: ["s3CsvBucket", required(bucket)],
  LAMBDA_FUNCTION_NAME: ["lambdaFunctionName", optional(text)],
  DRY_RUN: ["dryRun", withDefault(boolean, false)],
  ADMIN_EMAIL: ["adminEmail", optional(email)],
  KMS_KEY_ID: ["kmsKeyId", optional(kmsKey)],
  SECRET_STORE: ["secretStore", withDefault(oneOf("s3", "secretsmanager"), "s3")],
  SECURITY_HUB: ["securityHub", withDefault(onOff, false)],
  SNS_TOPIC_ARN: ["snsTopicArn", optional(snsTopicArn)],
  WEBHOOK_URL: ["webhookUrl", optional(webhookUrl)],
  WEBHOOK_URL_PARAMETER: ["webhookUrlParameter", optional(ssmParameter)],
  CONCURRENCY: ["concurrency", withDefault(wholeNumber(1, 64), 8)],
} as const satisfies Record<string, readonly [keyof Settings, unknown]>;

/** The environment names of the policy settings: those that shape what `decide` does. */
export type PolicySettingName = keyof typeof policySettingSpecs;

/** The environment names of the policy settings, in the order of {@link policySettingSpecs}. */
export const policySettingNames = Object.keys(
  policySettingSpecs,
) as ReadonlyArray<PolicySettingName>;

/** The environment names of every setting. */
export type SettingName = keyof typeof settingSpecs;

/** The environment-like record that settings are read from (the process environment fits). */
export type SettingsInput = Readonly<Record<string, string | undefined>>;

/**
 * Decodes settings from an environment-like record, with the original function's names and
 * defaults. Unset or empty values take their default; `off` turns an optional setting off.
 * Invalid input yields every problem at once, each naming the setting and the value it got.
 *
 * @example decodeSettings({ SES_EMAIL: "keys@example.com", SES_REGION: "eu-west-1", S3_CSV_BUCKET: "creds" })
 */
export const decodeSettings = (
  input: SettingsInput,
): E.Either<ReadonlyArray<SettingProblem>, Settings> => {
  const problems: SettingProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, [field, spec]] of Object.entries(settingSpecs)) {
    const raw = input[name];
    const given = raw !== undefined && raw.trim() !== "";
    if (!given || ("off" in spec && raw.trim().toLowerCase() === "off")) {
      if (spec.required) problems.push({ setting: name, value: raw, message: "is required" });
      out[field] = spec.fallback;
      continue;
    }
    const decoded = (spec.codec as Parser<unknown>).decode(raw.trim());
    if (E.isLeft(decoded)) {
      problems.push({
        setting: name,
        value: secretSettingNames.has(name) ? HIDDEN_VALUE : raw,
        message: decoded.left[0]?.message ?? "is invalid",
      });
    } else {
      out[field] = decoded.right;
    }
  }
  const s = out as unknown as Settings;
  if (problems.length === 0) problems.push(...crossFieldProblems(s, input));
  return problems.length > 0 ? E.left(problems) : E.right(s);
};

const crossFieldProblems = (s: Settings, input: SettingsInput): SettingProblem[] => {
  const problems: SettingProblem[] = [];
  if (s.warningDays >= s.overdueDays) {
    problems.push({
      setting: "WARNING_DAYS",
      value: input.WARNING_DAYS ?? String(s.warningDays),
      message: `must be less than OVERDUE_DAYS (${s.overdueDays})`,
    });
  }
  if (s.webhookUrl !== undefined && s.webhookUrlParameter !== undefined) {
    problems.push({
      setting: "WEBHOOK_URL_PARAMETER",
      value: input.WEBHOOK_URL_PARAMETER ?? s.webhookUrlParameter,
      message: "must not be set together with WEBHOOK_URL: set one of them",
    });
  }
  const tagSettings = [
    "IAM_EMAIL_TAG_KEY",
    "LAST_CHECK_DATE_TAG_KEY",
    "LAST_CHECK_OLD_KEY_TAG_KEY",
    "STATE_TAG_KEY",
    "EXEMPT_TAG_KEY",
  ] as const;
  const seen = new Map<string, string>();
  for (const name of tagSettings) {
    const key = String(
      (s as unknown as Record<string, unknown>)[settingSpecs[name][0]],
    ).toLowerCase();
    const other = seen.get(key);
    if (other !== undefined) {
      problems.push({
        setting: name,
        value: input[name] ?? key,
        message: `must differ from ${other}`,
      });
    }
    seen.set(key, name);
  }
  return problems;
};

/** The policy settings with every default (from {@link policySettingSpecs}), for tests, examples and embedding. */
export const defaultPolicySettings: PolicySettings = Object.fromEntries(
  Object.values(policySettingSpecs).map(([field, spec]) => [field, spec.fallback]),
) as unknown as PolicySettings;

/**
 * The settings as a plain record safe to print in a report or log: every value under its
 * environment name, a secret one ({@link secretSettingNames}) as `(hidden)`.
 */
export const describeSettings = (s: Settings): Readonly<Record<SettingName, string>> => {
  const out: Record<string, string> = {};
  for (const [name, [field, spec]] of Object.entries(settingSpecs)) {
    const v = (s as unknown as Record<string, unknown>)[field];
    out[name] =
      v === undefined
        ? "off"
        : secretSettingNames.has(name)
          ? HIDDEN_VALUE
          : (spec.codec as Parser<unknown>).encode(v);
  }
  return out as Record<SettingName, string>;
};

export { EmailAddress };
