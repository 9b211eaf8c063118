// Smoke test of the deployed Lambda bundle, as shipped in the installed @keyrotate/lambda: imports
// dist/index.mjs on this Node (the runtime's), invokes `handler` once in a dry run against the
// sandbox the environment points at (DRY_RUN=true in it), and checks the run report. Exit code 0
// when all is well.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const pkg = createRequire(import.meta.url).resolve("@keyrotate/lambda/package.json");
// The file the deployment zip holds, imported by path as the Lambda runtime does.
const bundle = join(dirname(pkg), "dist/index.mjs");
const { handler } = await import(pathToFileURL(bundle).href);
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: "keyrotate",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:keyrotate",
  memoryLimitInMB: "256",
  awsRequestId: randomUUID(),
  logGroupName: "/aws/lambda/keyrotate",
  logStreamName: "smoke",
  getRemainingTimeInMillis: () => 900_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};
const report = await handler({}, context);
const problems = [];
if (report.status !== "completed") problems.push(`status ${report.status}`);
if (report.dryRun !== true) problems.push("not a dry run");
if (report.counts.usersSeen < 3) problems.push(`saw ${report.counts.usersSeen} users, expected 3`);
if (problems.length > 0) {
  console.error(`lambda bundle on Node ${process.version}: ${problems.join("; ")}`);
  process.exit(1);
}
console.error(`lambda bundle on Node ${process.version}: ok (${report.counts.usersSeen} users)`);
