/**
 * The few shapes a keyrotate mail is made of, rendered once as plain text and once as HTML, so
 * that both bodies always say the same.
 */
export type Block =
  | { readonly _tag: "p"; readonly text: string }
  | { readonly _tag: "code"; readonly text: string }
  | { readonly _tag: "link"; readonly label: string; readonly href: string }
  | { readonly _tag: "list"; readonly items: ReadonlyArray<string> };

/** A paragraph. */
export const paragraph = (text: string): Block => ({ _tag: "p", text });

/** A bulleted list. */
export const list = (items: ReadonlyArray<string>): Block => ({ _tag: "list", items });

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (s: string): string =>
  s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");

const footer = (sentBy: string | undefined): string =>
  `This message was sent by keyrotate${sentBy === undefined ? "" : ` (${sentBy})`}, which keeps AWS access keys young.`;

const blockText = (b: Block): string => {
  switch (b._tag) {
    case "p":
      return b.text;
    case "code":
      return `    ${b.text}`;
    case "link":
      return `${b.label}: ${b.href}`;
    case "list":
      return b.items.map((i) => `  - ${i}`).join("\n");
  }
};

const blockHtml = (b: Block): string => {
  switch (b._tag) {
    case "p":
      return `<p>${escapeHtml(b.text)}</p>`;
    case "code":
      return `<pre><code>${escapeHtml(b.text)}</code></pre>`;
    case "link":
      return `<p><a href="${escapeHtml(b.href)}">${escapeHtml(b.label)}</a></p>`;
    case "list":
      return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`;
  }
};

/**
 * Renders a mail's blocks as its plain-text and HTML bodies, each ending with the footer that
 * names keyrotate (and `sentBy`, the function that sent it, when known). Everything in the HTML is
 * escaped.
 *
 * @example renderBodies("Hello", [paragraph("Hi alice,")], "rotate-keys").text
 */
export const renderBodies = (
  subject: string,
  blocks: ReadonlyArray<Block>,
  sentBy: string | undefined,
): { readonly text: string; readonly html: string } => ({
  text: `${[...blocks.map(blockText), "--", footer(sentBy)].join("\n\n")}\n`,
  html: `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body>
${blocks.map(blockHtml).join("\n")}
<hr><p><small>${escapeHtml(footer(sentBy))}</small></p>
</body></html>
`,
});
