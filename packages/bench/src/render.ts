import type { AccountSizeResult } from "./account-suite.js";
import type { BenchResults } from "./bench.js";
import { ASSUMED, modelOrganization, PRICES } from "./org-model.js";
import type { OrgResult } from "./org-suite.js";
import type { Target } from "./targets.js";

const n = (v: number): string => Math.round(v).toLocaleString("en-US");
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
const x = (ratio: number): string => `${ratio.toFixed(0)}×`;
const verdict = (t: Target): string =>
  t.met === null ? "not measured" : t.met ? "met" : "NOT met";
const approx = (r: AccountSizeResult): string => (r.baseline.extrapolated ? "≈ " : "");

/** One row of the account table: the figures of one size. */
const accountRow = (r: AccountSizeResult): string[] => {
  const k = r.keyrotate;
  return [
    n(r.users),
    n(r.due),
    `${n(k.totalCalls)} (${n(k.readCalls)} reads)`,
    n(k.failedAttempts),
    s(k.wallMs),
    s(k.throttleBoundMs),
    `${(k.wallMs / k.throttleBoundMs).toFixed(2)}×`,
    mib(k.maxRssBytes),
    `${approx(r)}${n(r.baseline.totalCalls)}`,
    `${approx(r)}${s(r.baseline.wallMs)}`,
    `${x(r.callRatio)} / ${x(r.readRatio)}`,
  ];
};

const ACCOUNT_HEADER = [
  "users",
  "due",
  "keyrotate calls",
  "throttled",
  "wall",
  "bound",
  "wall/bound",
  "peak RSS",
  "baseline calls",
  "baseline wall",
  "fewer calls (all / reads)",
];

const textTable = (header: string[], rows: string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
};

const mdTable = (header: string[], rows: string[][]): string =>
  [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");

/** The table printed at the end of `pnpm bench`: the account sizes, core, Lambda, targets. */
export const renderTable = (results: BenchResults): string => {
  const parts: string[] = [];
  if (results.account !== undefined && results.account.length > 0) {
    parts.push(
      `Account scan and run (${(results.options.actionRate * 100).toFixed(1)} % due, ${results.options.latencyMs} ms latency, IAM ${results.options.iamRate} calls/s, burst ${results.options.iamBurst}; ≈ = baseline extrapolated):`,
      textTable(ACCOUNT_HEADER, results.account.map(accountRow)),
    );
  }
  if (results.core !== undefined) {
    parts.push(
      `Core: ${n(results.core.users)} decisions in ${n(results.core.ms)} ms (${n(results.core.decisionsPerSecond)} decisions/s)`,
    );
  }
  if (results.lambda !== undefined) {
    const l = results.lambda;
    parts.push(
      `Lambda: bundle ${(l.totalBytes / 1024).toFixed(0)} KiB, ${(l.bundleBytes / 1024).toFixed(0)} KiB loaded at a cold start (zip ${(l.zipBytes / 1024).toFixed(0)} KiB), cold start ${l.coldStartMedianMs.toFixed(0)} ms (median of ${l.coldStarts})`,
    );
  }
  for (const o of results.org ?? []) {
    parts.push(
      `Organisation: ${n(o.accounts)} accounts × ${n(o.usersPerAccount)} users, ${o.concurrency} at a time: ${s(o.wallMs)} (${o.waves} waves × ${s(o.single.wallMs)} alone = ${s(o.idealMs)}), ${n(o.completed)} completed, peak RSS ${mib(o.maxRssBytes)}`,
    );
  }
  parts.push(
    [
      "Targets:",
      ...results.targets.map((t) => `  ${verdict(t).padEnd(12)} ${t.description}: ${t.figure}`),
    ].join("\n"),
  );
  return `${parts.join("\n\n")}\n`;
};

const callsByOperation = (r: AccountSizeResult): string => {
  const ops = [...new Set([...Object.keys(r.keyrotate.calls), ...Object.keys(r.baseline.calls)])];
  ops.sort();
  const count = (v: number | undefined): string => (v === undefined ? "–" : n(v));
  const rows = ops.map((op) => [
    `\`${op}\``,
    count(r.keyrotate.calls[op]),
    r.baseline.extrapolated && r.baseline.calls[op] !== undefined
      ? `${count(r.baseline.measuredCalls[op])} → ≈ ${count(r.baseline.calls[op])}`
      : count(r.baseline.calls[op]),
  ]);
  rows.push([
    "**total**",
    `**${n(r.keyrotate.totalCalls)}**`,
    r.baseline.extrapolated
      ? `**${n(Object.values(r.baseline.measuredCalls).reduce((a, b) => a + b, 0))} → ≈ ${n(r.baseline.totalCalls)}**`
      : `**${n(r.baseline.totalCalls)}**`,
  ]);
  const failures = (calls: Readonly<Record<string, number>>) =>
    Object.entries(calls)
      .map(([k, c]) => `${k} ${n(c)}`)
      .join(", ") || "none";
  const k = r.keyrotate;
  return [
    `### ${n(r.users)} users, ${n(r.due)} due`,
    "",
    mdTable(
      [
        "operation",
        "keyrotate",
        r.baseline.extrapolated
          ? `baseline (measured on ${n(r.baseline.usersRead)} users → whole account)`
          : "baseline",
      ],
      rows,
    ),
    "",
    `- keyrotate: ${k.status}; ${n(k.selected)} users selected by triage, ${n(k.rotated)} rotated, ${n(k.failed)} failed; in the sandbox afterwards ${n(k.usersWithNewKey)} users hold a new key, ${n(k.secretsStored)} secrets stored, ${n(k.emailsSent)} emails sent.`,
    `- keyrotate: ${s(k.wallMs)} wall, of which ${s(k.reportMs)} to the triaged credential report; throttle bound ${s(k.throttleBoundMs)} (${n(k.iamAnswered)} answered IAM calls / rate; ${s(k.throttleBoundWithBurstMs)} less the burst); peak RSS ${mib(k.maxRssBytes)} (${mib(k.idleRssBytes)} after imports, before the run).`,
    `- keyrotate's failed attempts: ${failures(k.failures)}.`,
    `- baseline: ${r.baseline.extrapolated ? `cut off after ${s(r.baseline.measuredMs)} having read ${n(r.baseline.usersRead)} users; calls and time extrapolated (per user × ${n(r.users)} users; ListUsers one page per 100 users)` : `read all ${n(r.users)} users in ${s(r.baseline.measuredMs)}`}; failed attempts (measured): ${failures(r.baseline.failures)}; peak RSS ${mib(r.baseline.maxRssBytes)}.`,
    `- seeding the sandbox: ${s(r.seedMs)}.`,
  ].join("\n");
};

/** `RESULTS.md`: when, where, how to reproduce, the conditions, every figure and the targets. */
export const renderMarkdown = (results: BenchResults): string => {
  const m = results.machine;
  const o = results.options;
  const lines: string[] = [
    "# keyrotate benchmark results",
    "",
    "Written by `pnpm bench` (`packages/bench`); every figure below comes from the run described here.",
    "",
    `- **Date:** ${results.date} (the run took ${s(results.durationMs)})`,
    `- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${gib(m.memoryBytes)} memory, ${m.platform}`,
    `- **Node:** ${m.node}`,
    `- **Load average (1/5/15 min):** ${m.loadAtStart.join(" / ")} at the start, ${m.loadAtEnd.join(" / ")} at the end (the machine is shared)`,
    `- **Reproduce:** \`${results.command}\``,
    "",
    "## Targets",
    "",
    mdTable(
      ["target", "result", "figures"],
      results.targets.map((t) => [t.description, `**${verdict(t)}**`, t.figure]),
    ),
    "",
  ];
  if (results.account !== undefined && results.account.length > 0) {
    lines.push(
      "## 1. Account scan and run",
      "",
      `On the sandboxed account (\`@keyrotate/sandbox\`, one process) with ${(o.actionRate * 100).toFixed(1)} % of users due (an overdue key: a rotation), ${o.latencyMs} ms latency on every call and an IAM token bucket of ${o.iamRate} calls/s with a burst of ${o.iamBurst} (S3 and SES unthrottled). keyrotate (\`runKeyrotate\`, plans applied: the SES sender verified, the bucket created) and the baseline each run in their own Node process, bundled with esbuild and run on bare Node; calls are the sandbox's counters (every request it received, throttled ones included); peak memory is the keyrotate process's own \`maxRSS\`.`,
      "",
      `- clients: ${results.conditions.clients}.`,
      `- keyrotate: ${results.conditions.polling}; the sandbox generates a report in ${results.conditions.sandboxReportGenerationMs} ms.`,
      `- baseline: ${results.conditions.baseline}; cut off after ${o.baselineLimitS} s per size, beyond which its calls and time are extrapolated (marked ≈).`,
      "- throttle bound: keyrotate's answered IAM calls divided by the IAM rate (throttled attempts take no token, so they do not count).",
      "",
      mdTable(ACCOUNT_HEADER, results.account.map(accountRow)),
      "",
      ...results.account.flatMap((r) => [callsByOperation(r), ""]),
    );
  }
  if (results.core !== undefined) {
    const c = results.core;
    lines.push(
      "## 2. Core decisions",
      "",
      `\`packages/core/bench/decide.bench.ts\` in a child process: ${n(c.users)} generated users decided in ${n(c.ms)} ms, ${n(c.decisionsPerSecond)} decisions per second.`,
      "",
    );
  }
  if (results.lambda !== undefined) {
    const l = results.lambda;
    lines.push(
      "## 3. Lambda",
      "",
      `Built with the Lambda package's \`buildLambda\` (esbuild, minified ESM, SDK bundled): ${n(l.totalBytes)} bytes (${(l.totalBytes / 1024).toFixed(0)} KiB) in all, of which a cold start loads ${n(l.bundleBytes)} bytes (${(l.bundleBytes / 1024).toFixed(0)} KiB: \`index.mjs\` and the chunks it imports; the optional channels' SDK clients are chunks loaded when a setting turns them on), zip ${n(l.zipBytes)} bytes. Cold start (importing the bundle in a fresh Node process, which decodes the settings and builds the three clients, as a Lambda init does), median of ${l.coldStarts}: ${l.coldStartMedianMs.toFixed(0)} ms.`,
      "",
    );
  }
  const runs = results.org ?? [];
  const [g] = runs;
  if (g !== undefined) {
    const row = (figure: string, value: (r: OrgResult) => string): string[] => [
      figure,
      ...runs.map(value),
    ];
    lines.push(
      "## 4. Organisation",
      "",
      `A sandbox organisation of ${n(g.accounts)} member accounts of ${n(g.usersPerAccount)} users each (${n(g.duePerAccount)} due per account), every account with its own IAM token bucket of ${o.iamRate} calls/s (burst ${o.iamBurst}) and ${o.latencyMs} ms latency, and ${g.singleRunsMs.length} more identical accounts run alone first, one after the other (\`runKeyrotate\` in its own process: the single-account reference, a worker's time and memory; the median of them). Then one \`runOrganization\` from the management account's credentials in its own process, each account with the adapter's default clients. One run per concurrency, each on a freshly seeded organisation. All accounts share the one sandbox process and the machine's cores: the organisation process's CPU time says how close a run came to one core's worth.`,
      "",
      mdTable(
        ["figure", ...runs.map((r) => `${r.concurrency} at a time`)],
        [
          row("organisation wall time", (r) => s(r.wallMs)),
          row(
            "status",
            (r) => `${r.status} of ${n(r.accounts)} accounts, ${n(r.rotated)} keys rotated`,
          ),
          row(
            "single account alone (reference: the median run)",
            (r) =>
              `${s(r.single.wallMs)} of ${r.singleRunsMs.map((ms) => s(ms)).join(", ")} (${s(r.single.reportMs)} to the triaged report), ${n(r.single.iamAnswered)} answered IAM calls, ${n(r.single.failedAttempts)} throttled, peak RSS ${mib(r.single.maxRssBytes)}`,
          ),
          row(
            "accounts' own times in the run",
            (r) =>
              `min ${s(r.accountMs.min)}, median ${s(r.accountMs.median)}, max ${s(r.accountMs.max)}`,
          ),
          row(
            "least time at this concurrency",
            (r) =>
              `${r.waves} waves × ${s(r.single.wallMs)} = ${s(r.idealMs)}; throttle bound ${s(r.throttleBoundMs)}`,
          ),
          row(
            "wall / least time; wall / throttle bound",
            (r) =>
              `${(r.wallMs / r.idealMs).toFixed(2)}×; ${(r.wallMs / r.throttleBoundMs).toFixed(2)}×`,
          ),
          row(
            "CPU time of the organisation process",
            (r) => `${s(r.cpuMs)} (${((r.cpuMs / r.wallMs) * 100).toFixed(0)} % of one core)`,
          ),
          row(
            "answered calls per account = the reference's",
            (r) =>
              `${n(r.sameCalls)} of ${n(r.accounts)} (${n(r.throttledAttempts)} throttled attempts retried in all)`,
          ),
          row("peak RSS of the organisation run (every account in one process)", (r) =>
            mib(r.maxRssBytes),
          ),
          row(
            "merge: the org report",
            (r) =>
              `${(r.reportBytes / 1024).toFixed(0)} KiB of JSON; read back and totalled in ${r.mergeMs.toFixed(0)} ms, heap +${mib(r.mergeHeapBytes)}`,
          ),
          row("seeding the organisation", (r) => s(r.seedMs)),
        ],
      ),
      "",
      "- reference calls by operation (answered): " +
        Object.entries(g.single.answered)
          .map(([op, c]) => `\`${op}\` ${n(c)}`)
          .join(", ") +
        ".",
      "",
    );
  }
  const model = modelOrganization(results.account, g);
  if (model !== undefined) {
    const usd = (v: number): string => `$${v.toFixed(2)}`;
    lines.push(
      `## 5. Model: ${n(ASSUMED.accounts)} accounts × ${n(ASSUMED.usersPerAccount)} users on Step Functions`,
      "",
      `The state machine's Distributed Map runs one worker Lambda per account (\`MaxConcurrency\` below). Each account has its own IAM throttle and each worker is a Lambda of its own, so accounts do not slow each other and the run takes waves × one account's time. (In section 4 every account runs in one process on the bench machine's shared cores, so there the fan-out is also bound by CPU: its accounts' own times in the run are longer than the twin's alone.) One account's worker: ${s(model.accountMs)}, from ${model.accountMsSource} plus ${n(ASSUMED.overheadMsPerAccount)} ms assumed for the cold start, AssumeRole and writing the result; under ${((model.accountMs / (15 * 60_000)) * 100).toFixed(0)} % of Lambda's 15 minutes.`,
      "",
      mdTable(
        ["Map concurrency", "waves", "run wall time (model)"],
        model.rows.map((r) => [n(r.concurrency), n(r.waves), s(r.wallMs)]),
      ),
      "",
      mdTable(
        ["cost per run", "figure"],
        [
          [
            "Lambda",
            `${usd(model.lambdaUsd)}: ${n(model.lambdaGbSeconds)} GB-s (${n(ASSUMED.accounts)} workers at ${ASSUMED.workerMemoryMb} MB, list and summarise) × $${PRICES.lambdaGbSecondUsd} + ${n(ASSUMED.accounts + 2)} requests × $0.20 per million`,
          ],
          [
            "Step Functions",
            `${usd(model.stepFunctionsUsd)}: ${n(model.transitions)} state transitions × $0.025 per 1,000`,
          ],
          ["total", `**${usd(model.totalUsd)}** per run (whatever the concurrency: the same work)`],
        ],
      ),
      "",
      `Prices: US East (N. Virginia), on-demand, free tiers left out: Step Functions Standard Workflows $0.025 per 1,000 state transitions; Lambda x86 $0.0000166667 per GB-second and $0.20 per million requests (the published price pages). Assumed: ${ASSUMED.transitionsPerAccount} state transitions per account (child execution start, the Task, its end, one retry) and ${ASSUMED.parentTransitions} for the parent; ${ASSUMED.workerMemoryMb} MB workers (above the measured peak RSS of one account's run); the member accounts' IAM throttle as in the sandbox (${o.iamRate} calls/s) and SES able to send each account's notices at that pace (a production SES account's default is 14 per second). Lambda's default of 1,000 concurrent executions per Region caps \`MaxConcurrency\` at 1,000 less what else runs; STS AssumeRole calls (one per account) come from the worker's account and are spread over the waves.`,
      "",
    );
  }
  return `${lines.join("\n").trimEnd()}\n`;
};
