import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findViolations } from "../../../scripts/check-core-purity.mjs";

const coreSrc = fileURLToPath(new URL("../src", import.meta.url));

describe("the core purity check (run by CI)", () => {
  it("finds nothing in packages/core/src", () => {
    expect(findViolations(coreSrc)).toEqual([]);
  });

  it.each([
    ['import { IAMClient } from "@aws-sdk/client-iam";', 'imports "@aws-sdk/client-iam"'],
    ['import { readFileSync } from "node:fs";', 'imports "node:fs"'],
    ['import * as fs from "fs";', 'imports "fs"'],
    ['export { x } from "lodash";', 'imports "lodash"'],
    ["const today = new Date();", "reads the clock (new Date())"],
    ["const t = Date.now();", "reads the clock (Date.now)"],
    ["const r = Math.random();", "uses randomness"],
    ["const e = process.env.WARNING_DAYS;", "reads the process"],
    ['const r = await fetch("https://example.com");', "uses the network"],
    ['const m = await import("node:fs");', "loads modules dynamically"],
    ["setTimeout(() => 1, 5);", "schedules work on a timer"],
  ])("fails on %s", (line, reason) => {
    const dir = mkdtempSync(join(tmpdir(), "purity-"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "bad.ts"), `// a comment about Date.now() is fine\n${line}\n`);
    const problems = findViolations(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("bad.ts:2");
    expect(problems[0]).toContain(reason);
  });

  it("allows fp-ts, io-ts, relative imports and a date built from arguments", () => {
    const dir = mkdtempSync(join(tmpdir(), "purity-"));
    writeFileSync(
      join(dir, "ok.ts"),
      'import * as E from "fp-ts/lib/Either.js";\nimport * as t from "io-ts";\nimport { x } from "./x.js";\nconst d = new Date(Date.UTC(2026, 0, 1));\n',
    );
    expect(findViolations(dir)).toEqual([]);
  });
});
