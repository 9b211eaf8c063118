import { join } from "node:path";
import { runChildLines } from "./child.js";
import { repoRoot } from "./options.js";

/** The JSON line the core's bench prints last. */
export interface CoreResult {
  readonly suite: "core";
  readonly users: number;
  readonly ms: number;
  readonly decisionsPerSecond: number;
  readonly targetMs: number;
  /** The core bench's own verdict (always true below a million users: not measured). */
  readonly met: boolean;
}

const isCoreResult = (v: unknown): v is CoreResult =>
  typeof v === "object" &&
  v !== null &&
  (v as { suite?: unknown }).suite === "core" &&
  typeof (v as { ms?: unknown }).ms === "number" &&
  typeof (v as { users?: unknown }).users === "number" &&
  typeof (v as { decisionsPerSecond?: unknown }).decisionsPerSecond === "number";

/** The last line of `stdout` that is the core bench's JSON result. */
export const parseCoreOutput = (stdout: string): CoreResult => {
  for (const line of stdout.trim().split("\n").reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (isCoreResult(parsed)) return parsed;
    } catch {
      // not the result line
    }
  }
  throw new Error(`the core bench printed no result line:\n${stdout.slice(-2000)}`);
};

/**
 * The core suite: runs `packages/core/bench/decide.bench.ts` in a child process with
 * `BENCH_CORE_USERS=users` and reads its final JSON line.
 */
export const runCoreSuite = async (users: number): Promise<CoreResult> =>
  parseCoreOutput(
    await runChildLines(join(repoRoot, "packages/core/bench/decide.bench.ts"), {
      BENCH_CORE_USERS: String(users),
    }),
  );
