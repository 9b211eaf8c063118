/**
 * A real Lambda container for the process tests: imports the built bundle (`argv[2]`), makes its
 * handler with the bundle's own `createHandler` on the sandbox's clock (as
 * `packages/lambda/test/handler.bundle.integration.test.ts` does), invokes it once with a fake
 * context, and writes the run report to `KEYROTATE_REPORT_FILE`.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { fakeContext } from "@keyrotate/testkit";

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const bundlePath = process.argv[2];
const url = process.env.AWS_ENDPOINT_URL;
const reportFile = process.env.KEYROTATE_REPORT_FILE;
if (bundlePath === undefined || url === undefined || reportFile === undefined) {
  throw new Error(
    "usage: bundle-child <bundle.mjs>, with AWS_ENDPOINT_URL and KEYROTATE_REPORT_FILE",
  );
}
const { now } = (await (await fetch(`${url}/_sandbox/clock`)).json()) as { now: string };
const mod = (await import(pathToFileURL(bundlePath).href)) as {
  createHandler: (deps: { env: NodeJS.ProcessEnv; now: () => Date }) => Handler;
};
const handler = mod.createHandler({ env: process.env, now: () => new Date(now) });
const report = await handler(
  {},
  fakeContext(() => 600_000),
);
writeFileSync(reportFile, JSON.stringify(report));
