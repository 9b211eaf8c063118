import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemoInTemp } from "./demoOutput.js";
import { cli } from "./harness.js";

const CHROMIUM = "/usr/bin/chromium";
const screenshots = join(dirname(fileURLToPath(import.meta.url)), "screenshots");

describe("the demo's HTML in headless Chromium", () => {
  let browser: Browser | undefined;
  let dir: string;
  let emails: string[];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" (CI installs it)`,
      );
    }
    const demo = await runDemoInTemp(30);
    expect(demo.code).toBe(0);
    dir = demo.dir;
    emails = (await readdir(join(dir, "emails"))).filter((f) => f.endsWith(".html")).sort();
    await mkdir(screenshots, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) await rm(dirname(dir), { recursive: true, force: true });
  });

  /** Opens a file, refusing every request that is not the file itself; returns the page text. */
  const open = async (
    path: string,
    screenshot: string,
  ): Promise<{ text: string; outside: string[] }> => {
    if (browser === undefined) throw new Error("no browser");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const outside: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file://")) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(`file://${path}`);
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
    const text = await page.locator("body").innerText();
    await page.screenshot({ path: join(screenshots, screenshot), fullPage: true });
    await page.close();
    return { text, outside };
  };

  it("renders the compliance report with its controls, users and histogram, loading nothing else", async () => {
    const { text, outside } = await open(join(dir, "compliance.html"), "compliance-report.png");

    expect(outside).toEqual([]);
    expect(text).toContain("Access key compliance report");
    expect(text).toContain("Ensure credentials unused for 45 days or greater are disabled");
    expect(text).toContain(
      "Ensure there is only one active access key available for any single IAM user",
    );
    expect(text).toContain("Ensure access keys are rotated every 90 days or less");
    expect(text).toContain("IAM users' access keys should be rotated every 90 days or less");
    expect(text).toContain("Unused IAM user credentials should be removed");
    expect(text).toContain("key age in days");
    for (const user of ["ava", "nora", "quinn", "walt", "xavier"]) expect(text).toContain(user);
    expect(text).toMatch(/no-email/);
  });

  it("renders the organization's compliance report with its accounts, each account's users and the unreadable ones", async () => {
    // Prepare
    const orgDir = await mkdtemp(join(tmpdir(), "keyrotate-org-demo-"));
    try {
      const demo = await cli(["demo", "--org", "--out", orgDir, "--start", "2026-03-01"]);
      expect(demo.code).toBe(0);

      // Act
      const { text, outside } = await open(
        join(orgDir, "org-compliance.html"),
        "org-compliance-report.png",
      );

      // Assess
      expect(outside).toEqual([]);
      expect(text).toContain("Access key compliance report: organization");
      expect(text).toMatch(/444444444444\s+experiments\s+unreachable\s+.*AccessDenied/);
      expect(text).toContain("333333333333 legacy: suspended");
      expect(text).toMatch(/Account 222222222222 prod\s+3 users/);
      for (const user of ["shared-overdue", "prod-warned", "dev-fresh"])
        expect(text).toContain(user);
      expect(text).not.toContain("exp-overdue");
      expect(text).toContain("Ensure access keys are rotated every 90 days or less");
      expect(text).toContain("key age in days");
    } finally {
      await rm(orgDir, { recursive: true, force: true });
    }
  });

  const expectations: ReadonlyArray<readonly [string, RegExp]> = [
    ["Warning", /is \d+ days old\. It will be rotated on \d{4}-\d{2}-\d{2}/],
    ["TwoActiveKeys", /holds two active access keys/],
    [
      "Rotated",
      /has been rotated\. Your new key is AKIA\w{16}[\s\S]*aws s3 cp s3:\/\/keyrotate-demo-credentials\/credential\//,
    ],
    [
      "Deactivated",
      /has been deactivated: requests signed with it now fail\. It will be deleted on/,
    ],
    [
      "DeactivatedUnused",
      /(has never been used|was last used on \d{4}-\d{2}-\d{2}) and has been deactivated/,
    ],
    ["Deleted", /has been deleted, as announced/],
  ];
  for (const [kind, pattern] of expectations) {
    it(`renders a ${kind} email readably`, async () => {
      const file = emails.find((f) => f.endsWith(`-${kind}.html`));
      expect(file, `an email of kind ${kind}`).toBeDefined();

      const { text } = await open(join(dir, "emails", file as string), `email-${kind}.png`);

      expect(text).toMatch(/^Hello [\w-]+,/);
      expect(text).toMatch(pattern);
      expect(text).toContain("This message was sent by keyrotate (keyrotate-demo)");
    });
  }
});
