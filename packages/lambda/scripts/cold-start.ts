import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BuildResult, buildLambda, packageDir } from "./build.js";

/** Settings that decode, so that importing the bundle builds the clients as in Lambda. */
const coldStartEnv: Readonly<Record<string, string>> = {
  SES_EMAIL: "keyrotate@example.com",
  SES_REGION: "eu-west-1",
  S3_CSV_BUCKET: "keyrotate-credentials",
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "AKIAEXAMPLECOLDSTART",
  AWS_SECRET_ACCESS_KEY: "not-a-real-secret-only-for-client-construction",
  AWS_LAMBDA_FUNCTION_NAME: "keyrotate",
};

// Runs in a fresh node: the time to import the bundle, which decodes the settings and builds
// the three clients at module scope, as a Lambda init does.
const probe = `
const t0 = performance.now();
const m = await import(process.argv[1]);
if (typeof m.handler !== "function") throw new Error("no handler export");
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));
`;

/** Median of the import time of `bundlePath` in `runs` fresh node processes, in ms. */
export const measureColdStart = (bundlePath: string, runs = 10): number => {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const out = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", probe, pathToFileURL(bundlePath).href],
      {
        env: { PATH: process.env.PATH ?? "", ...coldStartEnv },
        encoding: "utf8",
        // The SDK's warnings (e.g. about the Node version) are not the measurement.
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    times.push((JSON.parse(out) as { ms: number }).ms);
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  return times.length % 2 === 1
    ? (times[mid] as number)
    : ((times[mid - 1] as number) + (times[mid] as number)) / 2;
};

// The SDK the Lambda runtime would provide, stood in for by the workspace's own copy: a
// node_modules beside the external-SDK bundle with links to the adapter's SDK clients.
const linkWorkspaceSdk = (outDir: string): void => {
  const adapter = createRequire(join(packageDir, "../aws-adapter/package.json"));
  mkdirSync(join(outDir, "node_modules/@aws-sdk"), { recursive: true });
  for (const client of ["client-iam", "client-s3", "client-ses"]) {
    const pkg = realpathSync(dirname(adapter.resolve(`@aws-sdk/${client}/package.json`)));
    symlinkSync(pkg, join(outDir, "node_modules/@aws-sdk", client), "dir");
  }
};

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const runs = 10;
  const bundled: BuildResult = await buildLambda();
  const bundledMs = measureColdStart(bundled.bundlePath, runs);
  const scratch = mkdtempSync(join(tmpdir(), "keyrotate-external-sdk-"));
  try {
    const external = await buildLambda({ outDir: scratch, externalSdk: true });
    linkWorkspaceSdk(scratch);
    const externalMs = measureColdStart(external.bundlePath, runs);
    console.log(`node ${process.version}, ${runs} fresh processes each, median:`);
    console.log(
      `SDK bundled (shipped):  bundle ${kib(bundled.bundleBytes)}, zip ${kib(bundled.zipBytes)}, cold start ${bundledMs.toFixed(0)} ms`,
    );
    console.log(
      `SDK from the runtime:   bundle ${kib(external.bundleBytes)}, zip ${kib(external.zipBytes)}, cold start ${externalMs.toFixed(0)} ms`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
