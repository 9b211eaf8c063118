import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { zip } from "./zip.js";

/** The package's root directory. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Options of {@link buildLambda}. */
export interface BuildOptions {
  /** Where the outputs go (default `<package>/dist`). */
  readonly outDir?: string;
  /**
   * Leave `@aws-sdk/*` out of the bundle and use the SDK of the Lambda runtime (default false:
   * the SDK is bundled, so the code runs with the SDK version it was tested with).
   */
  readonly externalSdk?: boolean;
  readonly minify?: boolean;
  /** The module bundled (default this package's `src/bundle.ts`); another package's handlers too. */
  readonly entry?: string;
  /** The deployment package's name (default `keyrotate-lambda.zip`). */
  readonly zipName?: string;
}

/** What {@link buildLambda} wrote. */
export interface BuildResult {
  /** `index.mjs`: what a cold start loads. */
  readonly bundlePath: string;
  readonly sourceMapPath: string;
  readonly zipPath: string;
  /**
   * What a cold start loads: `index.mjs` and the chunks it imports statically (the limit
   * {@link BUNDLE_LIMIT_BYTES} applies to it).
   */
  readonly bundleBytes: number;
  /**
   * `index.mjs` and every chunk (`chunks/*.mjs`): code loaded only when a setting needs it (the
   * Security Hub, SNS and chat channels).
   */
  readonly totalBytes: number;
  readonly zipBytes: number;
}

/** The bundle's limit: the handler should stay small enough to start fast. */
export const BUNDLE_LIMIT_BYTES = 1024 * 1024;

/**
 * Bundles the handler with esbuild into minified ESM, `index.mjs` (Lambda handler
 * `index.handler`) and the chunks it imports only when needed (`chunks/`: the optional channels
 * and their SDK commands, kept out of the cold start), with source maps beside them, and zips
 * the code into the deployment package `keyrotate-lambda.zip`.
 *
 * @example const { zipPath } = await buildLambda();
 */
export const buildLambda = async (options: BuildOptions = {}): Promise<BuildResult> => {
  const outDir = options.outDir ?? join(packageDir, "dist");
  const bundlePath = join(outDir, "index.mjs");
  const zipPath = join(outDir, options.zipName ?? "keyrotate-lambda.zip");
  mkdirSync(outDir, { recursive: true });
  const built = await build({
    entryPoints: [options.entry ?? join(packageDir, "src/bundle.ts")],
    outdir: outDir,
    entryNames: "index",
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    // A dynamic import() becomes a chunk of its own, loaded on first use only.
    splitting: true,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: options.minify ?? true,
    sourcemap: "external",
    sourcesContent: false,
    legalComments: "none",
    // Packages prefer their ESM entry points, which tree-shake better.
    mainFields: ["module", "main"],
    // keyrotate's own packages from their sources, so the bundle needs no build of them first;
    // "module" is esbuild's default condition, dropped once any condition is given (the SDK's
    // ESM build tree-shakes: 629 KiB instead of 777).
    conditions: ["@keyrotate/source", "module"],
    external: options.externalSdk === true ? ["@aws-sdk/*", "@smithy/*"] : [],
    // Some CommonJS dependencies call require() for Node built-ins.
    banner: {
      js: 'import { createRequire as __keyrotateCreateRequire } from "node:module"; const require = __keyrotateCreateRequire(import.meta.url);',
    },
    logLevel: "warning",
    write: false,
    metafile: true,
  });
  const bundle = built.outputFiles.find((f) => f.path === bundlePath);
  if (bundle === undefined) throw new Error(`esbuild wrote no ${bundlePath}`);
  for (const file of built.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeAtomically(file.path, file.contents);
  }
  const code = built.outputFiles
    .filter((f) => f.path.endsWith(".mjs"))
    .map((f) => ({ name: relative(outDir, f.path).split(sep).join("/"), data: f.contents }))
    .sort((a, b) =>
      a.name === "index.mjs" ? -1 : b.name === "index.mjs" ? 1 : a.name < b.name ? -1 : 1,
    );
  writeAtomically(zipPath, zip(code));
  // The outputs a cold start loads: the entry and, transitively, what it imports statically.
  const outputs = built.metafile.outputs;
  const loaded = new Set<string>();
  const load = (path: string): void => {
    const out = outputs[path];
    if (out === undefined || loaded.has(path)) return;
    loaded.add(path);
    for (const i of out.imports) if (i.kind === "import-statement" && !i.external) load(i.path);
  };
  load(relative(process.cwd(), bundlePath).split(sep).join("/"));
  return {
    bundlePath,
    sourceMapPath: `${bundlePath}.map`,
    zipPath,
    bundleBytes: [...loaded].reduce((n, p) => n + (outputs[p]?.bytes ?? 0), 0),
    totalBytes: code.reduce((n, f) => n + f.data.length, 0),
    zipBytes: statSync(zipPath).size,
  };
};

/**
 * Writes a file whole or not at all (a temporary file renamed over it), so that a test or a
 * bench importing the bundle while another process rebuilds it never reads half a file.
 */
const writeAtomically = (path: string, data: Uint8Array): void => {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
};

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await buildLambda({ externalSdk: process.argv.includes("--external-sdk") });
  console.log(
    `${result.bundlePath}: ${kib(result.bundleBytes)} loaded at a cold start (${kib(result.totalBytes)} with the chunks loaded on demand)`,
  );
  console.log(`${result.zipPath}: ${kib(result.zipBytes)}`);
  if (result.bundleBytes > BUNDLE_LIMIT_BYTES) {
    console.error(`the bundle is over its limit of ${kib(BUNDLE_LIMIT_BYTES)}`);
    process.exitCode = 1;
  }
}
