import type { AttemptMiddleware, Log } from "@keyrotate/aws-adapter";
import type { Output } from "./io.js";

/**
 * A one-line progress display on stderr (`reading users 120/1000`), redrawn in place at most
 * every 100 ms in a terminal. Where stderr is not a terminal (CI, cron, a pipe) it can instead
 * print a plain line every {@link PROGRESS_LINE_MS}, so that a long run shows it is alive; a run
 * shorter than that prints nothing.
 */
export interface Progress {
  /** Starts or updates a phase; `total` unknown shows a count only. */
  readonly update: (label: string, done?: number, total?: number) => void;
  /** Clears the line. */
  readonly clear: () => void;
  /** Counts `iam:ListAccessKeys` calls as users read (for the scan's progress). */
  readonly middleware: AttemptMiddleware;
  /** Receives the adapter's log and picks out how many users the scan reads. */
  readonly log: Log;
}

/** How often a progress line is printed where stderr is not a terminal. */
export const PROGRESS_LINE_MS = 5_000;

/**
 * A progress display on `out`: redrawn in place when `mode` is true, a line every
 * {@link PROGRESS_LINE_MS} when it is `"lines"`, silent when it is false. `now` is the clock in
 * milliseconds (the CLI passes its own, which tests control).
 */
export const createProgress = (
  out: Output,
  mode: boolean | "lines",
  now: () => number = Date.now,
): Progress => {
  const enabled = mode === true;
  let shown = false;
  let lastDraw = 0;
  let lastLine = now();
  let usersTotal: number | undefined;
  let usersRead = 0;
  const update = (label: string, done?: number, total?: number): void => {
    const count = done === undefined ? "…" : total === undefined ? done : `${done}/${total}`;
    if (mode === "lines") {
      const t = now();
      if (t - lastLine < PROGRESS_LINE_MS) return;
      lastLine = t;
      out.write(`keyrotate: ${label} ${count}\n`);
      return;
    }
    if (!enabled) return;
    const t = now();
    if (t - lastDraw < 100 && done !== undefined && total !== undefined && done < total) return;
    lastDraw = t;
    shown = true;
    out.write(`\r\x1b[K${label} ${count}`);
  };
  return {
    update,
    clear: () => {
      if (shown) out.write("\r\x1b[K");
      shown = false;
    },
    middleware: (operation) => {
      if (operation === "iam:ListAccessKeys") {
        usersRead += 1;
        update("reading users", usersRead, usersTotal);
      } else if (operation === "iam:GetCredentialReport") {
        update("reading the credential report");
      }
      return undefined;
    },
    log: (entry) => {
      if (entry.event === "users-selected" && typeof entry.selected === "number") {
        usersTotal = entry.selected;
        usersRead = 0;
      }
    },
  };
};
