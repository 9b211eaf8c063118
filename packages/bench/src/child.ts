import { execFile, spawn } from "node:child_process";
import { repoRoot } from "./options.js";

/** The line prefix a child process writes its result after. */
export const RESULT_PREFIX = "BENCH_RESULT ";

/** A child process's own memory, as it reports it. */
export interface ChildMemory {
  /** Peak resident set of the process (`process.resourceUsage().maxRSS`), in bytes. */
  readonly maxRssBytes: number;
  /** Resident set once everything was imported and before the work, in bytes. */
  readonly idleRssBytes: number;
}

/** Writes a child's result as its last stdout line, for {@link runChild} to read. */
export const reportResult = (result: unknown): void => {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
};

/** Reads a child's input: the JSON given as its first argument. */
export const childInput = <A>(): A => {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error("this script runs as a child of the benchmark");
  return JSON.parse(raw) as A;
};

/**
 * Runs an entry point in a fresh Node process with `input` as JSON, and returns the result it
 * reports: a bundled `.mjs` on bare Node, a `.ts` through tsx. Separate processes keep the
 * sandbox's memory and CPU out of what is measured.
 */
export const runChild = <R>(entry: string, input: unknown): Promise<R> =>
  new Promise((resolvePromise, reject) => {
    const loader = entry.endsWith(".ts")
      ? ["--conditions=@keyrotate/source", "--import", "tsx"]
      : [];
    const child = spawn(process.execPath, [...loader, entry, JSON.stringify(input)], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${entry} exited with ${code}:\n${stderr.slice(-4000)}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(RESULT_PREFIX.length)) as R);
    });
  });

/**
 * Runs a TypeScript script through tsx in a fresh Node process with extra environment variables
 * and returns its standard output; rejects with its standard error when it fails.
 */
export const runChildLines = (
  script: string,
  env: Readonly<Record<string, string>>,
): Promise<string> =>
  new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ["--conditions=@keyrotate/source", "--import", "tsx", script],
      { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${script} failed: ${error.message}\n${stderr.slice(-4000)}`));
        else resolvePromise(stdout);
      },
    );
  });
