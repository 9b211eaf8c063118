import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_LIMIT_BYTES, buildLambda } from "@keyrotate/lambda/build";

/** The package's root directory. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Bundles the three handlers into `<outDir>/index.mjs` (default `dist/`) and zips it as
 * `keyrotate-org.zip` beside it, with the Lambda package's esbuild settings (one ESM file,
 * Node 22, the SDK bundled).
 */
export const buildOrg = (outDir = join(packageDir, "dist")) =>
  buildLambda({ entry: join(packageDir, "src/bundle.ts"), outDir, zipName: "keyrotate-org.zip" });

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await buildOrg();
  console.log(`${result.bundlePath}: ${(result.bundleBytes / 1024).toFixed(1)} KiB`);
  console.log(`${result.zipPath}: ${(result.zipBytes / 1024).toFixed(1)} KiB`);
  if (result.bundleBytes > BUNDLE_LIMIT_BYTES) {
    console.error(`the bundle is over its limit of ${BUNDLE_LIMIT_BYTES / 1024} KiB`);
    process.exitCode = 1;
  }
}
