import type { LastUse } from "@keyrotate/core";

/** A last use as people read it: the date, `never` or `unknown`. */
export const lastUseText = (u: LastUse): string =>
  u._tag === "UsedOn" ? u.date : u._tag === "NeverUsed" ? "never" : "unknown";

/**
 * An access key id shortened for a timeline: `AKIA…` and its last four characters. Key ids
 * are not secret; the short form only keeps lines readable.
 *
 * @example shortKeyId("AKIAIOSFODNN7EXAMPLE") // "AKIA…MPLE"
 */
export const shortKeyId = (id: string): string =>
  id.length > 12 ? `${id.slice(0, 4)}…${id.slice(-4)}` : id;

/** `1 rotation`, `2 rotations`. */
export const plural = (n: number, word: string, words = `${word}s`): string =>
  `${n} ${n === 1 ? word : words}`;
