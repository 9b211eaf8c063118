/**
 * `pnpm test:chaos`: the full chaos simulation. Prints progress and a summary, writes the figures
 * to `packages/reliability/chaos-results.json`, and exits non-zero on any violation.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runChaos } from "./chaos.js";

const USAGE = `Usage: pnpm test:chaos [options]

Runs keyrotate once a simulated day against the sandbox with faults, eventual consistency,
aborted runs, failed sends, users who keep using old keys, make keys by hand or plant values in
keyrotate's state tag, and checks POLICY.md's promises (invariants 1-14) after every day.

Options:
  --users N              users in all, split between two settings profiles (default 1000)
  --days N               simulated days with faults; one more follows without (default 180)
  --fault-rate R         share of calls that fail: throttling, 5xx, resets (default 0.1)
  --seed N               seed of every random choice (default 1)
  --crash-rate R         share of days whose first run is aborted at a random call (default 0.25)
  --consistency-ms N     IAM eventual-consistency delay, ms (default 5000)
  --rerun-after-ms N     delay before an aborted run is rerun, sandbox ms (default 60000)
  --send-failure-rate R  share of SendEmail calls SES rejects (default 0.03)
  --ses-outages N        windows of 1-3 days where SES rejects every send (default days/60)
  --create-failure-rate R  share of days where CreateAccessKey fails 10 times (default 0.05)
  --plant-rate R         per user and day, chance of a planted state-tag value (default 0.004)
  --hand-key-rate R      per key-making user and day, chance of a key made by hand (default 0.01)
  --no-concurrent-runs   never start two runs together (by default, on some days two runs start
                         together on the same account, kept one after the other by the run lease)
  --concurrent-rate R    share of days with two runs (default 0.2)
  --secret-store S       where new secrets go: s3 or secretsmanager (default s3, or SECRET_STORE)
  --out FILE             where to write the figures (default packages/reliability/chaos-results.json)
  -h, --help             this help
`;

const number = (name: string, raw: string | undefined, fallback: number, max = Infinity) => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > max) {
    process.stderr.write(
      `--${name} must be a number from 0 to ${max}, got ${JSON.stringify(raw)}\n`,
    );
    process.exit(2);
  }
  return n;
};

const main = async () => {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      options: {
        users: { type: "string" },
        days: { type: "string" },
        "fault-rate": { type: "string" },
        seed: { type: "string" },
        "crash-rate": { type: "string" },
        "consistency-ms": { type: "string" },
        "rerun-after-ms": { type: "string" },
        "send-failure-rate": { type: "string" },
        "ses-outages": { type: "string" },
        "create-failure-rate": { type: "string" },
        "plant-rate": { type: "string" },
        "hand-key-rate": { type: "string" },
        "no-concurrent-runs": { type: "boolean" },
        "concurrent-rate": { type: "string" },
        "secret-store": { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const options = {
    users: Math.floor(number("users", str("users"), 1000, 100_000)),
    days: Math.floor(number("days", str("days"), 180, 3650)),
    faultRate: number("fault-rate", str("fault-rate"), 0.1, 1),
    seed: Math.floor(number("seed", str("seed"), 1)),
    crashRate: number("crash-rate", str("crash-rate"), 0.25, 1),
    consistencyDelayMs: number("consistency-ms", str("consistency-ms"), 5_000),
    rerunAfterMs: number("rerun-after-ms", str("rerun-after-ms"), 60_000),
    sendFailureRate: number("send-failure-rate", str("send-failure-rate"), 0.03, 1),
    createFailureRate: number("create-failure-rate", str("create-failure-rate"), 0.05, 1),
    plantRate: number("plant-rate", str("plant-rate"), 0.004, 1),
    handKeyRate: number("hand-key-rate", str("hand-key-rate"), 0.01, 1),
    concurrentRuns: v["no-concurrent-runs"] !== true,
    concurrentRate: number("concurrent-rate", str("concurrent-rate"), 0.2, 1),
  };
  const store = str("secret-store") ?? process.env.SECRET_STORE ?? "s3";
  if (store !== "s3" && store !== "secretsmanager") {
    process.stderr.write(
      `--secret-store must be s3 or secretsmanager, got ${JSON.stringify(store)}\n`,
    );
    process.exit(2);
  }
  const outages = str("ses-outages");
  const sesOutages =
    outages === undefined ? undefined : Math.floor(number("ses-outages", outages, 0, 3650));
  if (options.users < 2 || options.days < 1) {
    process.stderr.write("--users must be at least 2 and --days at least 1\n");
    process.exit(2);
  }
  const out =
    str("out") ?? join(dirname(fileURLToPath(import.meta.url)), "..", "chaos-results.json");
  process.stdout.write(
    `chaos: ${options.users} users, ${options.days} days, fault rate ${options.faultRate}, seed ${options.seed}, crash rate ${options.crashRate}, consistency ${options.consistencyDelayMs} ms, rerun after ${options.rerunAfterMs} ms, failed sends ${options.sendFailureRate}, create failures ${options.createFailureRate}, plants ${options.plantRate}, hand keys ${options.handKeyRate}, concurrent runs ${options.concurrentRuns ? options.concurrentRate : "off"}, secret store ${store}\n`,
  );
  const started = Date.now();
  const result = await runChaos({
    ...options,
    secretStore: store,
    ...(sesOutages === undefined ? {} : { sesOutages }),
    onDay: (p) => {
      for (const x of p.found.slice(0, 5))
        process.stdout.write(
          `  ! ${p.profile} day ${x.day} ${x.check} ${x.userName}: ${x.message}\n`,
        );
      if (p.day % 10 === 0 || p.day === p.days) {
        const s = Math.round((Date.now() - started) / 1000);
        process.stdout.write(
          `  [${s}s] profile ${p.profile} day ${p.day}/${p.days}: ${p.calls} calls${p.crashed ? ", crashed and rerun" : ""}, ${p.violations} violations so far\n`,
        );
      }
    },
  });
  const { violations, ...figures } = result;
  writeFileSync(
    out,
    `${JSON.stringify({ ...figures, violations: violations.slice(0, 200), command: `pnpm test:chaos ${process.argv.slice(2).join(" ")}`.trim(), finishedAt: new Date().toISOString() }, null, 2)}\n`,
  );
  process.stdout.write(
    [
      "",
      `users ${result.users} (${result.profiles.map((p) => `${p.id}: ${p.users}`).join(", ")}), days ${result.days} + 1 without faults`,
      `runs ${result.runs}, calls ${result.totalCalls}, faults injected ${result.faults.total} (throttled ${result.faults.throttled}, 5xx ${result.faults.errors}, resets ${result.faults.resets})`,
      `crashes ${result.crashes} (each followed by a rerun), idempotency reruns ${result.idempotencyReruns}, days with two runs at once ${result.concurrentDays}`,
      `failed sends ${result.failedSends} (SES outage days ${result.sesOutageDays}), days CreateAccessKey failed ${result.createFailureDays}, planted markers ${result.plantedMarkers} (${result.plantedLeftUnread} left unread as planted), keys made by hand ${result.handMadeKeys} (${result.handMadeAfterFailedRotation} after a failed rotation)`,
      `usage ${JSON.stringify(result.usage)}`,
      `keys created ${result.keysCreated}, deactivated ${result.keysDeactivated}, deleted ${result.keysDeleted}; user notices ${result.userNotices} (re-sent after a crash: ${result.resentAfterCrash})`,
      `secrets issued ${result.secretsIssued}, leaks ${result.secretLeaks}; day checks ${result.checks}; converged ${result.converged}`,
      `violations: ${violations.length}${violations.length > 0 ? ` ${JSON.stringify(result.violationsByCheck)}` : ""}`,
      ...violations
        .slice(0, 20)
        .map((x) => `  day ${x.day} ${x.check} ${x.userName}: ${x.message}`),
      `duration ${Math.round(result.durationMs / 1000)} s; figures in ${out}`,
      "",
    ].join("\n"),
  );
  if (violations.length > 0 || !result.converged) process.exitCode = 1;
};

await main();
