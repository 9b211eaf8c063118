import type { AccountSizeResult } from "./account-suite.js";
import type { CoreResult } from "./core-suite.js";
import type { LambdaResult } from "./lambda-suite.js";
import type { OrgResult } from "./org-suite.js";

/** One target of issue 7 and whether the run met it (`null`: not measured by this run). */
export interface Target {
  readonly id: string;
  readonly description: string;
  readonly met: boolean | null;
  /** The figures the verdict rests on. */
  readonly figure: string;
}

/** The figures the targets are judged from. */
export interface Measured {
  readonly account?: ReadonlyArray<AccountSizeResult>;
  readonly core?: CoreResult;
  readonly lambda?: LambdaResult;
  readonly org?: ReadonlyArray<OrgResult>;
}

/** The size the call-ratio target is stated for. */
export const CALL_RATIO_USERS = 10_000;
export const CALL_RATIO_TARGET = 100;
/** Issue 16: a single account within 1.1× its throttle bound (issue 7 asked 1.2×). */
export const THROTTLE_BOUND_FACTOR = 1.1;
/** Issue 16: the org run within 1.2× the slowest account's own time at its concurrency. */
export const ORG_WALL_FACTOR = 1.2;
/** The memory target: the smallest Lambda worth running, 256 MB (MiB, as Lambda counts). */
export const MEMORY_TARGET_BYTES = 256 * 2 ** 20;
export const MEMORY_TARGET_USERS = 100_000;
/** Lambda's 15 minutes, less the handler's default safety margin of 10 %. */
export const LAMBDA_TIME_TARGET_MS = 15 * 60_000 * 0.9;
export const CORE_TARGET_USERS = 1_000_000;
export const CORE_TARGET_MS = 2_000;

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const x = (ratio: number): string => `${ratio.toFixed(0)}×`;
const n = (v: number): string => v.toLocaleString("en-US");

const notMeasured = (id: string, description: string, why: string): Target => ({
  id,
  description,
  met: null,
  figure: `not measured: ${why}`,
});

/**
 * Judges a run against the targets of issue 7. The call ratio is judged twice: keyrotate's reads
 * against the baseline (which only reads, as the original reads), and all of keyrotate's calls,
 * the rotations' writes included, against the same baseline.
 */
export const judgeTargets = (m: Measured): Target[] => {
  const targets: Target[] = [];
  const at = (users: number) => m.account?.find((r) => r.users === users);

  const ratioSize = at(CALL_RATIO_USERS);
  const readsId = "calls-10k-reads";
  const readsText = `At ${n(CALL_RATIO_USERS)} users, at least ${CALL_RATIO_TARGET}× fewer API calls than the baseline, reading the account (keyrotate's reads vs the baseline's reads)`;
  const allId = "calls-10k-all";
  const allText = `At ${n(CALL_RATIO_USERS)} users, at least ${CALL_RATIO_TARGET}× fewer API calls than the baseline, counting all of keyrotate's calls (the rotations' writes too) against the baseline's reads`;
  if (ratioSize === undefined) {
    targets.push(notMeasured(readsId, readsText, `no run at ${n(CALL_RATIO_USERS)} users`));
    targets.push(notMeasured(allId, allText, `no run at ${n(CALL_RATIO_USERS)} users`));
  } else {
    const base = `baseline ${n(ratioSize.baseline.totalCalls)}${ratioSize.baseline.extrapolated ? " (extrapolated)" : ""}`;
    targets.push({
      id: readsId,
      description: readsText,
      met: ratioSize.readRatio >= CALL_RATIO_TARGET,
      figure: `${x(ratioSize.readRatio)}: ${base} vs keyrotate ${n(ratioSize.keyrotate.readCalls)} reads`,
    });
    targets.push({
      id: allId,
      description: allText,
      met: ratioSize.callRatio >= CALL_RATIO_TARGET,
      figure: `${x(ratioSize.callRatio)}: ${base} vs keyrotate ${n(ratioSize.keyrotate.totalCalls)} calls`,
    });
  }

  for (const r of m.account ?? []) {
    const k = r.keyrotate;
    const factor = k.wallMs / k.throttleBoundMs;
    targets.push({
      id: `throttle-bound-${r.users}`,
      description: `At ${n(r.users)} users, wall time within ${THROTTLE_BOUND_FACTOR}× the throttle bound (answered IAM calls / IAM rate)`,
      met: factor <= THROTTLE_BOUND_FACTOR,
      figure: `${factor.toFixed(2)}×: ${s(k.wallMs)} vs bound ${s(k.throttleBoundMs)} (${n(k.iamAnswered)} IAM calls); ${s(k.reportMs)} of it to the triaged credential report`,
    });
  }

  const big = at(MEMORY_TARGET_USERS);
  const memId = "memory-100k";
  const memText = `At ${n(MEMORY_TARGET_USERS)} users, keyrotate's peak memory (its own process's max RSS) within ${mib(MEMORY_TARGET_BYTES)}`;
  const timeId = "lambda-time-100k";
  const timeText = `At ${n(MEMORY_TARGET_USERS)} users, the run well within Lambda's 15 minutes (under ${s(LAMBDA_TIME_TARGET_MS)}: 15 min less the handler's 10 % margin) under the sandbox's latency and throttle`;
  if (big === undefined) {
    targets.push(notMeasured(memId, memText, `no run at ${n(MEMORY_TARGET_USERS)} users`));
    targets.push(notMeasured(timeId, timeText, `no run at ${n(MEMORY_TARGET_USERS)} users`));
  } else {
    targets.push({
      id: memId,
      description: memText,
      met: big.keyrotate.maxRssBytes <= MEMORY_TARGET_BYTES,
      figure: `${mib(big.keyrotate.maxRssBytes)} peak (${mib(big.keyrotate.idleRssBytes)} before the run, after imports)`,
    });
    targets.push({
      id: timeId,
      description: timeText,
      met: big.keyrotate.wallMs <= LAMBDA_TIME_TARGET_MS,
      figure: `${s(big.keyrotate.wallMs)} (${((big.keyrotate.wallMs / (15 * 60_000)) * 100).toFixed(0)} % of 15 min)`,
    });
  }

  const coreId = "core-1m";
  const coreText = `${n(CORE_TARGET_USERS)} core decisions in under ${s(CORE_TARGET_MS)}`;
  if (m.core === undefined)
    targets.push(notMeasured(coreId, coreText, "the core suite did not run"));
  else if (m.core.users < CORE_TARGET_USERS)
    targets.push(notMeasured(coreId, coreText, `only ${n(m.core.users)} users decided`));
  else
    targets.push({
      id: coreId,
      description: coreText,
      met: m.core.ms < CORE_TARGET_MS,
      figure: `${n(m.core.ms)} ms for ${n(m.core.users)} users (${n(m.core.decisionsPerSecond)} decisions/s)`,
    });

  const bundleId = "bundle-1mb";
  const bundleText = "Lambda bundle at most 1 MiB";
  if (m.lambda === undefined)
    targets.push(notMeasured(bundleId, bundleText, "the Lambda suite did not run"));
  else
    targets.push({
      id: bundleId,
      description: bundleText,
      met: m.lambda.totalBytes <= m.lambda.bundleLimitBytes,
      figure: `${(m.lambda.totalBytes / 1024).toFixed(0)} KiB in all, ${(m.lambda.bundleBytes / 1024).toFixed(0)} KiB of it loaded at a cold start (zip ${(m.lambda.zipBytes / 1024).toFixed(0)} KiB)`,
    });
  const orgWallId = "org-wall";
  const orgWallText = `Organisation run within ${ORG_WALL_FACTOR}× the slowest account's own time at its concurrency (waves of accounts × the account run alone)`;
  const orgCallsId = "org-calls";
  const orgCallsText =
    "Organisation run: every account's answered API calls identical to the single-account run of its twin";
  if (m.org === undefined || m.org.length === 0) {
    targets.push(notMeasured(orgWallId, orgWallText, "the org suite did not run"));
    targets.push(notMeasured(orgCallsId, orgCallsText, "the org suite did not run"));
  }
  for (const o of m.org ?? []) {
    const factor = o.wallMs / o.idealMs;
    targets.push({
      id: `${orgWallId}-${o.concurrency}`,
      description: `${orgWallText}, ${o.concurrency} at a time`,
      met: factor <= ORG_WALL_FACTOR,
      figure: `${factor.toFixed(2)}×: ${s(o.wallMs)} for ${n(o.accounts)} accounts vs ${o.waves} waves × ${s(o.single.wallMs)} = ${s(o.idealMs)} (slowest account in the run ${s(o.accountMs.max)})`,
    });
    targets.push({
      id: `${orgCallsId}-${o.concurrency}`,
      description: `${orgCallsText}, ${o.concurrency} at a time`,
      met: o.sameCalls === o.accounts,
      figure: `${n(o.sameCalls)} of ${n(o.accounts)} accounts identical (${n(o.throttledAttempts)} throttled attempts retried in all)`,
    });
  }
  return targets;
};
