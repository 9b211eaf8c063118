import {
  type AsffFinding,
  type AsffPlace,
  asffFindings,
  partitionOf,
} from "@keyrotate/aws-adapter";
import type { ComplianceReport } from "./assess.js";
import type { OrgComplianceReport } from "./org.js";

/**
 * The ASFF findings of a compliance report, for Security Hub's `BatchImportFindings`: one per
 * key failing IAM.3, IAM.8 or IAM.22, one per user failing CIS 1.13, dated when the report was
 * generated.
 */
export const complianceFindings = (report: ComplianceReport, place: AsffPlace): AsffFinding[] =>
  asffFindings(place, report.users, report.generatedAt);

/**
 * The ASFF findings of every account of the organisation's report that was read, each in its own
 * account (AwsAccountId, ProductArn), all for Security Hub in `region`.
 */
export const orgComplianceFindings = (report: OrgComplianceReport, region: string): AsffFinding[] =>
  report.accounts.flatMap((a) =>
    a.report === undefined
      ? []
      : complianceFindings(a.report, {
          accountId: a.accountId,
          region,
          partition: partitionOf(region),
        }),
  );

/** Findings as the `--format asff` output: one JSON array. */
export const renderFindings = (findings: ReadonlyArray<AsffFinding>): string =>
  `${JSON.stringify(findings, null, 2)}\n`;

/** The summary line of written findings: how many, then the report's own counts. */
export const findingsSummary = (findings: ReadonlyArray<AsffFinding>, counts: string): string =>
  `${findings.length} finding${findings.length === 1 ? "" : "s"} (${counts})`;
