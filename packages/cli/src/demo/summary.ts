import type { NoticeKind } from "@keyrotate/core";
import { plural } from "../keyText.js";
import { invariantsHeld } from "./invariants.js";
import type { DemoDay, DemoResult } from "./runDemo.js";

/** A day of the timeline: `day 12 (2026-12-04)` and its indented lines; empty if nothing happened. */
export const renderDay = (day: DemoDay): string =>
  day.notes.length + day.lines.length === 0
    ? ""
    : `day ${day.day} (${day.date})\n${[...day.notes.map((n) => `  * ${n}`), ...day.lines.map((l) => `  ${l}`)].join("\n")}\n`;

/** The notice kinds the demo's scenario sends, counted in its summary and written as files. */
export const DEMO_NOTICE_KINDS: ReadonlyArray<NoticeKind> = [
  "Warning",
  "TwoActiveKeys",
  "Rotated",
  "Deactivated",
  "DeactivatedUnused",
  "Deleted",
];

/**
 * The demo's final summary: users, notices by kind, rotations, deactivations, deletions,
 * failures, the Lambda's API calls by operation, and whether the invariants held.
 */
export const renderSummary = (r: DemoResult): string => {
  const sum = (f: (d: DemoDay) => number) => r.days.reduce((n, d) => n + f(d), 0);
  const c = r.compliance.summary;
  const handled = r.compliance.users.filter((u) => u.handled).length;
  const byKind = DEMO_NOTICE_KINDS.map(
    (k) => `${k} ${r.emails.filter((e) => e.kind === k).length}`,
  ).join(", ");
  const unmatched = r.emails.filter((e) => e.kind === "unmatched").length;
  const failures = r.days.flatMap((d) =>
    d.report.users.filter((u) => u.status === "failed").map((u) => `${u.userName} on day ${d.day}`),
  );
  const inv = r.invariants;
  const held = invariantsHeld(inv);
  const calls = Object.entries(r.apiCalls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `    ${op.padEnd(32)} ${String(n).padStart(6)}`)
    .join("\n");
  const totalCalls = Object.values(r.apiCalls).reduce((a, b) => a + b, 0);
  const lines = [
    `Summary: ${plural(r.days.length, "day")}, ${r.start} to ${r.end}, one Lambda run a day`,
    `  users:          ${r.users.length} (${handled} handled at the end, ${c.users - handled} not handled)`,
    `  notices:        ${r.emails.length} (${byKind}${unmatched > 0 ? `, unmatched ${unmatched}` : ""})`,
    `  rotations:      ${sum((d) => d.report.counts.rotated)}`,
    `  deactivations:  ${sum((d) => d.report.counts.deactivated)}`,
    `  deletions:      ${sum((d) => d.report.counts.deleted)}`,
    `  failures:       ${failures.length}${failures.length > 0 ? ` (${failures.join(", ")}${r.failureDay === undefined ? "" : "; injected by the demo, undone and retried"})` : ""}`,
    `  compliance at the end: ${c.userResults.pass} users pass, ${c.userResults.fail} fail, ${c.userResults.unknown} unknown (CIS 1.12-1.14, Security Hub IAM.3/IAM.8)`,
    `  API calls by the Lambda: ${totalCalls}`,
    calls,
    held
      ? `  invariants:     held: no Active key deleted (${plural(inv.deletionsChecked, "deletion")} checked); every user who had an Active key still has one${
          inv.unusedExceptions.length > 0
            ? ` (except ${inv.unusedExceptions.join(", ")}: deactivated as unused, as UNUSED_DAYS allows)`
            : ""
        }; ${inv.createdKeys.length} of ${inv.createdKeys.length} created keys stored in S3 and announced; no secret in any email, report or log`
      : `  invariants:     VIOLATED:\n${[
          ...inv.activeDeleted.map((x) => `    Active key deleted: ${x}`),
          ...inv.lostActive.map((x) => `    left without an Active key: ${x}`),
          ...inv.undelivered.map((x) => `    not delivered: ${x}`),
          ...inv.secretLeaks.map((x) => `    secret found in ${x}`),
        ].join("\n")}`,
  ];
  return `${lines.join("\n")}\n`;
};
