/**
 * How old IAM's credential report may be before the CLI warns. IAM makes a new report when the
 * last one is more than four hours old, so a report older than a day means the endpoint does
 * not (an emulator, say): its last-use dates are stale, and so are the plans built on them.
 */
export const STALE_REPORT_MS = 24 * 60 * 60 * 1000;

/**
 * The warning for a credential report generated at `generatedAt` (ISO 8601) when it is older
 * than {@link STALE_REPORT_MS} at `now`, else undefined (no report, or a recent one).
 *
 * @example staleReportWarning("2015-01-01T00:00:00Z", new Date("2026-11-28T00:00:00Z"))
 */
export const staleReportWarning = (
  generatedAt: string | undefined,
  now: Date,
): string | undefined => {
  if (generatedAt === undefined) return undefined;
  const age = now.getTime() - Date.parse(generatedAt);
  if (!(age > STALE_REPORT_MS)) return undefined;
  const days = Math.floor(age / (24 * 60 * 60 * 1000));
  return `warning: the credential report was generated at ${generatedAt}, ${days} day${days === 1 ? "" : "s"} ago: the last-use dates it gives may be out of date (IAM makes a new report once the last is 4 hours old)\n`;
};
