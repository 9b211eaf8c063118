import { type AsffPlace, asffFindings, partitionOf } from "@keyrotate/aws-adapter";
import type { ComplianceReport } from "./assess.js";
import type { OrgComplianceReport } from "./org.js";

const jsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * The compliance report as a JSON array of ASFF findings, ready for Security Hub's
 * `BatchImportFindings`: one per key failing IAM.3, IAM.8 or IAM.22, one per user failing
 * CIS 1.13, dated when the report was generated.
 */
export const renderComplianceAsff = (report: ComplianceReport, place: AsffPlace): string =>
  jsonText(asffFindings(place, report.users, report.generatedAt));

/**
 * The organisation's compliance report as one JSON array of ASFF findings over every account
 * read, each finding in its own account (AwsAccountId, ProductArn), all for Security Hub in
 * `region`.
 */
export const renderOrgComplianceAsff = (report: OrgComplianceReport, region: string): string =>
  jsonText(
    report.accounts.flatMap((a) =>
      a.report === undefined
        ? []
        : asffFindings(
            { accountId: a.accountId, region, partition: partitionOf(region) },
            a.report.users,
            a.report.generatedAt,
          ),
    ),
  );
