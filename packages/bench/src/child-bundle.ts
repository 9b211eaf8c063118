import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { repoRoot } from "./options.js";

/** The child entry points of the account suite. */
export const CHILD_ENTRIES = ["keyrotate-child", "baseline-child", "org-child"] as const;

/** A child entry point's name. */
export type ChildEntry = (typeof CHILD_ENTRIES)[number];

/** esbuild's `build`, as much of it as is used here. */
type Build = (options: Record<string, unknown>) => Promise<unknown>;

/**
 * esbuild, from the Lambda package, which bundles with it (the bench has no copy of its own).
 * The Lambda suite needs that package's dependencies anyway.
 */
const loadEsbuild = async (): Promise<Build> => {
  const fromLambda = createRequire(join(repoRoot, "packages/lambda/package.json"));
  const mod = (await import(pathToFileURL(fromLambda.resolve("esbuild")).href)) as {
    build?: Build;
    default?: { build: Build };
  };
  const build = mod.build ?? mod.default?.build;
  if (build === undefined) throw new Error("esbuild has no build function");
  return build;
};

/**
 * Bundles the account suite's child entry points into plain ESM files in `outDir`, so that the
 * children run on bare Node, as the Lambda does, and their peak memory is keyrotate's and the
 * SDK's alone, without a TypeScript loader (tsx's loader thread costs about 35 MiB of RSS).
 * Returns the path of each bundle.
 */
export const bundleChildren = async (outDir: string): Promise<Record<ChildEntry, string>> => {
  const build = await loadEsbuild();
  const paths = {} as Record<ChildEntry, string>;
  for (const name of CHILD_ENTRIES) {
    const outfile = join(outDir, `${name}.mjs`);
    await build({
      entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
      outfile,
      bundle: true,
      platform: "node",
      target: "node22",
      format: "esm",
      mainFields: ["module", "main"],
      // The workspace packages from their sources (see their package.json exports); "module" is
      // esbuild's default condition, which giving any condition drops.
      conditions: ["@keyrotate/source", "module"],
      banner: {
        js: 'import { createRequire as __benchCreateRequire } from "node:module"; const require = __benchCreateRequire(import.meta.url);',
      },
      logLevel: "warning",
    });
    paths[name] = outfile;
  }
  return paths;
};
