import { decodeSettings, type Settings } from "@keyrotate/core";
import type { Scenario, ScenarioUser } from "@keyrotate/sandbox";
import * as E from "fp-ts/lib/Either.js";

/** The verified SES sender of the benchmark account. */
export const SENDER = "keyrotate@example.com";
/** The credentials bucket of the benchmark account. */
export const BUCKET = "keyrotate-bench-credentials";
/** The sandbox's clock during the account suite. */
export const BENCH_NOW = "2026-11-23T09:00:00Z";

/** Whether user `i` needs action: `round(users × rate)` users, spread evenly over the account. */
export const isDue = (i: number, rate: number): boolean =>
  Math.floor((i + 1) * rate) > Math.floor(i * rate);

/** How many users of `users` need action at `rate`. */
export const dueCount = (users: number, rate: number): number => Math.floor(users * rate);

/**
 * One user of the benchmark account. Everyone has an email tag and one Active key used yesterday.
 * A user who needs action holds a key 61 to 90 days old (overdue: rotated); everyone else a key
 * 2 to 29 days old: past triage's new-key check and younger than the warning age, so nothing is
 * due for them and the credential report alone rules them out.
 */
export const benchUser = (i: number, rate: number): ScenarioUser => {
  const name = `user-${String(i).padStart(6, "0")}`;
  const ageDays = isDue(i, rate) ? 61 + (i % 30) : 2 + (i % 28);
  return {
    name,
    tags: { email: `${name}@example.com`, team: `team-${i % 50}` },
    keys: [{ ageDays, lastUsedDaysAgo: Math.min(ageDays, 1) }],
  };
};

/**
 * The benchmark account: `users` users of whom a share `rate` need action, the SES sender
 * verified and the credentials bucket created, so that keyrotate's run applies its plans.
 *
 * @example startSandbox({ now: BENCH_NOW, seed: benchScenario(10_000, 0.01) })
 */
export const benchScenario = (users: number, rate: number): Scenario => ({
  now: BENCH_NOW,
  verifiedEmails: [SENDER],
  buckets: [BUCKET],
  users: Array.from({ length: users }, (_, i) => benchUser(i, rate)),
});

/** The policy settings of the benchmark's runs: its sender and bucket, SES in `region`. */
export const benchSettings = (region: string): Settings => {
  const settings = decodeSettings({
    SES_EMAIL: SENDER,
    SES_REGION: region,
    S3_CSV_BUCKET: BUCKET,
    // Due users are rotated on first sight, as the benchmark's scenario expects (no minimum notice).
    MIN_NOTICE_DAYS: "0",
  });
  if (E.isLeft(settings)) throw new Error(JSON.stringify(settings.left));
  return settings.right;
};
