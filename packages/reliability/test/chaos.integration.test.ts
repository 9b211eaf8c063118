/**
 * The short chaos simulation CI runs (`pnpm test:chaos` runs the full one): fewer users and
 * days, more crashes, the same faults, failed sends, usage profiles, planted markers, keys made
 * by hand, consistency delay and checks.
 */
import { describe, expect, it } from "vitest";
import { runChaos } from "../src/chaos.js";
import { ORIGINAL, type Profile, STRICT } from "../src/population.js";

/** STRICT without early deactivation (see the known finding below). */
const STRICT_NOT_EARLY: Profile = {
  ...STRICT,
  env: { ...STRICT.env, EARLY_DEACTIVATION: "false" },
  earlyDeactivation: false,
};

describe("the chaos simulation, short", () => {
  it("keeps every promise with faults on 10% of calls, eventual consistency, aborted runs, failed sends, planted markers and keys made by hand, and converges once faults stop", async () => {
    const result = await runChaos({
      users: 80,
      days: 25,
      faultRate: 0.1,
      seed: 7,
      crashRate: 0.4,
      createFailureRate: 0.3,
      handKeyRate: 0.05,
      // One run at a time here, so that the run is the same for its seed (two runs at once
      // interleave as the machine lets them): the next test starts two together.
      concurrentRuns: false,
    });

    expect(result.violations).toEqual([]);
    expect(result.converged).toBe(true);
    // The run did what it claims: faults, crashes and every kind of key change happened.
    expect(result.crashes).toBeGreaterThan(3);
    expect(result.faults.total / result.totalCalls).toBeGreaterThan(0.05);
    expect(result.faults.throttled).toBeGreaterThan(0);
    expect(result.faults.resets).toBeGreaterThan(0);
    expect(result.keysCreated).toBeGreaterThan(0);
    expect(result.keysDeactivated).toBeGreaterThan(0);
    expect(result.keysDeleted).toBeGreaterThan(0);
    expect(result.secretLeaks).toBe(0);
    expect(Object.keys(result.states)).toHaveLength(21);
    expect(result.checks).toBe(2 * 26);
    // Issues 12 and 13's additions were exercised.
    expect(result.failedSends).toBeGreaterThan(0);
    expect(result.sesOutageDays).toBeGreaterThan(0);
    expect(result.plantedMarkers).toBeGreaterThan(0);
    expect(result.handMadeKeys).toBeGreaterThan(0);
    expect(result.createFailureDays).toBeGreaterThan(0);
    // A key made by hand the day after a failed rotation is rare in a short run (about one);
    // the full run counts them, and processes.integration.test.ts makes one on purpose.
    expect(Object.keys(result.usage).sort()).toEqual([
      "lingering",
      "never",
      "old-forever",
      "prompt",
      "switch-soon",
    ]);
    expect(result.concurrentDays).toBe(0);
  }, 120_000);

  it("keeps every promise with SECRET_STORE=secretsmanager: each secret in its user's secret, none lost or leaked", async () => {
    const result = await runChaos({
      users: 40,
      days: 25,
      faultRate: 0.1,
      seed: 17,
      secretStore: "secretsmanager",
    });

    expect(result.violations).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.keysCreated).toBeGreaterThan(0);
    // Delivered through Secrets Manager, not the bucket.
    expect(result.calls["secretsmanager:PutSecretValue"]).toBeGreaterThanOrEqual(
      result.keysCreated,
    );
    expect(result.calls["s3:PutObject"] ?? 0).toBe(0);
    expect(result.secretLeaks).toBe(0);
  }, 300_000);

  it("keeps every promise when two runs start together on half of the days: the run lease keeps them apart", async () => {
    const result = await runChaos({
      users: 60,
      days: 20,
      faultRate: 0.1,
      seed: 11,
      crashRate: 0.4,
      concurrentRuns: true,
      concurrentRate: 0.5,
    });

    expect(result.violations).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.concurrentDays).toBeGreaterThan(0);
    expect(result.keysCreated).toBeGreaterThan(0);
    expect(result.secretLeaks).toBe(0);
  }, 300_000);

  it("documents the one hazard it knows: a rerun inside IAM's propagation delay repeats the previous run's notices", async () => {
    // Reruns 0 ms after an aborted run, while its writes (the warned: marker among them) are not
    // yet visible: keyrotate cannot tell it already warned. See RELIABILITY.md, "Known limits".
    const result = await runChaos({
      users: 60,
      days: 12,
      faultRate: 0,
      seed: 3,
      crashRate: 1,
      rerunAfterMs: 0,
      consistencyDelayMs: 5_000,
      profiles: [ORIGINAL, STRICT_NOT_EARLY],
    });

    expect(result.crashes).toBeGreaterThan(0);
    expect(result.violationsByCheck["notice-twice"] ?? 0).toBeGreaterThan(0);
    // Only notices are repeated: no key is lost, deleted while Active or changed unseen.
    expect(Object.keys(result.violationsByCheck)).toEqual(["notice-twice"]);
    expect(result.converged).toBe(true);
  }, 120_000);

  // With EARLY_DEACTIVATION=true, an old key retired today (TWO_ACTIVE_KEYS=enforce names an
  // existing new key, used today) was deactivated early by a second run the same day: the new
  // key's use *on* D counted as "after D" (user stwo-active-3, day 3). The core now counts only
  // a use after D and before today.
  it("keeps invariant 6 with early deactivation: a second run the same day does nothing", async () => {
    const result = await runChaos({
      users: 40,
      days: 4,
      faultRate: 0,
      seed: 7,
      crashRate: 0,
      sendFailureRate: 0,
      sesOutages: 0,
      plantRate: 0,
      handKeyRate: 0,
      createFailureRate: 0,
    });

    expect(result.violations).toEqual([]);
  }, 120_000);
});
