/**
 * @keyrotate/lambda: the scheduled AWS Lambda function of keyrotate. A short shell: decode the
 * environment, build the clients once, then on each invocation scan, decide, apply and report.
 */
export { DEFAULT_SAFETY_MARGIN, type SafetyMargin, safetyMarginMs, startGate } from "./deadline.js";
export { type Invocation, parseInvocation } from "./event.js";
export {
  createHandler,
  type HandlerDeps,
  type HandlerLogger,
  type HandlerMetrics,
  InvalidEventError,
  InvalidSettingsError,
  type KeyrotateHandler,
  logTo,
} from "./handler.js";
export { METRICS_NAMESPACE, type RunMetricName, runMetrics, SERVICE_NAME } from "./runMetrics.js";
