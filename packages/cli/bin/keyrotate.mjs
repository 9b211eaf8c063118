#!/usr/bin/env node
// The `keyrotate` executable. A published build runs the compiled `dist/main.js`; in the
// workspace (no build) it registers tsx's ESM loader in this process and runs `src/main.ts`, so
// `pnpm exec keyrotate …` works from a checkout. The exit code is the one `main` sets.
import { existsSync } from "node:fs";

const built = new URL("../dist/main.js", import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../src/main.ts", import.meta.url).href);
}
