import { join } from "node:path";
import { type Deployment, loadTemplate } from "@keyrotate/testkit";
import { packageDir } from "../scripts/build.js";

/** The function's SAM template. */
export const templatePath = join(packageDir, "template.yaml");

/** The function's SAM template, parsed. */
export const loadFunctionTemplate = () => loadTemplate(templatePath);

/** The test deployment: fixed account, region, names and ARNs for every resource. */
export const testDeployment = (parameters: Readonly<Record<string, string>> = {}): Deployment => {
  const account = "123456789012";
  const region = "eu-west-1";
  const keyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
  return {
    accountId: account,
    region,
    stackName: "keyrotate",
    parameters: { SesEmail: "keyrotate@example.com", ...parameters },
    attributes: {
      CredentialsBucket: {
        Ref: "keyrotate-credentials-test",
        Arn: "arn:aws:s3:::keyrotate-credentials-test",
      },
      CredentialsBucketPolicy: { Ref: "keyrotate-credentials-test" },
      CredentialsKey: { Ref: keyId, Arn: `arn:aws:kms:${region}:${account}:key/${keyId}` },
      CredentialsKeyAlias: { Ref: "alias/keyrotate-credentials" },
      FunctionRole: {
        Ref: "keyrotate-FunctionRole-1A2B3C4D",
        Arn: `arn:aws:iam::${account}:role/keyrotate-FunctionRole-1A2B3C4D`,
      },
      FunctionLogGroup: {
        Ref: "/aws/lambda/keyrotate",
        Arn: `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/keyrotate:*`,
      },
      FailedRunsQueue: {
        Ref: `https://sqs.${region}.amazonaws.com/${account}/keyrotate-FailedRunsQueue-5E6F`,
        Arn: `arn:aws:sqs:${region}:${account}:keyrotate-FailedRunsQueue-5E6F`,
      },
      KeyrotateFunction: {
        Ref: "keyrotate",
        Arn: `arn:aws:lambda:${region}:${account}:function:keyrotate`,
      },
      // What the custom resource answers is checked by running its code (template.test.ts).
      CredentialsExpiryDays: { Ref: "keyrotate-credentials-expiry-days", Days: "(days sum)" },
      DaysSumFunction: {
        Ref: "keyrotate-DaysSumFunction-9I0J",
        Arn: `arn:aws:lambda:${region}:${account}:function:keyrotate-DaysSumFunction-9I0J`,
      },
      DaysSumRole: {
        Ref: "keyrotate-DaysSumRole-1K2L",
        Arn: `arn:aws:iam::${account}:role/keyrotate-DaysSumRole-1K2L`,
      },
      CredentialsReaderPolicy: {
        Ref: `arn:aws:iam::${account}:policy/keyrotate-CredentialsReaderPolicy-7G8H`,
      },
    },
  };
};
