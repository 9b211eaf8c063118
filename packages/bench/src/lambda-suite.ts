import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// The Lambda package's own build and cold-start probe, so that the bench measures exactly what
// `pnpm --filter @keyrotate/lambda build` ships.
import { BUNDLE_LIMIT_BYTES, buildLambda } from "@keyrotate/lambda/build";
import { measureColdStart } from "@keyrotate/lambda/cold-start";

/** The Lambda suite's figures. */
export interface LambdaResult {
  /** What a cold start loads: `index.mjs` and the chunks it imports statically (minified, SDK bundled). */
  readonly bundleBytes: number;
  /** Every file of the bundle, the channels' chunks loaded on demand included. */
  readonly totalBytes: number;
  readonly zipBytes: number;
  readonly bundleLimitBytes: number;
  /** Median import time of the bundle in fresh Node processes (settings decoded, clients built). */
  readonly coldStartMedianMs: number;
  readonly coldStarts: number;
}

/**
 * The Lambda suite: builds the bundle with the Lambda package's `buildLambda` into a scratch
 * directory (a fresh clone has no `dist`), then takes the median of `runs` cold starts with its
 * `measureColdStart`: importing the bundle, which decodes the settings and builds the three
 * clients at module scope as a Lambda init does.
 */
export const runLambdaSuite = async (runs: number): Promise<LambdaResult> => {
  const scratch = mkdtempSync(join(tmpdir(), "keyrotate-bench-lambda-"));
  try {
    const built = await buildLambda({ outDir: scratch });
    return {
      bundleBytes: built.bundleBytes,
      totalBytes: built.totalBytes,
      zipBytes: built.zipBytes,
      bundleLimitBytes: BUNDLE_LIMIT_BYTES,
      coldStartMedianMs: measureColdStart(built.bundlePath, runs),
      coldStarts: runs,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};
