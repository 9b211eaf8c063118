/**
 * Lays out rows as a plain-text table: one header line, columns padded to their widest cell,
 * two spaces apart. Columns named in `right` are right-aligned (numbers).
 *
 * @example formatTable(["USER", "AGE"], [["alice", "95"]], new Set(["AGE"]))
 */
export const formatTable = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  right: ReadonlySet<string> = new Set(),
): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return right.has(headers[i] ?? "") ? c.padStart(w) : c.padEnd(w);
      })
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join("");
};
