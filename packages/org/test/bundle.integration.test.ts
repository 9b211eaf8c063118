import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createAwsClients, type OrgReport } from "@keyrotate/aws-adapter";
import { type Sandbox, startSandbox } from "@keyrotate/sandbox";
import { fakeContext, memberScenario } from "@keyrotate/testkit";
import type { Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildOrg, packageDir } from "../scripts/build.js";
import type { ListOutput, SummariseEvent, WorkerEvent } from "../src/events.js";
import type { ListEvent } from "../src/list.js";
import { getJson } from "../src/store.js";
import type { SummariseOutput } from "../src/summarise.js";
import { runMap } from "./mapRun.js";

// The built bundle (index.mjs, as `pnpm build` makes it), loaded as Lambda loads it, with its
// settings, credentials and endpoint from process.env only: the SDK reaches the sandbox through
// AWS_ENDPOINT_URL, as it would a local emulator. Built into a directory of this process's own.

/** The bundle's makers: the deployed handlers are these, made with the real clock. */
interface Bundle {
  readonly createListHandler: (deps: Deps) => (e: ListEvent, c: Context) => Promise<ListOutput>;
  readonly createWorkerHandler: (deps: Deps) => (e: WorkerEvent, c: Context) => Promise<unknown>;
  readonly createSummariseHandler: (
    deps: Deps,
  ) => (e: SummariseEvent, c: Context) => Promise<SummariseOutput>;
}
type Deps = { readonly env: NodeJS.ProcessEnv; readonly now: () => Date };

const NOW = "2026-01-01T09:00:00Z";
const SENDER = "keyrotate@example.com";
const RESULTS = "keyrotate-org-results";
const delivery = { sender: SENDER, bucketOf: (id: string) => `keyrotate-credentials-${id}` };

const outDir = join(packageDir, "dist", `test-bundle-${process.pid}`);
let bundlePath = "";
beforeAll(async () => {
  bundlePath = (await buildOrg(outDir)).bundlePath;
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const saved = { ...process.env };
const open: Sandbox[] = [];
afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe("the bundle's three handlers", () => {
  it("list, run each account and summarise through AWS_ENDPOINT_URL with settings from process.env", async () => {
    // Prepare: a small organisation, and the functions' environment as the template sets it.
    const s = await startSandbox({
      now: NOW,
      reportGenerationMs: 5,
      seed: {
        buckets: [RESULTS],
        verifiedEmails: [SENDER],
        organization: {
          memberRole: { name: "KeyrotateMember", externalId: "bundle-test" },
          management: { role: null },
          accounts: [
            {
              id: "111111111111",
              name: "a",
              scenario: memberScenario(delivery, "111111111111", "a"),
            },
            {
              id: "222222222222",
              name: "b",
              scenario: memberScenario(delivery, "222222222222", "b"),
            },
            { id: "444444444444", name: "norole", role: null },
          ],
        },
      },
    });
    open.push(s);
    Object.assign(process.env, s.env(), {
      SES_EMAIL: SENDER,
      SES_REGION: s.region,
      S3_CSV_BUCKET: "keyrotate-credentials-{accountId}",
      MIN_NOTICE_DAYS: "0",
      IN_USE_DELAY_DAYS: "0",
      ORG_ROLE_NAME: "KeyrotateMember",
      ORG_EXTERNAL_ID: "bundle-test",
      ORG_EXCLUDE_ACCOUNTS: "123456789012",
      RESULTS_BUCKET: RESULTS,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    const bundle = (await import(`${pathToFileURL(bundlePath).href}?run=${process.pid}`)) as Bundle;
    // The deployed exports are these makers with the real clock; the test runs on the sandbox's.
    const deps = { env: process.env, now: () => s.clock.now() };
    const list = bundle.createListHandler(deps);
    const worker = bundle.createWorkerHandler(deps);
    const summarise = bundle.createSummariseHandler(deps);
    const { s3 } = createAwsClients({ settings: { sesRegion: s.region }, ...s.clientConfig() });
    // Act
    const listed = await list({ runId: "bundle-run", input: {} }, fakeContext());
    const map = await runMap(s3, listed, worker, "runs/bundle-run/results");
    const summary = await summarise({ list: listed, map }, fakeContext());
    // Assess
    const report = (await getJson(s3, RESULTS, summary.reportKey)) as OrgReport;
    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
      ["111111111111", "completed"],
      ["222222222222", "completed"],
      ["444444444444", "unreachable"],
    ]);
    expect(report.totals.users.rotated).toBe(2);
    expect(s.account("222222222222").objects("keyrotate-credentials-222222222222").length).toBe(1);
    expect(listed.date).toBe("2026-01-01");
    expect(summary.status).toBe("partial");
  });
});
