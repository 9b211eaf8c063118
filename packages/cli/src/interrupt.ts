import {
  type AttemptMiddleware,
  MUTATING_OPERATIONS,
  type RunReport,
} from "@keyrotate/aws-adapter";
import type { CliIo, StopSignal } from "./io.js";

/** The exit code of a run stopped by a signal: 128 + the signal's number, as shells report it. */
export const signalExitCode: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** How `keyrotate run` reacts to SIGINT and SIGTERM. */
export interface Interruptions {
  /** The signal that asked the run to stop, if any: no user is started after it. */
  readonly requested: () => StopSignal | undefined;
  /** Sees every attempt: from the first change on, a stop waits for the users in flight. */
  readonly middleware: AttemptMiddleware;
  /** The line for stderr once a stopped run has finished its users in flight. */
  readonly summary: (report: RunReport) => string;
  /** Stops listening for signals. */
  readonly dispose: () => void;
}

/**
 * Listens for SIGINT and SIGTERM while `keyrotate run` works. Before the run's first change
 * (the scan, the plan, the confirmation) a signal exits at once: nothing was done; once the run
 * lease is held, it stops the run before any user is changed and releases the lease. After the
 * first change, the
 * run stops *between users*: every user in flight is finished (a rotation that fails is undone as
 * usual), no other user is started, and the rest are reported deferred; the exit code is then
 * 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once, and says what that may leave.
 * `clear` clears the progress line before a message is written.
 */
export const watchInterruptions = (io: CliIo, clear: () => void = () => {}): Interruptions => {
  let signal: StopSignal | undefined;
  let changing = false;
  // The run lease (or the preflight's test object) was written: no user was changed yet, but the
  // lease must be released, so the run stops through its normal end rather than at once.
  let wroteToBucket = false;
  const say = (text: string): void => {
    clear();
    io.stderr.write(`${text}\n`);
  };
  const stop = io.onSignal?.((received) => {
    if (signal !== undefined) {
      say(
        `keyrotate run: ${received} again: exiting at once. A user in flight may be half-done; the next run finds it by keyrotate's marker tag and finishes or undoes it.`,
      );
      io.exit?.(signalExitCode[received]);
      return;
    }
    signal = received;
    if (!changing && !wroteToBucket) {
      say(
        `keyrotate run: ${received}: stopped before any change; nothing was done. The next run starts afresh.`,
      );
      io.exit?.(signalExitCode[received]);
      return;
    }
    if (!changing) {
      say(
        `keyrotate run: ${received}: stopping before any change to a user; the run lease is released first. Press Ctrl-C again to exit at once.`,
      );
      return;
    }
    say(
      `keyrotate run: ${received}: finishing the users in flight, then stopping; no other user is started. Press Ctrl-C again to exit at once.`,
    );
  });
  return {
    requested: () => signal,
    middleware: (operation) => {
      // S3 writes before a user's change are the run lease's and the preflight's; a secret is
      // only ever stored after an IAM change (its key's creation).
      if (operation.startsWith("s3:")) wroteToBucket ||= MUTATING_OPERATIONS.includes(operation);
      else if (MUTATING_OPERATIONS.includes(operation)) changing = true;
      return undefined;
    },
    summary: (report) => {
      const deferred = report.counts.deferred;
      const finished = report.users.filter(
        (u) => u.status !== "deferred" && u.steps.length > 0,
      ).length;
      return `keyrotate run: stopped by ${signal ?? "a signal"}: ${finished} user${finished === 1 ? "" : "s"} finished (none is half-done), ${deferred} deferred. The next run continues with ${deferred === 1 ? "it" : "them"}.`;
    },
    dispose: () => stop?.(),
  };
};
