import {
  type AccessKeyId,
  addDays,
  type CalendarDate,
  defaultPolicySettings,
  formatInstant,
  startOfDay,
} from "@keyrotate/core";
import type { Scenario, ScenarioKey, ScenarioUser } from "@keyrotate/sandbox";

/** How a demo user uses their keys each simulated day, after the day's run. */
export type Usage =
  /** Signs requests with the newest Active key (switches to a new key once it is delivered). */
  | "newest"
  /** Signs requests with every Active key (one app per key). */
  | "all"
  /** Never signs anything: the keys age unused. */
  | "none";

/** One user of the demo: how it is seeded, how it behaves, and what it shows. */
export interface DemoUser {
  readonly seed: ScenarioUser;
  readonly usage: Usage;
  /** What this user demonstrates, for the README and the start of the demo. */
  readonly shows: string;
}

/** The sender, bucket and tags the demo's account and settings share. */
export const DEMO_SENDER = "keyrotate@example.com";
export const DEMO_BUCKET = "keyrotate-demo-credentials";
const EMAIL_TAG = defaultPolicySettings.emailTagKey;
const DATE_TAG = defaultPolicySettings.lastCheckDateTagKey;
const OLD_KEY_TAG = defaultPolicySettings.lastCheckOldKeyTagKey;
const STATE_TAG = defaultPolicySettings.stateTagKey;
const EXEMPT_TAG = defaultPolicySettings.exemptTagKey;

/**
 * A fixed key id for a demo user whose tags name the key: `AKIA`, the name, padding, a digit
 * (`AKIARITA0000000001`). Other keys get the sandbox's generated ids.
 */
export const demoKeyId = (user: string, n: number): AccessKeyId => {
  const letters = user
    .toUpperCase()
    .replaceAll(/[^A-Z0-9]/g, "")
    .slice(0, 8);
  return `AKIA${letters.padEnd(15, "0")}${n}` as AccessKeyId;
};

/** Users whose seeded keys keep a fixed id, because a tag names one of them. */
const fixedIds = new Set(["rita", "sam", "uma", "vic", "walt"]);

const key = (
  user: string,
  n: number,
  ageDays: number,
  lastUsedDaysAgo: number | null,
  status: "Active" | "Inactive" = "Active",
): ScenarioKey => ({
  ...(fixedIds.has(user) ? { id: demoKeyId(user, n) } : {}),
  ageDays,
  lastUsedDaysAgo,
  status,
});

const email = (name: string) => ({ [EMAIL_TAG]: `${name}@example.com` });

/**
 * The environment of the demo's Lambda: the sandbox's sender and bucket, CIS 1.12's 45 days
 * for unused keys, and the original's timing for the rest (no minimum notice, no in-use delay:
 * the scenario's days are written for it). The second phase switches
 * `TWO_ACTIVE_KEYS` to `enforce` and `INACTIVE_BLOCKER` to `delete`, as an operator would after
 * a first period of warnings.
 */
export const demoEnv = (region: string, phase: 1 | 2): Record<string, string> => ({
  SES_EMAIL: DEMO_SENDER,
  SES_REGION: region,
  S3_CSV_BUCKET: DEMO_BUCKET,
  UNUSED_DAYS: "45",
  MIN_NOTICE_DAYS: "0",
  IN_USE_DELAY_DAYS: "0",
  LAMBDA_FUNCTION_NAME: "keyrotate-demo",
  AWS_REGION: region,
  ...(phase === 2 ? { TWO_ACTIVE_KEYS: "enforce", INACTIVE_BLOCKER: "delete" } : {}),
});

/**
 * The demo's 25 users, relative to the start date: together they cover every state of
 * POLICY.md. Day 1 is the start date; with the defaults (warning after 30 days, rotation
 * after 60, deactivation and deletion 10 days later each) the comments say when things happen.
 */
export const demoUsers = (start: CalendarDate): ReadonlyArray<DemoUser> => {
  const ago = (days: number) => addDays(start, -days);
  return [
    {
      seed: { name: "ava", tags: email("ava"), keys: [key("ava", 1, 10, 1)] },
      usage: "newest",
      shows: "a young key (10 days): first warning on day 22, rotation on day 52",
    },
    {
      seed: { name: "ben", tags: email("ben"), keys: [key("ben", 1, 35, 1)] },
      usage: "newest",
      shows: "a key in its warning period (35 days): weekly warnings, rotation on day 27",
    },
    {
      seed: { name: "mia", tags: email("mia"), keys: [key("mia", 1, 31, 1)] },
      usage: "newest",
      shows:
        "a key just past WARNING_DAYS (31 days): first warning on day 1, reminders every 7 days",
    },
    {
      seed: { name: "cara", tags: email("cara"), keys: [key("cara", 1, 75, 1)] },
      usage: "newest",
      shows:
        "an overdue key (75 days): rotated on day 1, old key deactivated on day 12, deleted on day 23",
    },
    {
      seed: { name: "dan", tags: email("dan"), keys: [key("dan", 1, 400, 1)] },
      usage: "newest",
      shows: "a key over a year old (fails CIS 1.14): rotated on day 1",
    },
    {
      seed: {
        name: "ops-deployer",
        path: "/service/",
        tags: email("platform"),
        keys: [key("ops-deployer", 1, 60, 1)],
      },
      usage: "newest",
      shows:
        "a rotation that fails: on day 2 the demo makes S3 refuse the secret, the new key is undone; day 3 retries and succeeds",
    },
    {
      seed: {
        name: "eve",
        tags: email("eve"),
        keys: [key("eve", 1, 70, 1), key("eve", 2, 2, 1)],
      },
      usage: "all",
      shows:
        "two Active keys: weekly action-required notices; in phase 2 (TWO_ACTIVE_KEYS=enforce) the older is retired without a new key",
    },
    {
      seed: {
        name: "gus",
        tags: email("gus"),
        keys: [key("gus", 1, 100, 90, "Inactive"), key("gus", 2, 50, 1)],
      },
      usage: "newest",
      shows:
        "Active plus Inactive key: warnings asking to delete the Inactive key, rotation blocked when overdue; in phase 2 (INACTIVE_BLOCKER=delete) the Inactive key is deleted and the Active one rotated",
    },
    {
      seed: { name: "hana", tags: email("hana"), keys: [key("hana", 1, 60, null)] },
      usage: "none",
      shows:
        "a key never used (60 days, UNUSED_DAYS=45): deactivated as unused on day 1, deleted on day 12",
    },
    {
      seed: { name: "ivan", tags: email("ivan"), keys: [key("ivan", 1, 20, 19)] },
      usage: "none",
      shows: "a key no longer used (last use 19 days ago): deactivated as unused on day 28",
    },
    {
      seed: { name: "nora", tags: { team: "data" }, keys: [key("nora", 1, 100, 1)] },
      usage: "newest",
      shows: "no email tag: not handled, a finding every run, nothing touched",
    },
    {
      seed: {
        name: "olga",
        // IAM tag values cannot hold <, > or commas, so a display name comes without brackets.
        tags: { [EMAIL_TAG]: "Olga olga@example.com" },
        keys: [key("olga", 1, 90, 1)],
      },
      usage: "newest",
      shows: "a display name in the email tag (`Olga olga@example.com`): bad-email, not handled",
    },
    {
      seed: {
        name: "pete",
        tags: { [EMAIL_TAG]: "pete@example.com ops@example.com" },
        keys: [key("pete", 1, 90, 1)],
      },
      usage: "newest",
      shows:
        "two addresses in the email tag (`pete@example.com ops@example.com`): bad-email, not handled",
    },
    {
      seed: {
        name: "quinn",
        tags: { ...email("quinn"), [EXEMPT_TAG]: "true" },
        keys: [key("quinn", 1, 200, 1)],
      },
      usage: "newest",
      shows: "exempt (`true`): never touched",
    },
    {
      seed: {
        name: "rosa",
        tags: { ...email("rosa"), [EXEMPT_TAG]: addDays(start, 19) },
        keys: [key("rosa", 1, 80, 1)],
      },
      usage: "newest",
      shows: `exempt until ${addDays(start, 19)} (day 20): rotated on day 21, the first day after`,
    },
    {
      seed: {
        name: "leo",
        tags: { ...email("leo"), [EXEMPT_TAG]: "maybe" },
        keys: [key("leo", 1, 70, 1)],
      },
      usage: "newest",
      shows: "an exemption tag that is neither true nor a date: bad-exempt-value, not handled",
    },
    {
      seed: {
        name: "rita",
        tags: { ...email("rita"), [DATE_TAG]: ago(5), [OLD_KEY_TAG]: demoKeyId("rita", 1) },
        keys: [key("rita", 1, 70, 6), key("rita", 2, 5, 1)],
      },
      usage: "newest",
      shows:
        "mid-rotation, Rotated phase (rotated 5 days ago): old key deactivated on day 7, deleted on day 18",
    },
    {
      seed: {
        name: "sam",
        tags: { ...email("sam"), [DATE_TAG]: ago(8), [OLD_KEY_TAG]: demoKeyId("sam", 1) },
        keys: [key("sam", 1, 80, 20, "Inactive"), key("sam", 2, 15, 1)],
      },
      usage: "newest",
      shows: "mid-rotation, Deactivated phase (deactivated 8 days ago): old key deleted on day 4",
    },
    {
      seed: {
        name: "tom",
        tags: { ...email("tom"), [DATE_TAG]: ago(3) },
        keys: [key("tom", 1, 40, 1)],
      },
      usage: "newest",
      shows:
        "broken tracking, only the date tag: the tag is removed when the user is next read (day 6, with a warning)",
    },
    {
      seed: {
        name: "uma",
        tags: { ...email("uma"), [DATE_TAG]: ago(4), [OLD_KEY_TAG]: demoKeyId("uma", 9) },
        keys: [key("uma", 1, 65, 1)],
      },
      usage: "newest",
      shows:
        "broken tracking, K names a key she does not hold: tags removed and the overdue key rotated on day 1",
    },
    {
      seed: {
        name: "vic",
        tags: {
          ...email("vic"),
          [DATE_TAG]: addDays(start, 30),
          [OLD_KEY_TAG]: demoKeyId("vic", 1),
        },
        keys: [key("vic", 1, 50, 1)],
      },
      usage: "newest",
      shows:
        "broken tracking, a date in the future: tags removed on day 3 (with a warning), no key touched; rotated on day 12 when overdue",
    },
    {
      seed: {
        name: "walt",
        tags: {
          ...email("walt"),
          // Written the second the undelivered key was made (seeded keys are made at 09:00).
          [STATE_TAG]: `rotating:${demoKeyId("walt", 1)}:${formatInstant(startOfDay(ago(1)) + 9 * 3600)}`,
        },
        keys: [key("walt", 1, 70, 1), key("walt", 2, 1, null)],
      },
      usage: "newest",
      shows:
        "a rotation that crashed yesterday (marker tag, undelivered new key): the undelivered key is discarded and the rotation redone on day 1",
    },
    {
      seed: { name: "xavier", tags: email("xavier"), createdDaysAgo: 300 },
      usage: "none",
      shows: "no access keys (a console user): nothing to do",
    },
    {
      seed: {
        name: "yara",
        tags: email("yara"),
        keys: [key("yara", 1, 30, 25, "Inactive")],
      },
      usage: "none",
      shows: "only an Inactive key: a finding, nothing touched",
    },
    {
      seed: { name: "zoe", tags: email("zoe"), keys: [key("zoe", 1, 0, null)] },
      usage: "newest",
      shows: "a key created today: nothing to do for a month",
    },
  ];
};

/** The sandbox scenario of the demo: the sender, the credentials bucket and the users. */
export const demoScenario = (start: CalendarDate): Scenario => ({
  now: `${start}T09:00:00Z`,
  verifiedEmails: [DEMO_SENDER],
  buckets: [DEMO_BUCKET],
  users: demoUsers(start).map((u) => u.seed),
});
