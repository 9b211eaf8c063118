import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
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
  readonly bundlePath: string;
  readonly sourceMapPath: string;
  readonly zipPath: string;
  readonly bundleBytes: number;
  readonly zipBytes: number;
}

/** The bundle's limit: the handler should stay small enough to start fast. */
export const BUNDLE_LIMIT_BYTES = 1024 * 1024;

/**
 * Bundles the handler with esbuild into one minified ESM file, `index.mjs` (Lambda handler
 * `index.handler`), with a source map beside it, and zips the bundle into the deployment
 * package `keyrotate-lambda.zip`.
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
    outfile: bundlePath,
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
  });
  const bundle = built.outputFiles.find((f) => f.path === bundlePath);
  if (bundle === undefined) throw new Error(`esbuild wrote no ${bundlePath}`);
  for (const file of built.outputFiles) writeAtomically(file.path, file.contents);
  writeAtomically(zipPath, zip([{ name: "index.mjs", data: bundle.contents }]));
  return {
    bundlePath,
    sourceMapPath: `${bundlePath}.map`,
    zipPath,
    bundleBytes: statSync(bundlePath).size,
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
  console.log(`${result.bundlePath}: ${kib(result.bundleBytes)}`);
  console.log(`${result.zipPath}: ${kib(result.zipBytes)}`);
  if (result.bundleBytes > BUNDLE_LIMIT_BYTES) {
    console.error(`the bundle is over its limit of ${kib(BUNDLE_LIMIT_BYTES)}`);
    process.exitCode = 1;
  }
}
