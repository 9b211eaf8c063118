import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type AccountCredentials,
  createAwsClients,
  createOrgClients,
  decodeOrgSettings,
  type OrgReport,
  runOrganization,
} from "@keyrotate/aws-adapter";
import { type CalendarDate, decodeSettings, formatSettingProblem } from "@keyrotate/core";
import {
  type OrganizationScenario,
  type Scenario,
  type ScenarioUser,
  startSandbox,
} from "@keyrotate/sandbox";
import * as E from "fp-ts/lib/Either.js";
import type { Output } from "../io.js";
import { orgProgressLines, renderOrgReport } from "../orgCommand.js";
import { readOrganizationCompliance, renderOrgCompliance } from "../orgReportCommand.js";
import { DEMO_MARKER } from "./output.js";
import { DEMO_BUCKET, DEMO_SENDER } from "./scenario.js";

/** The role the demo organisation's accounts hold, and its external id. */
export const DEMO_ORG_ROLE = "KeyrotateMember";
const DEMO_EXTERNAL_ID = "keyrotate-demo";
/** The account of the demo organisation whose role is missing. */
export const DEMO_ROLELESS_ACCOUNT = "444444444444";

const user = (name: string, ageDays: number): ScenarioUser => ({
  name,
  tags: { email: `${name}@example.com` },
  keys: [{ ageDays, lastUsedDaysAgo: 0 }],
});

/** A member account's users: one due for rotation, one to warn, one fine. */
const members = (team: string): Scenario => ({
  verifiedEmails: [DEMO_SENDER],
  buckets: [DEMO_BUCKET],
  users: [user(`${team}-overdue`, 70), user(`${team}-warned`, 50), user(`${team}-fresh`, 5)],
});

/**
 * The demo organisation: a management account (no role: StackSets do not deploy there, so it
 * is excluded), a shared account under the root, a workloads OU with a nested sandboxes OU
 * holding a suspended account and one whose role is missing.
 */
export const demoOrganization: OrganizationScenario = {
  memberRole: { name: DEMO_ORG_ROLE, externalId: DEMO_EXTERNAL_ID },
  management: { name: "management", role: null },
  accounts: [{ id: "111111111111", name: "shared-services", scenario: members("shared") }],
  ous: [
    {
      name: "workloads",
      accounts: [{ id: "222222222222", name: "prod", scenario: members("prod") }],
      ous: [
        {
          name: "sandboxes",
          accounts: [
            { id: "333333333333", name: "legacy", status: "SUSPENDED" },
            {
              id: DEMO_ROLELESS_ACCOUNT,
              name: "experiments",
              role: null,
              scenario: members("exp"),
            },
            { id: "555555555555", name: "dev", scenario: members("dev") },
          ],
        },
      ],
    },
  ],
};

/**
 * `keyrotate demo --org`: one organisation run against a local sandbox organisation, with a
 * line per account as it finishes, then the organisation's compliance report; writes
 * `org-report.json` and `org-compliance.html` to `dir`. Resolves with the run's report.
 */
export const runOrgDemo = async (
  out: Output,
  start: CalendarDate,
  dir: string,
): Promise<OrgReport> => {
  const sandbox = await startSandbox({
    now: `${start}T09:00:00Z`,
    reportGenerationMs: 5,
    seed: { organization: demoOrganization },
  });
  try {
    const { endpoint, region, credentials } = sandbox.clientConfig();
    const settings = decodeSettings({
      SES_EMAIL: DEMO_SENDER,
      SES_REGION: region,
      S3_CSV_BUCKET: DEMO_BUCKET,
    });
    const org = decodeOrgSettings({
      ORG_ROLE_NAME: DEMO_ORG_ROLE,
      ORG_EXTERNAL_ID: DEMO_EXTERNAL_ID,
      ORG_EXCLUDE_ACCOUNTS: sandbox.accounts()[0]?.id ?? "",
      ORG_CONCURRENCY: "2",
    });
    if (E.isLeft(settings) || E.isLeft(org))
      throw new Error(
        [...(E.isLeft(settings) ? settings.left : []), ...(E.isLeft(org) ? org.left : [])]
          .map(formatSettingProblem)
          .join("; "),
      );
    out.write(
      `keyrotate demo --org: one run over a sandbox organization on ${start}: ${sandbox.accounts().length} accounts, role ${DEMO_ORG_ROLE}, 2 accounts at a time\n\n`,
    );
    const orgClients = createOrgClients({ endpoint, region, credentials });
    const clientsFor = (c: AccountCredentials) =>
      createAwsClients({ settings: settings.right, endpoint, region, credentials: c });
    const polling = { initialDelayMs: 10, maxDelayMs: 100 };
    const report = await runOrganization({
      orgClients,
      org: org.right,
      settings: settings.right,
      today: start,
      polling,
      clientsFor,
      onAccountProgress: orgProgressLines(out),
    });
    out.write(`\n${renderOrgReport(report)}`);
    // The organisation's compliance report after the run, as "keyrotate report --org" writes it.
    out.write("\nThe compliance report of every account after the run:\n");
    const compliance = await readOrganizationCompliance({
      orgClients,
      org: org.right,
      settings: settings.right,
      today: start,
      clientsFor,
      now: () => sandbox.clock.now(),
      progress: out,
      polling,
    });
    orgClients.organizations.destroy();
    orgClients.sts.destroy();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, DEMO_MARKER), "made by keyrotate demo\n", "utf8");
    await writeFile(join(dir, "org-report.json"), `${JSON.stringify(report, null, 2)}\n`, "utf8");
    if (E.isRight(compliance))
      await writeFile(
        join(dir, "org-compliance.html"),
        renderOrgCompliance(compliance.right, "html"),
        "utf8",
      );
    out.write(
      `\nWrote org-report.json${E.isRight(compliance) ? " and org-compliance.html" : ""} to\n  ${dir}\n`,
    );
    return report;
  } finally {
    await sandbox.close();
  }
};

/** Whether the demo went as designed: every account holding the role completed. */
export const orgDemoHeld = (report: OrgReport): boolean =>
  report.accounts.every((a) => a.status === "completed" || a.accountId === DEMO_ROLELESS_ACCOUNT);
