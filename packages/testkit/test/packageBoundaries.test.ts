import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Packages reach each other only by name (`@keyrotate/x`, an exported subpath), never by a
// relative path into another package's folder: such an import skips the other package's
// exports, so it breaks when that package moves a file, and it is invisible to pnpm.

const packagesDir = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const FOLDERS = ["src", "test", "bench", "scripts"];
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory())
      return e.name === "node_modules" || e.name === "dist" ? [] : sourceFiles(path);
    return /\.(?:ts|mts|js|mjs)$/.test(e.name) ? [path] : [];
  });

const inside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel !== ".." && !rel.startsWith(`..${sep}`);
};

/** The relative imports of `text` (a file in `packageDir`) that land in another package. */
const crossPackageImports = (file: string, text: string, packageDir: string): string[] =>
  [...text.matchAll(SPECIFIER)]
    .map((m) => m[1] as string)
    .filter((spec) => spec.startsWith("."))
    .filter((spec) => {
      const target = resolve(dirname(file), spec);
      return inside(packagesDir, target) && !inside(packageDir, target);
    });

describe("package boundaries", () => {
  it("finds an import that climbs into another package's folder", () => {
    // Prepare: a test file of the reliability package that reaches into two other packages, into
    // its own sources, and into the repository's scripts (not a package).
    const pkg = join(packagesDir, "reliability");
    const file = join(pkg, "test", "example.test.ts");
    const up = "../..";
    const text = [
      `import { buildLambda } from "${up}/lambda/scripts/build.js";`,
      `import { checkAccount } from "../src/processes.js";`,
      `const later = await import("${up}/aws-adapter/test/sandboxHarness.js");`,
      `import { checkPurity } from "${up}/../scripts/check-core-purity.mjs";`,
    ].join("\n");

    // Act
    const found = crossPackageImports(file, text, pkg);

    // Assess: the two imports into other packages, neither the package's own nor the scripts'.
    expect(found).toEqual([
      "../../lambda/scripts/build.js",
      "../../aws-adapter/test/sandboxHarness.js",
    ]);
  });

  it("no package imports another package's files by relative path", () => {
    // Prepare
    const packages = readdirSync(packagesDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(packagesDir, e.name));

    // Act
    const offending = packages.flatMap((pkg) =>
      FOLDERS.flatMap((folder) => {
        try {
          return sourceFiles(join(pkg, folder));
        } catch {
          return []; // the package has no such folder
        }
      }).flatMap((file) =>
        crossPackageImports(file, readFileSync(file, "utf8"), pkg).map(
          (spec) => `${relative(packagesDir, file)}: ${spec}`,
        ),
      ),
    );

    // Assess
    expect(offending).toEqual([]);
  });
});
