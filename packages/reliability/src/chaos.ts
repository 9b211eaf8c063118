/**
 * The chaos simulation: keyrotate runs once a day against the sandbox for many simulated days,
 * with faults on a share of calls, IAM's eventual consistency, and runs aborted at random calls
 * and then rerun. After every day the sandbox's state is checked (`@keyrotate/sandbox/verify`);
 * after the last, faults stop and one more day must bring full convergence. The parts:
 * `chaos/options.ts` (what to simulate), `chaos/sdkDoubles.ts` (clients without backoff, an SES
 * that refuses), `chaos/account.ts` (one profile's account and its users), `chaos/day.ts` (one
 * day's runs and checks), `chaos/results.ts` (the figures).
 */

import { Account } from "./chaos/account.js";
import { simulateDay } from "./chaos/day.js";
import { type ChaosOptions, fullOptions } from "./chaos/options.js";
import { type ChaosResult, summarise } from "./chaos/results.js";
import { ORIGINAL, STRICT } from "./population.js";

export type { ChaosOptions, DayProgress } from "./chaos/options.js";
export type { ChaosResult } from "./chaos/results.js";

/**
 * Runs the chaos simulation and returns its figures. Deterministic in its choices (users, ages,
 * crash points, fault dice) for a given seed; the interleaving of concurrent calls is not.
 */
export const runChaos = async (options: ChaosOptions): Promise<ChaosResult> => {
  const started = Date.now();
  const full = fullOptions(options);
  const profiles = options.profiles ?? [ORIGINAL, STRICT];
  const accounts: Account[] = [];
  try {
    for (const [i, profile] of profiles.entries()) {
      const share =
        Math.floor(full.users / profiles.length) + (i < full.users % profiles.length ? 1 : 0);
      accounts.push(await Account.start(profile, share, full.seed * 31 + i, full));
    }
    // The profiles' accounts are independent: each lives its days in turn, in parallel.
    await Promise.all(
      accounts.map(async (account) => {
        for (let day = 0; day <= full.days; day++) {
          const final = day === full.days;
          const seen = account.violations.length;
          const { calls, crashed } = await simulateDay(account, day, final);
          options.onDay?.({
            profile: account.profile.id,
            day,
            days: full.days,
            calls,
            crashed,
            violations: account.violations.length,
            found: account.violations.slice(seen),
          });
        }
      }),
    );
    return summarise(accounts, full, started);
  } finally {
    await Promise.all(accounts.map((a) => a.close()));
  }
};
