import type { AgeBin } from "./assess.js";

const esc = (s: string): string =>
  s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");

/**
 * Draws the key-age histogram as an inline SVG: one stacked bar per age bin (Active over
 * Inactive), counts above the bars, the 90-day line of CIS 1.14 between the third and fourth
 * bins. No scripts, fonts or external resources.
 */
export const renderHistogramSvg = (bins: ReadonlyArray<AgeBin>): string => {
  const width = 640;
  const height = 260;
  const left = 40;
  const bottom = 40;
  const top = 30;
  const plotH = height - top - bottom;
  const slot = (width - left - 10) / Math.max(1, bins.length);
  const barW = slot * 0.6;
  const max = Math.max(1, ...bins.map((b) => b.active + b.inactive));
  const y = (n: number) => top + plotH - (n / max) * plotH;
  const parts: string[] = [];
  parts.push(
    `<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="#333"/>`,
  );
  for (const [i, b] of bins.entries()) {
    const x = left + i * slot + (slot - barW) / 2;
    const total = b.active + b.inactive;
    const activeTop = y(b.active);
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${activeTop.toFixed(1)}" width="${barW.toFixed(1)}" height="${(top + plotH - activeTop).toFixed(1)}" fill="${b.minDays > 90 ? "#c0392b" : b.minDays > 60 ? "#e67e22" : "#2e86c1"}"><title>${esc(`${b.label} days: ${b.active} Active`)}</title></rect>`,
    );
    const inactiveTop = y(total);
    if (b.inactive > 0) {
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${inactiveTop.toFixed(1)}" width="${barW.toFixed(1)}" height="${(activeTop - inactiveTop).toFixed(1)}" fill="#aab7b8"><title>${esc(`${b.label} days: ${b.inactive} Inactive`)}</title></rect>`,
      );
    }
    parts.push(
      `<text x="${(x + barW / 2).toFixed(1)}" y="${(inactiveTop - 6).toFixed(1)}" text-anchor="middle" font-size="13">${total}</text>`,
      `<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" font-size="12">${esc(b.label)}</text>`,
    );
  }
  const ninety = bins.findIndex((b) => b.minDays > 90);
  if (ninety > 0) {
    const x = left + ninety * slot;
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 10}" x2="${x.toFixed(1)}" y2="${top + plotH}" stroke="#c0392b" stroke-dasharray="4 3"/>`,
      `<text x="${(x + 4).toFixed(1)}" y="${top - 14}" font-size="11" fill="#c0392b">90 days (CIS 1.14, IAM.3)</text>`,
    );
  }
  parts.push(
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle" font-size="12">key age in days</text>`,
    `<rect x="${left}" y="4" width="10" height="10" fill="#2e86c1"/><text x="${left + 14}" y="13" font-size="11">Active</text>`,
    `<rect x="${left + 64}" y="4" width="10" height="10" fill="#aab7b8"/><text x="${left + 78}" y="13" font-size="11">Inactive</text>`,
  );
  return `<svg role="img" aria-label="Access key age histogram" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif">${parts.join("")}</svg>`;
};
