/**
 * @keyrotate/cli: the `keyrotate` command line (plan, run, report, demo) as a function, so
 * that it can be embedded or tested in-process with captured output.
 */
export { commands, main, version } from "./cli.js";
export { type Command, ExitCode } from "./command.js";
export {
  assessAccount,
  type ComplianceReport,
  type ControlResult,
  type UserAssessment,
} from "./compliance/assess.js";
export { type Control, type ControlId, controls } from "./compliance/controls.js";
export { type ForecastEvent, forecastUser, type UserForecast } from "./forecast.js";
export { type CliIo, nodeIo, type Output } from "./io.js";
