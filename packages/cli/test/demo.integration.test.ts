import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_NOTICE_KINDS } from "../src/demo/summary.js";
import { runDemoInTemp } from "./demoOutput.js";
import { cli } from "./harness.js";

const listFiles = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
};

describe("keyrotate demo --days 30", () => {
  let demo: Awaited<ReturnType<typeof runDemoInTemp>>;
  let files: string[];

  beforeAll(async () => {
    demo = await runDemoInTemp(30);
    files = await listFiles(demo.dir);
  }, 60_000);
  afterAll(() => rm(dirname(demo.dir), { recursive: true, force: true }));

  it("runs the lifecycle day by day and reports that the invariants held", () => {
    expect(demo.code).toBe(0);
    const out = demo.stdout;
    expect(out).toContain(
      "keyrotate demo: 30 days from 2026-03-01, 25 users, one Lambda run a day",
    );
    expect(out).toContain(`Output folder: ${demo.dir}`);
    expect(out).toMatch(/^day 1 \(2026-03-01\)\n/m);
    expect(out).toMatch(/^ {2}cara: rotated AKIA…\w{4} → AKIA…\w{4}$/m);
    expect(out).toMatch(/^ {2}hana: deactivated unused AKIA…\w{4}$/m);
    expect(out).toMatch(/^ {2}sam: deleted AKIA…0001$/m);
    expect(out).toMatch(/^ {2}rita: deactivated AKIA…0001$/m);
    expect(out).toMatch(/^ {2}cara: deleted AKIA…\w{4}$/m);
    expect(out).toMatch(/^ {2}eve: two-active-keys notice sent$/m);
    expect(out).toMatch(/^ {2}mia: warning sent$/m);
    expect(out).toMatch(
      /^ {2}ops-deployer: FAILED at "store the new key's secret in S3": .*; the new key AKIA…\w{4} was undone/m,
    );
    expect(out).toMatch(
      /^ {2}walt: a rotation of AKIAWALT000000000001 crashed before it was complete; .*; rotated AKIA…0001 → AKIA…\w{4}$/m,
    );
    expect(out).toMatch(/^ {2}uma: tracking tags removed: .*; rotated/m);
    expect(out).toMatch(/^ {2}rosa: rotated/m);
    expect(out).toMatch(
      /^ {2}\* settings change \(the Lambda redeployed\): TWO_ACTIVE_KEYS=enforce/m,
    );
    // Quiet days are left out of the timeline.
    expect(out).not.toMatch(/^day 5 /m);
    expect(out).toMatch(
      /notices: +\d+ \(Warning \d+, TwoActiveKeys [1-9]\d*, Rotated [1-9]\d*, Deactivated [1-9]\d*, DeactivatedUnused [1-9]\d*, Deleted [1-9]\d*\)/,
    );
    expect(out).toMatch(
      /failures: +1 \(ops-deployer on day 2; injected by the demo, undone and retried\)/,
    );
    expect(out).toMatch(/iam:CreateAccessKey +\d+/);
    expect(out).toMatch(
      /invariants: +held: no Active key deleted \(\d+ deletions checked\); every user who had an Active key still has one \(except hana, ivan: deactivated as unused, as UNUSED_DAYS allows\); (\d+) of \1 created keys stored in S3 and announced; no secret in any email, report or log/,
    );
  });

  it("writes the emails of every kind as html, txt and eml", () => {
    // The kinds the summary counts; the notices line above pins them one by one.
    for (const kind of DEMO_NOTICE_KINDS) {
      const names = files.filter((f) => f.startsWith("emails/") && f.includes(`-${kind}.`));
      expect(
        names.some((f) => f.endsWith(".html")),
        kind,
      ).toBe(true);
      expect(
        names.some((f) => f.endsWith(".txt")),
        kind,
      ).toBe(true);
      expect(
        names.some((f) => f.endsWith(".eml")),
        kind,
      ).toBe(true);
    }
    expect(files).toContain("emails/001-cara-Rotated.eml");
    expect(files).not.toContainEqual(expect.stringContaining("unmatched"));
  });

  it("writes the stored credential files, the last run report and the compliance reports", async () => {
    const credentials = files.filter((f) =>
      /^credentials\/credential\/[\w-]+\/[\w-]+_AKIA\w+\.csv$/.test(f),
    );
    expect(credentials.length).toBeGreaterThanOrEqual(8);
    const body = await readFile(join(demo.dir, credentials[0] as string), "utf8");
    expect(body).toMatch(/^UserName,AccessKeyId,SecretAccessKey\n[\w-]+,AKIA\w{16},\S{40}\n$/);
    expect(files).toEqual(
      expect.arrayContaining([
        ".keyrotate-demo",
        "credentials/README.txt",
        "run-report.json",
        "compliance.html",
        "compliance.csv",
        "compliance.json",
        "timeline.txt",
      ]),
    );
    const report = JSON.parse(await readFile(join(demo.dir, "run-report.json"), "utf8"));
    expect(report).toMatchObject({ schemaVersion: 1, date: "2026-03-30", status: "completed" });
    const compliance = JSON.parse(await readFile(join(demo.dir, "compliance.json"), "utf8"));
    expect(compliance.summary.users).toBe(25);
  });

  it("never shows a stored secret anywhere but in the credential files", async () => {
    const secrets: string[] = [];
    for (const f of files.filter((f) => f.startsWith("credentials/credential/"))) {
      secrets.push(
        (await readFile(join(demo.dir, f), "utf8")).trim().split("\n")[1]?.split(",")[2] ?? "",
      );
    }
    expect(secrets.every((s) => s.length === 40)).toBe(true);
    const elsewhere = [demo.stdout, demo.stderr];
    for (const f of files.filter((f) => !f.startsWith("credentials/"))) {
      elsewhere.push(await readFile(join(demo.dir, f), "utf8"));
    }
    for (const secret of secrets) {
      for (const text of elsewhere) expect(text.includes(secret)).toBe(false);
    }
  });

  it("refuses an output folder that holds someone else's files", async () => {
    await writeFile(join(dirname(demo.dir), "note.txt"), "mine");

    const { code, stderr } = await cli(["demo", "--days", "1", "--out", dirname(demo.dir)]);

    expect(code).toBe(2);
    expect(stderr).toContain("was not made by the demo");
  });
});
