import { DeleteAccessKeyCommand, DeleteUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { BatchUpdateFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import type { ScenarioUser } from "@keyrotate/sandbox";
import {
  asffProblems,
  type Harness,
  secretHygiene,
  startHarness,
  useNewestKey,
} from "@keyrotate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogEntry } from "../src/log.js";
import type { RunReport } from "../src/report.js";

const OVERDUE_KEY = "AKIAOVERDUEXXXXX0001";
const GONE_KEY = "AKIAGONEXXXXXXXX0001";
const IDLE_KEY = "AKIAIDLEXXXXXXXX0001";

/**
 * On 2026-01-01: a working user with an overdue key, a user no one handles who will go, and one
 * whose key goes unused.
 */
const users: ScenarioUser[] = [
  {
    name: "overdue",
    tags: { email: "overdue@example.com" },
    keys: [{ ageDays: 95, lastUsedDaysAgo: 0, id: OVERDUE_KEY }],
  },
  { name: "gone", keys: [{ ageDays: 100, lastUsedDaysAgo: 0, id: GONE_KEY }] },
  // Unused for 50 days: fails IAM.22; the daily scan reads it on reminder days only (day 2, 9).
  {
    name: "idle",
    tags: { email: "idle@example.com" },
    keys: [{ ageDays: 50, lastUsedDaysAgo: 50, id: IDLE_KEY }],
  },
];

const DAYS = 40;

let h: Harness;
const reports: RunReport[] = [];
const logs: LogEntry[] = [];
let dryRun: RunReport;
let findingsBeforeDryRun = 0;
let findingsAfterDryRun = 0;
const findingsOnDay: ReturnType<Harness["sandbox"]["findings"]>[] = [];

const findingOf = (control: string, subject: string) =>
  h.sandbox.findings().find((f) => f.Id === `keyrotate/123456789012/${control}/${subject}`);

beforeAll(async () => {
  h = await startHarness(users, { SECURITY_HUB: "on" });
  const config = h.sandbox.clientConfig();
  const hub = new SecurityHubClient(config);
  const iam = new IAMClient(config);
  findingsBeforeDryRun = h.sandbox.findings().length;
  dryRun = await h.run({ dryRun: true });
  findingsAfterDryRun = h.sandbox.findings().length;
  for (let day = 0; day < DAYS; day += 1) {
    if (day > 0) h.sandbox.clock.advanceDays(1);
    await useNewestKey(h, "overdue");
    if (day === 1) {
      // The security team takes the overdue key's finding in hand.
      const f = findingOf("IAM.3", OVERDUE_KEY);
      await hub.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: f?.Id as string, ProductArn: f?.ProductArn as string }],
          Workflow: { Status: "NOTIFIED" },
        }),
      );
      // And someone removes the user no one handles.
      await iam.send(new DeleteAccessKeyCommand({ UserName: "gone", AccessKeyId: GONE_KEY }));
      await iam.send(new DeleteUserCommand({ UserName: "gone" }));
    }
    reports.push(await h.run({ log: (e) => logs.push(e) }));
    findingsOnDay.push(h.sandbox.findings());
  }
}, 120_000);

afterAll(async () => {
  await h.close();
});

describe("Security Hub findings over a key's lifecycle (SECURITY_HUB=on)", () => {
  it("imports nothing in a dry run, and says how many findings it would import", () => {
    expect(findingsAfterDryRun).toBe(findingsBeforeDryRun);
    expect(dryRun.channels?.securityHub).toMatchObject({ status: "dry-run", sent: 0 });
    expect(dryRun.channels?.securityHub.planned).toBeGreaterThanOrEqual(2);
  });

  it("imports a finding per key failing IAM.3 on the first day, every run reporting them sent", () => {
    const first = findingsOnDay[0] ?? [];
    expect(first.map((f) => f.Id).sort()).toEqual([
      `keyrotate/123456789012/IAM.3/${GONE_KEY}`,
      `keyrotate/123456789012/IAM.3/${OVERDUE_KEY}`,
    ]);
    expect(reports[0]?.users.map((u) => u.userName)).not.toContain("idle");
    expect(first.every((f) => f.RecordState === "ACTIVE")).toBe(true);
    expect(reports.map((r) => r.channels?.securityHub.status)).toEqual(reports.map(() => "sent"));
  });

  it("archives the finding of a user who is gone", () => {
    expect(findingOf("IAM.3", GONE_KEY)).toMatchObject({
      RecordState: "ARCHIVED",
      Compliance: { Status: "PASSED" },
    });
    expect((findingsOnDay[1] ?? []).find((f) => String(f.Id).endsWith(GONE_KEY))?.RecordState).toBe(
      "ARCHIVED",
    );
  });

  it("flags two Active keys while the old one waits, then archives both once it is deactivated", () => {
    const rotatedOn = reports.findIndex((r) =>
      r.users.some((u) => u.userName === "overdue" && u.newKeyId !== undefined),
    );
    expect(rotatedOn).toBeGreaterThan(0);
    const twoKeys = (findingsOnDay[rotatedOn] ?? []).find(
      (f) => f.Id === "keyrotate/123456789012/CIS-1.13/user/overdue",
    );
    expect(twoKeys?.RecordState).toBe("ACTIVE");
    expect(findingOf("CIS-1.13", "user/overdue")?.RecordState).toBe("ARCHIVED");
    expect(findingOf("IAM.3", OVERDUE_KEY)?.RecordState).toBe("ARCHIVED");
    // The new key fails no control of its own: no finding is about it.
    const newKey = reports[rotatedOn]?.users.find((u) => u.userName === "overdue")?.newKeyId;
    expect(newKey).toBeDefined();
    expect(h.sandbox.findings().filter((f) => String(f.Id).endsWith(String(newKey)))).toEqual([]);
  });

  it("keeps a finding while its user is not read and its last use is unknown, and archives it once the key is retired", () => {
    const idleOn = (day: number) =>
      (findingsOnDay[day] ?? []).find((f) => f.Id === `keyrotate/123456789012/IAM.22/${IDLE_KEY}`)
        ?.RecordState;
    expect(reports[3]?.users.map((u) => u.userName)).not.toContain("idle");
    expect([idleOn(1), idleOn(2), idleOn(3), idleOn(8)]).toEqual([
      undefined,
      "ACTIVE",
      "ACTIVE",
      "ACTIVE",
    ]);
    expect(findingOf("IAM.22", IDLE_KEY)?.RecordState).toBe("ARCHIVED");
  });

  it("leaves the workflow status the security team set, through updates and archiving", () => {
    expect(findingOf("IAM.3", OVERDUE_KEY)?.Workflow).toEqual({ Status: "NOTIFIED" });
  });

  it("imports only findings that pass the ASFF checker, and no secret in any of them", () => {
    expect(h.sandbox.findings().flatMap((f) => asffProblems(f))).toEqual([]);
    expect(() => secretHygiene(h.sandbox).assertClean({ reports, logs })).not.toThrow();
    expect(secretHygiene(h.sandbox).secrets().length).toBeGreaterThan(2);
  });
});
