/**
 * One structured log entry. Entries carry names, key ids, operations and mapped errors: never a
 * secret, never an SDK exception object.
 */
export interface LogEntry {
  readonly level: "debug" | "info" | "warn" | "error";
  /** What happened, as a stable kebab-case name: `scan-started`, `step-failed`, … */
  readonly event: string;
  readonly message: string;
  readonly userName?: string;
  readonly [field: string]: unknown;
}

/** Receives log entries; the caller decides where they go (console, CloudWatch, a test). */
export type Log = (entry: LogEntry) => void;

/** A log that drops everything. */
export const silentLog: Log = () => {};
