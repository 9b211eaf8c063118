/**
 * The SDK clients of the optional channels, loaded with one dynamic `import()` on first use
 * (`clients.ts`): named here so that a bundler keeps each package's client and not the whole
 * package a namespace import would keep.
 */
export { SecurityHubClient } from "@aws-sdk/client-securityhub";
export { SNSClient } from "@aws-sdk/client-sns";
export { SSMClient } from "@aws-sdk/client-ssm";
export { STSClient } from "@aws-sdk/client-sts";
