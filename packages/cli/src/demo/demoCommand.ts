import { resolve } from "node:path";
import { parseCalendarDate } from "@keyrotate/core";
import { stringOption } from "../args.js";
import { type Command, ExitCode, todayOf, usageFailure } from "../command.js";
import { createProgress } from "../progress.js";
import { invariantsHeld } from "./invariants.js";
import type { orgDemoHeld, runOrgDemo } from "./orgDemo.js";
import { CREDENTIALS_DIR, outputDirProblem, writeDemoOutput } from "./output.js";
import type { runDemo } from "./runDemo.js";
import { demoUsers } from "./scenario.js";
import { renderDay, renderSummary } from "./summary.js";

const options = {
  days: { type: "string" },
  out: { type: "string", short: "o" },
  start: { type: "string" },
  org: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The package the demo runs on: an optional peer of `@keyrotate/cli`, loaded only by the demo. */
export const SANDBOX_PACKAGE = "@keyrotate/sandbox";

/**
 * What to tell a user whose demo could not load the sandbox, or undefined when `error` is not a
 * missing `@keyrotate/sandbox` (then it is a bug, reported as such).
 */
export const missingSandboxMessage = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : "";
  if (code !== "ERR_MODULE_NOT_FOUND" || !message.includes(`'${SANDBOX_PACKAGE}'`)) {
    return undefined;
  }
  return `keyrotate demo: the demo runs on keyrotate's local AWS sandbox, ${SANDBOX_PACKAGE}, which is not installed. Install it beside the CLI (npm install ${SANDBOX_PACKAGE}, or npm install --global ${SANDBOX_PACKAGE} for a global keyrotate), then run the demo again. The other commands do not need it.\n`;
};

/**
 * Loads the demo, and with it the sandbox, only when the demo runs: `plan`, `run` and `report`
 * never load the emulator. Resolves with the message for the user when the sandbox is missing.
 */
export const loadDemo = async <Demo = { readonly runDemo: typeof runDemo }>(
  load: () => Promise<Demo> = () => import("./runDemo.js") as Promise<Demo>,
): Promise<Demo | string> => {
  try {
    return await load();
  } catch (e) {
    const message = missingSandboxMessage(e);
    if (message === undefined) throw e;
    return message;
  }
};

/** The most days a demo simulates. */
export const MAX_DEMO_DAYS = 730;

/** `keyrotate demo`: the whole lifecycle against a local sandbox, day by day. */
export const demoCommand: Command = {
  name: "demo",
  summary: "simulate N days of daily Lambda runs against a local sandbox (no AWS needed)",
  options,
  help: `Usage: keyrotate demo [--days N] [--out DIR] [--start YYYY-MM-DD]
       keyrotate demo --org [--out DIR] [--start YYYY-MM-DD]

Starts a local sandbox AWS account (IAM, S3, SES) in this process, seeds 25 users that
cover every state of the rotation policy (young, warning, overdue, two Active keys, Active
plus Inactive, unused, no or bad email, exempt, mid-rotation, broken tags, a crashed
rotation, …) and runs the real Lambda handler once per simulated day, moving the sandbox's
clock one day between runs. Users keep using their keys between runs.

It prints the days on which something happened, then a summary (notices by kind, rotations,
deactivations, deletions, failures, API calls) and a check of the invariants: no Active key
deleted, every user who had an Active key still has one, every new key stored and announced.
Halfway through, the settings switch to TWO_ACTIVE_KEYS=enforce and INACTIVE_BLOCKER=delete;
on day 2 S3 refuses one upload to show a rotation undone and retried.

It writes to the output folder: emails/ (.html, .txt, .eml), ${CREDENTIALS_DIR}/ (the stored
credential files: sandbox secrets), run-report.json, compliance.{html,csv,json}, timeline.txt.
No AWS account, credentials or network are used.

Options:
  --days N               simulated days, 1 to ${MAX_DEMO_DAYS} (default 100)
  -o, --out DIR          output folder (default ./keyrotate-demo); a previous demo's folder is replaced
  --start YYYY-MM-DD     day 1's date (default: today, UTC)
  --org                  one run over a sandbox AWS Organization instead: a nested OU, a
                         suspended account and an account whose role is missing, a line per
                         account, then the org report (org-report.json in the output folder)
  -h, --help             this help

Examples:
  keyrotate demo
  keyrotate demo --days 30 --out /tmp/demo
  keyrotate demo --org
  pnpm demo                            # from the repository root

Exit codes: 0 the invariants held, 1 an invariant was violated, 2 invalid arguments.
`,
  run: async (parsed, io) => {
    const problems = [...parsed.problems];
    const daysText = stringOption(parsed, "days") ?? "100";
    const days = /^\d+$/.test(daysText) ? Number(daysText) : Number.NaN;
    if (!(days >= 1 && days <= MAX_DEMO_DAYS)) {
      problems.push(
        `--days ${JSON.stringify(daysText)}: expected a whole number from 1 to ${MAX_DEMO_DAYS}`,
      );
    }
    const startText = stringOption(parsed, "start");
    const start = startText === undefined ? todayOf(io) : parseCalendarDate(startText);
    if (start === undefined) {
      problems.push(`--start ${JSON.stringify(startText)}: expected a date YYYY-MM-DD`);
    }
    const dir = resolve(io.cwd, stringOption(parsed, "out") ?? "keyrotate-demo");
    const dirProblem = await outputDirProblem(dir);
    if (dirProblem !== undefined) problems.push(dirProblem);
    if (parsed.flags.has("org") && stringOption(parsed, "days") !== undefined)
      problems.push("--days: an organization demo is one run; leave out --days or --org");
    if (problems.length > 0 || start === undefined) return usageFailure(io, "demo", problems);
    if (parsed.flags.has("org")) {
      const org = await loadDemo<{
        readonly runOrgDemo: typeof runOrgDemo;
        readonly orgDemoHeld: typeof orgDemoHeld;
      }>(() => import("./orgDemo.js"));
      if (typeof org === "string") {
        io.stderr.write(org);
        return ExitCode.usage;
      }
      const report = await org.runOrgDemo(io.stdout, start, dir);
      return org.orgDemoHeld(report) ? ExitCode.ok : ExitCode.failed;
    }

    const demo = await loadDemo();
    if (typeof demo === "string") {
      io.stderr.write(demo);
      return ExitCode.usage;
    }
    const began = Date.now();
    const progress = createProgress(io.stderr, io.stderr.isTTY);
    const out = io.stdout;
    out.write(
      `keyrotate demo: ${days} days from ${start}, ${demoUsers(start).length} users, one Lambda run a day\n`,
    );
    out.write(`Output folder: ${dir}\n\n`);
    const timeline: string[] = [];
    const result = await demo.runDemo({
      days,
      start,
      onDay: (d) => {
        progress.update("simulating day", d.day, days);
        const block = renderDay(d);
        if (block === "") return;
        progress.clear();
        timeline.push(block);
        out.write(block);
      },
    });
    progress.clear();
    const summary = renderSummary(result);
    out.write(`\n${summary}`);
    const written = await writeDemoOutput(dir, result, `${timeline.join("")}\n${summary}`);
    out.write(
      `\nWrote ${written.emails} emails (html, txt, eml), ${written.credentials} stored credential files (secrets of the sandbox, in ${CREDENTIALS_DIR}/), run-report.json, compliance.html/.csv/.json and timeline.txt to\n  ${dir}\n`,
    );
    io.stderr.write(`demo finished in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
    return invariantsHeld(result.invariants) ? ExitCode.ok : ExitCode.failed;
  },
};
