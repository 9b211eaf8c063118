import { createInterface } from "node:readline/promises";
import type { ReportPolling } from "@keyrotate/aws-adapter";

/** Somewhere text goes: the process's stdout or stderr, or a buffer in a test. */
export interface Output {
  readonly write: (text: string) => void;
  /** True when a person is watching (a terminal): progress and prompts appear only then. */
  readonly isTTY: boolean;
}

/** The signals that stop `keyrotate run` between users. */
export type StopSignal = "SIGINT" | "SIGTERM";

/**
 * Everything the CLI reads from or writes to its host: arguments come separately. Injected so
 * that tests run a command in-process with captured output, a chosen environment and clock.
 */
export interface CliIo {
  /** Where settings, credentials (`AWS_ACCESS_KEY_ID`…) and `AWS_REGION` are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (`--out`) are resolved against this directory. */
  readonly cwd: string;
  readonly stdout: Output;
  readonly stderr: Output;
  /** True when stdin is a terminal: `run` may then ask for confirmation. */
  readonly stdinIsTTY: boolean;
  /** Asks a question on the terminal and resolves with the answer line. */
  readonly ask: (question: string) => Promise<string>;
  /** The clock: `today` is the UTC date of `now()` (the sandbox's clock in tests). */
  readonly now: () => Date;
  /** How to wait for IAM's credential report (tests shorten the waits). */
  readonly polling?: ReportPolling;
  /**
   * Calls `listener` on SIGINT or SIGTERM until the returned function is called; while it
   * listens, the signals no longer end the process. Absent: signals are not watched.
   */
  readonly onSignal?: (listener: (signal: StopSignal) => void) => () => void;
  /** Ends the process at once with `code` (a second Ctrl-C). */
  readonly exit?: (code: number) => void;
}

/** The real process: `process.env`, the working directory, stdout/stderr and the system clock. */
export const nodeIo = (): CliIo => ({
  env: process.env,
  cwd: process.cwd(),
  stdout: { write: (s) => void process.stdout.write(s), isTTY: process.stdout.isTTY === true },
  stderr: { write: (s) => void process.stderr.write(s), isTTY: process.stderr.isTTY === true },
  stdinIsTTY: process.stdin.isTTY === true,
  ask: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    // A terminal in raw mode turns Ctrl-C into a readline event: hand it on as the signal it is.
    rl.on("SIGINT", () => process.kill(process.pid, "SIGINT"));
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  now: () => new Date(),
  onSignal: (listener) => {
    const onInt = () => listener("SIGINT");
    const onTerm = () => listener("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    return () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    };
  },
  exit: (code) => process.exit(code),
});
