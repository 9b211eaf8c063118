import type { AgeBin } from "./assess.js";

const esc = (s: string): string =>
  s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");

/** Every colour the histogram's bars use, with what the legend says of it. */
export const HISTOGRAM_COLOURS = {
  active: { fill: "#2e86c1", label: "Active, ≤ 60 days" },
  activeAging: { fill: "#e67e22", label: "Active, 61–90 days" },
  activeOld: { fill: "#c0392b", label: "Active, > 90 days" },
  inactive: { fill: "#aab7b8", label: "Inactive" },
} as const;

const activeColour = (b: AgeBin): string =>
  b.minDays > 90
    ? HISTOGRAM_COLOURS.activeOld.fill
    : b.minDays > 60
      ? HISTOGRAM_COLOURS.activeAging.fill
      : HISTOGRAM_COLOURS.active.fill;

/** The legend: a swatch and a label for each of {@link HISTOGRAM_COLOURS}, on one line. */
const legend = (x0: number): string => {
  let x = x0;
  return Object.values(HISTOGRAM_COLOURS)
    .map(({ fill, label }) => {
      const item = `<rect x="${x}" y="4" width="10" height="10" fill="${fill}"/><text x="${x + 14}" y="13" font-size="11">${esc(label)}</text>`;
      x += 14 + label.length * 6.5 + 16;
      return item;
    })
    .join("");
};

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
  const top = 44; // room for the legend above the 90-day line's label
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
      `<rect x="${x.toFixed(1)}" y="${activeTop.toFixed(1)}" width="${barW.toFixed(1)}" height="${(top + plotH - activeTop).toFixed(1)}" fill="${activeColour(b)}"><title>${esc(`${b.label} days: ${b.active} Active`)}</title></rect>`,
    );
    const inactiveTop = y(total);
    if (b.inactive > 0) {
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${inactiveTop.toFixed(1)}" width="${barW.toFixed(1)}" height="${(activeTop - inactiveTop).toFixed(1)}" fill="${HISTOGRAM_COLOURS.inactive.fill}"><title>${esc(`${b.label} days: ${b.inactive} Inactive`)}</title></rect>`,
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
    legend(left),
  );
  return `<svg role="img" aria-label="Access key age histogram" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif">${parts.join("")}</svg>`;
};
