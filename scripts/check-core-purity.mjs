#!/usr/bin/env node
// Fails (exit 1) when packages/core/src reaches outside pure computation: an import other than
// fp-ts, io-ts or a relative module, or a read of the clock, the environment, randomness or the
// network. Run by CI; tested by packages/core/test/purity.test.ts.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const allowedImport = /^(fp-ts|io-ts)(\/|$)|^\.\.?\//;

const forbidden = [
  [/\bprocess\s*[.[]/, "reads the process (env, argv, clock)"],
  [/\bDate\.now\s*\(/, "reads the clock (Date.now)"],
  [/\bnew\s+Date\s*\(\s*\)/, "reads the clock (new Date())"],
  [/\bperformance\s*\.\s*now\b/, "reads the clock (performance.now)"],
  [/\bMath\.random\b/, "uses randomness (Math.random)"],
  [/\bcrypto\s*\.\s*(getRandomValues|randomUUID|randomBytes)\b/, "uses randomness (crypto)"],
  [/\bfetch\s*\(/, "uses the network (fetch)"],
  [/\bglobalThis\b/, "reaches global state (globalThis)"],
  [/\brequire\s*\(/, "loads modules dynamically (require)"],
  [/\bimport\s*\(/, "loads modules dynamically (import())"],
  [/\b(setTimeout|setInterval|setImmediate)\s*\(/, "schedules work on a timer"],
];

const importPattern =
  /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** Lists every violation in the .ts files under dir, as `file:line: reason`. */
export function findViolations(dir) {
  const problems = [];
  for (const file of listTs(dir)) {
    const text = readFileSync(file, "utf8");
    const name = relative(dir, file);
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? match[2] ?? "";
      if (!allowedImport.test(spec)) {
        const at = (match.index ?? 0) + match[0].length - match[0].trimStart().length;
        problems.push(
          `${name}:${lineOf(text, at)}: imports "${spec}" (only fp-ts, io-ts and relative modules are allowed)`,
        );
      }
    }
    const code = stripComments(text);
    code.split("\n").forEach((line, index) => {
      for (const [pattern, reason] of forbidden) {
        if (pattern.test(line)) problems.push(`${name}:${index + 1}: ${reason}`);
      }
    });
  }
  return problems;
}

function listTs(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return listTs(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function lineOf(text, index) {
  return text.slice(0, index).split("\n").length;
}

// Blanks out comments while keeping line numbers, so TSDoc may mention what code must not do.
function stripComments(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`])\/\/[^\n]*/g, "$1");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? fileURLToPath(new URL("../packages/core/src", import.meta.url));
  const problems = findViolations(dir);
  if (problems.length > 0) {
    console.error(`packages/core must stay pure; ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log(
    `core purity: ${dir} imports only fp-ts, io-ts and itself, and reads no clock, env, randomness or network`,
  );
}
