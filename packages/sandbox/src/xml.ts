const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#13;",
};

/** Escapes text for use in XML content or attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => ESCAPES[c] ?? c);
}

/**
 * An element with escaped text content; `undefined` yields nothing so optional members vanish.
 * Building responses from these keeps every AWS response shape in plain, readable code.
 */
export function text(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return "";
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** An element whose children are already-built XML strings. */
export function node(name: string, ...children: string[]): string {
  return `<${name}>${children.join("")}</${name}>`;
}

/** A Query-protocol list: `<Name><member>…</member>…</Name>`. */
export function members(name: string, items: readonly string[]): string {
  let out = `<${name}>`;
  for (const item of items) out += `<member>${item}</member>`;
  return `${out}</${name}>`;
}

/** AWS's timestamp format in XML bodies: ISO 8601 in UTC without milliseconds. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The XML declaration AWS puts in front of every body. */
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
