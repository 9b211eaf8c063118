import { escapeHtml as h } from "@keyrotate/aws-adapter";
import type { ComplianceReport, ControlResult, UserAssessment } from "./assess.js";
import { controls } from "./controls.js";
import { renderHistogramSvg } from "./histogramSvg.js";

/** The report pages' inline style sheet. */
export const css = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b2631;background:#fff;max-width:1200px}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d5d8dc;padding-bottom:.2rem}
.meta{color:#566573;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #d5d8dc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f4}
td.num{text-align:right}
td table td{white-space:nowrap;border-color:#eaeded}
.pass{background:#d5f5e3;color:#145a32;font-weight:600}
.fail{background:#fadbd8;color:#78281f;font-weight:600}
.unknown{background:#fcf3cf;color:#7d6608;font-weight:600}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #d5d8dc;border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.5rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
ul.findings{margin:0;padding-left:1.1rem}
small{color:#566573}
`;

const cell = (r: ControlResult, title: string): string =>
  `<td class="${r}" title="${h(title)}">${r}</td>`;

/** A user's row of the users table: result, each control, keys and findings. */
export const userRows = (u: UserAssessment): string => {
  const keys =
    u.keys.length === 0
      ? "<em>no access keys</em>"
      : `<table>${u.keys
          .map(
            (k) =>
              `<tr><td><code>${h(k.id)}</code></td><td>${h(k.status)}</td><td class="num">${k.ageDays} d</td><td>last used ${h(k.lastUsed)}</td><td>${k.next === null ? "no action due" : `next: ${h(k.next.action)} on ${h(k.next.date)}`}</td></tr>`,
          )
          .join("")}</table>`;
  const findings =
    u.findings.length + u.notes.length === 0
      ? ""
      : `<ul class="findings">${[
          ...u.findings.map((f) => `<li><code>${h(f.code)}</code> ${h(f.message)}</li>`),
          ...u.notes.map((n) => `<li><code>${h(n.control)}</code> ${h(n.message)}</li>`),
        ].join("")}</ul>`;
  return `<tr><td><b>${h(u.userName)}</b>${u.handled ? "" : "<br><small>not handled by keyrotate</small>"}</td>${cell(u.result, "overall")}${controls
    .map((c) => cell(u.controls[c.id].result, u.controls[c.id].reason))
    .join("")}<td>${keys}</td><td>${findings}</td></tr>`;
};

/** The summary cards of users and keys. */
export const userCards = (
  s: Pick<ComplianceReport["summary"], "users" | "keys" | "activeKeys" | "userResults">,
): string => `<div class="card"><b>${s.users}</b>users</div>
<div class="card"><b>${s.keys}</b>access keys (${s.activeKeys} Active)</div>
<div class="card pass"><b>${s.userResults.pass}</b>users pass</div>
<div class="card fail"><b>${s.userResults.fail}</b>users fail</div>
<div class="card unknown"><b>${s.userResults.unknown}</b>users unknown</div>`;

/** The controls table, users counted per control. */
export const controlsSection = (byControl: ComplianceReport["summary"]["byControl"]): string => {
  const rows = controls
    .map((c) => {
      const t = byControl[c.id];
      return `<tr><td><b>${h(c.id)}</b></td><td>${h(c.framework)}</td><td>${h(c.title)}</td><td>${h(c.check)}</td><td class="num pass">${t.pass}</td><td class="num fail">${t.fail}</td><td class="num unknown">${t.unknown}</td></tr>`;
    })
    .join("");
  return `<h2>Controls</h2>
<table><thead><tr><th>Control</th><th>Framework</th><th>Title</th><th>How it is checked</th><th>Pass</th><th>Fail</th><th>Unknown</th></tr></thead>
<tbody>${rows}</tbody></table>
<p><small>Only access keys are evaluated; console passwords are outside keyrotate's scope. Users are counted per control.</small></p>`;
};

/** The users table: a row per user. */
export const usersTable = (users: ReadonlyArray<UserAssessment>): string =>
  `<table><thead><tr><th>User</th><th>Result</th>${controls.map((c) => `<th>${h(c.id)}</th>`).join("")}<th>Keys</th><th>Findings</th></tr></thead>
<tbody>${users.map(userRows).join("\n")}</tbody></table>`;

/** The policy settings the findings were decided with. */
export const settingsSection = (settings: ComplianceReport["settings"]): string =>
  `<h2>Policy settings</h2>
<table><tbody>${Object.entries(settings)
    .map(([k, v]) => `<tr><td><code>${h(k)}</code></td><td>${h(String(v))}</td></tr>`)
    .join("")}</tbody></table>`;

/**
 * The compliance report as one self-contained HTML page: inline CSS and an inline SVG
 * histogram; no script, font, image or link to anything outside the file. Every value from
 * the account is escaped.
 */
export const renderComplianceHtml = (report: ComplianceReport): string => {
  const s = report.summary;
  const skipped =
    report.skippedUsers.length === 0
      ? ""
      : `<h2>Users not read</h2><ul>${report.skippedUsers
          .map((u) => `<li>${h(u.userName)}: ${h(u.reason)}</li>`)
          .join("")}</ul>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keyrotate compliance report ${h(report.date)}</title>
<style>${css}</style></head>
<body>
<h1>Access key compliance report</h1>
<p class="meta">As of ${h(report.date)} · generated ${h(report.generatedAt)}${report.credentialReportGeneratedAt === undefined ? "" : ` · last-use data from the IAM credential report of ${h(report.credentialReportGeneratedAt)}`}</p>
<div class="cards">
${userCards(s)}
</div>
${controlsSection(s.byControl)}
<h2>Key age</h2>
${renderHistogramSvg(report.histogram)}
<h2>Users</h2>
${usersTable(report.users)}
${skipped}
${settingsSection(report.settings)}
<p><small>Generated by keyrotate.</small></p>
</body></html>
`;
};
