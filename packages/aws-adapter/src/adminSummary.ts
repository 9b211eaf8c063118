import type { RenderedEmail } from "./email.js";
import { type Block, list, paragraph, renderBodies } from "./emailMarkup.js";
import type { OrgReport } from "./orgReport.js";
import type { RunReport } from "./report.js";

/** What a user's run did, in a few words per step that was performed. */
const doneText = (u: RunReport["users"][number]): string[] => {
  const out: string[] = [];
  const ok = u.steps.filter((st) => st.status === "ok").map((st) => st.step);
  const created = ok.find((v) => v.action === "CreateKey");
  for (const v of ok) {
    if (v.action === "CreateKey")
      out.push(`rotated ${v.keyId ?? "the old key"} to ${u.newKeyId ?? "a new key"}`);
    if (v.action === "DeactivateKey") out.push(`deactivated ${v.keyId} (${v.reason})`);
    if (v.action === "DeleteKey") out.push(`deleted ${v.keyId} (${v.reason})`);
    if (v.action !== "SendNotice") continue;
    if (v.noticeKind === "Warning") out.push("warned");
    if (v.noticeKind === "TwoActiveKeys") out.push("asked to delete one of two active keys");
    if (v.noticeKind === "Rotated" && created === undefined) out.push("sent the Rotated notice");
    if (v.noticeKind === "OldKeyInUse") out.push("told that the old key is still in use");
  }
  if (u.compensation.length > 0 && u.compensation.every((c) => c.status === "ok"))
    out.push("undid the failed rotation");
  return out;
};

/** What is left for a later run or for someone to do about a user. */
const waitingText = (u: RunReport["users"][number]): string[] => [
  ...(u.status === "failed"
    ? [
        `${u.error?.message ?? "failed"}${u.markerLeft ? " (marker left: the next run finishes or undoes it)" : ""}`,
      ]
    : []),
  ...(u.status === "deferred" ? ["not started: the next run continues"] : []),
  ...u.findings.map((f) => `${f.code}: ${f.message}`),
];

/** A summary's subject line and its body as markup blocks, before any rendering. */
export interface SummaryContent {
  readonly subject: string;
  readonly blocks: ReadonlyArray<Block>;
}

/**
 * The admin summary of a run: per user, what was done and what is waiting (a failure, a
 * deferral, a notice not yet delivered, an old key still in use, a finding), and the users the
 * scan skipped. The one summary behind the admin email and the chat webhook's message.
 */
export const adminSummaryContent = (report: RunReport): SummaryContent => {
  const c = report.counts;
  const subject = `keyrotate ${report.date}${report.dryRun ? " (dry run)" : ""}: ${
    report.status === "failed"
      ? "the run failed"
      : `${c.rotated} rotated, ${c.deactivated} deactivated, ${c.deleted} deleted, ${c.failed} failed`
  }`;
  const done = report.users.flatMap((u) => {
    const items = doneText(u);
    return items.length === 0 ? [] : [`${u.userName}: ${items.join("; ")}`];
  });
  const waiting = report.users.flatMap((u) => waitingText(u).map((w) => `${u.userName}: ${w}`));
  const skipped = report.skippedUsers.map((s) => `${s.userName}: ${s.reason}: ${s.error.message}`);
  const blocks: Block[] = [
    paragraph(
      `Run ${report.runId} on ${report.date} (${report.scanMode} scan): ${c.usersSeen} users seen, ${c.selected} read in detail.`,
    ),
    ...(report.error === undefined ? [] : [paragraph(`The run failed: ${report.error.message}`)]),
    ...(done.length > 0
      ? [paragraph(report.dryRun ? "Would be done:" : "Done:"), list(done)]
      : [paragraph("Nothing was done.")]),
    ...(waiting.length > 0 ? [paragraph("Waiting or needing attention:"), list(waiting)] : []),
    ...(skipped.length > 0 ? [paragraph("Skipped users:"), list(skipped)] : []),
  ];
  return { subject, blocks };
};

/** Renders the admin summary of a run ({@link adminSummaryContent}) as an email to `to`. */
export const renderAdminSummary = (report: RunReport, to: string): RenderedEmail => {
  const { subject, blocks } = adminSummaryContent(report);
  return { kind: "AdminSummary", to, subject, ...renderBodies(subject, blocks, undefined) };
};

/**
 * Renders the admin summary of an organisation run (the Step Functions summarise step sends it):
 * accounts by outcome, then per account what was done and what is waiting, as in
 * {@link renderAdminSummary}, and the accounts left alone with their reasons.
 */
export const renderOrgAdminSummary = (report: OrgReport, to: string): RenderedEmail => {
  const a = report.totals.accounts;
  const u = report.totals.users;
  const subject = `keyrotate organization ${report.date}${report.dryRun ? " (dry run)" : ""}: ${
    report.error === undefined
      ? `${a.completed} of ${a.selected} accounts completed; ${u.rotated} rotated, ${u.failed} failed`
      : "the organization could not be listed"
  }`;
  const accountLines = report.accounts.map((s) => {
    const r = s.report;
    const why = s.error?.message ?? r?.error?.message;
    return `${s.accountId} ${s.accountName}: ${s.status}${why === undefined ? "" : ` (${why})`}${
      r === undefined
        ? ""
        : `; ${r.counts.usersSeen} users, rotated ${r.counts.rotated}, deactivated ${r.counts.deactivated}, deleted ${r.counts.deleted}, failed ${r.counts.failed}`
    }`;
  });
  const perUser = report.accounts.flatMap((s) =>
    (s.report?.users ?? []).flatMap((user) =>
      [...doneText(user), ...waitingText(user)].map((t) => `${s.accountId} ${user.userName}: ${t}`),
    ),
  );
  const skipped = report.skippedAccounts.map(
    (s) => `${s.accountId}${s.accountName ? ` ${s.accountName}` : ""}: ${s.reason}: ${s.message}`,
  );
  const blocks: Block[] = [
    paragraph(
      `Organization run ${report.runId} on ${report.date}: ${a.discovered} accounts found, ${a.selected} run: ${a.completed} completed, ${a.failed} failed, ${a.unreachable} unreachable, ${a.deferred} deferred; ${a.skipped} skipped. Users seen ${u.usersSeen}; warned ${u.warned}, rotated ${u.rotated}, deactivated ${u.deactivated}, deleted ${u.deleted}, failed ${u.failed}.`,
    ),
    ...(report.error === undefined
      ? []
      : [
          paragraph(
            `The organization could not be listed; no account was run: ${report.error.message}`,
          ),
        ]),
    ...(accountLines.length > 0 ? [list(accountLines)] : []),
    ...(perUser.length > 0
      ? [
          paragraph(report.dryRun ? "Would be done, or waiting:" : "Done, or waiting:"),
          list(perUser),
        ]
      : []),
    ...(skipped.length > 0 ? [paragraph("Accounts left alone:"), list(skipped)] : []),
  ];
  return { kind: "AdminSummary", to, subject, ...renderBodies(subject, blocks, undefined) };
};
