import type { RunReport } from "@keyrotate/aws-adapter";

/** The CloudWatch namespace of keyrotate's metrics. */
export const METRICS_NAMESPACE = "keyrotate";

/** The service name: the `service` dimension of every metric and a field of every log line. */
export const SERVICE_NAME = "keyrotate";

/** The metrics one run publishes, every one on every run (zeros included), as counts. */
export type RunMetricName =
  | "warnings"
  | "rotations"
  | "deactivations"
  | "deletions"
  | "failures"
  | "deferred";

/**
 * The metrics of a run, from its report: users warned, users rotated, keys deactivated, keys
 * deleted, failures (users whose plan failed, plus one when the scan failed and nothing ran) and
 * users deferred to the next run. A dry run performs nothing, so it counts zeros except for
 * failures and deferrals.
 */
export const runMetrics = (report: RunReport): Readonly<Record<RunMetricName, number>> => ({
  warnings: report.counts.warned,
  rotations: report.counts.rotated,
  deactivations: report.counts.deactivated,
  deletions: report.counts.deleted,
  failures: report.counts.failed + (report.status === "failed" ? 1 : 0),
  deferred: report.counts.deferred,
});
