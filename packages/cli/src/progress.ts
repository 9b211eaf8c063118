import type { AttemptMiddleware, Log } from "@keyrotate/aws-adapter";
import type { Output } from "./io.js";

/**
 * A one-line progress display on stderr (`reading users 120/1000`), redrawn in place at most
 * every 100 ms. It shows nothing when it is off: stderr is not a terminal, or `--json`.
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

/** A progress display on `out`, or a silent one when `enabled` is false. */
export const createProgress = (
  out: Output,
  enabled: boolean,
  now: () => number = Date.now,
): Progress => {
  let shown = false;
  let lastDraw = 0;
  let usersTotal: number | undefined;
  let usersRead = 0;
  const update = (label: string, done?: number, total?: number): void => {
    if (!enabled) return;
    const t = now();
    if (t - lastDraw < 100 && done !== undefined && total !== undefined && done < total) return;
    lastDraw = t;
    shown = true;
    const count = done === undefined ? "…" : total === undefined ? done : `${done}/${total}`;
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
