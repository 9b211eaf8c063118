import { viewStep } from "@keyrotate/aws-adapter";
import {
  type AccessKeyId,
  type CalendarDate,
  changesKeysOrNotifies,
  daysBetween,
  summarizePlan,
} from "@keyrotate/core";
import type { UserForecast } from "./forecast.js";
import { lastUseText, plural } from "./keyText.js";
import { formatTable } from "./table.js";

const nextText = (forecast: UserForecast, keyId: string, asOf: CalendarDate): string => {
  const event = [...forecast.next.entries()].find(([id]) => id === keyId)?.[1];
  if (event !== undefined) {
    const then = forecast.change.get(keyId as AccessKeyId);
    return `${event.action} on ${event.date}${event.date === asOf ? " (today)" : ""}${
      then === undefined ? "" : `; ${then.action} on ${then.date}`
    }`;
  }
  if (!forecast.plan.handled) {
    return `none: not handled (${forecast.plan.findings.map((f) => f.code).join(", ")})`;
  }
  const key = forecast.user.keys.find((k) => k.id === keyId);
  return key?.status === "Inactive" ? "none (Inactive, not tracked)" : "none due";
};

/**
 * The plan as a table: per user and key the status, age, last use and the next action with its
 * date (today's step, or the next transition the core will make).
 */
export const renderPlanTable = (
  forecasts: ReadonlyArray<UserForecast>,
  asOf: CalendarDate,
): string => {
  const rows: string[][] = [];
  for (const f of [...forecasts].sort((a, b) => a.user.userName.localeCompare(b.user.userName))) {
    if (f.user.keys.length === 0) {
      rows.push([f.user.userName, "-", "-", "-", "-", "none (no access keys)"]);
      continue;
    }
    for (const key of [...f.user.keys].sort((a, b) => a.created.localeCompare(b.created))) {
      rows.push([
        f.user.userName,
        key.id,
        key.status,
        String(daysBetween(key.created, asOf)),
        lastUseText(key.lastUse),
        nextText(f, key.id, asOf),
      ]);
    }
  }
  return formatTable(
    ["USER", "KEY", "STATUS", "AGE", "LAST USED", "NEXT ACTION"],
    rows,
    new Set(["AGE"]),
  );
};

/** Totals of the day's plans: how many users get which actions. */
export const renderDaySummary = (
  forecasts: ReadonlyArray<UserForecast>,
  day: CalendarDate,
): string => {
  const plans = forecasts.map((f) => f.plan);
  const active = plans.filter(changesKeysOrNotifies);
  const sum = active.map(summarizePlan).reduce(
    (a, s) => ({
      warnings: a.warnings + s.warnings,
      rotations: a.rotations + s.rotations,
      deactivations: a.deactivations + s.deactivations,
      deletions: a.deletions + s.deletions,
      notices: a.notices + s.notices,
    }),
    { warnings: 0, rotations: 0, deactivations: 0, deletions: 0, notices: 0 },
  );
  const keys = forecasts.reduce((n, f) => n + f.user.keys.length, 0);
  return `${day}: ${plural(forecasts.length, "user")}, ${plural(keys, "key")}; ${plural(active.length, "user")} with actions: ${plural(sum.rotations, "rotation")}, ${plural(sum.warnings, "warning")}, ${plural(sum.deactivations, "deactivation")}, ${plural(sum.deletions, "deletion")}, ${plural(sum.notices, "notice")}.\n`;
};

/** Each user's steps of the day, one line per step, for the confirmation before a run. */
export const renderDaySteps = (forecasts: ReadonlyArray<UserForecast>): string =>
  forecasts
    .filter((f) => changesKeysOrNotifies(f.plan))
    .map(
      (f) =>
        `  ${f.user.userName}:\n${f.plan.steps
          .map(viewStep)
          .filter((v) => v.action !== "TagUser" && v.action !== "UntagUser")
          .map((v) => `    - ${v.summary}\n`)
          .join("")}`,
    )
    .join("");

/** The findings of the day's plans, one line each. */
export const renderFindings = (forecasts: ReadonlyArray<UserForecast>): string => {
  const lines = forecasts.flatMap((f) =>
    f.plan.findings.map((x) => `  ${f.user.userName}: ${x.code}: ${x.message}\n`),
  );
  return lines.length === 0 ? "" : `Findings:\n${lines.join("")}`;
};
