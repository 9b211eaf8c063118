import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  type IAMClient,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  GetAccountSendingEnabledCommand,
  GetIdentityVerificationAttributesCommand,
  GetSendQuotaCommand,
  type SESClient,
  SendEmailCommand,
} from "@aws-sdk/client-ses";
import {
  type CalendarDate,
  decodeSettings,
  type Settings,
  type SettingsInput,
} from "@keyrotate/core";
import { mockClient } from "aws-sdk-client-mock";
import * as E from "fp-ts/lib/Either.js";
import { type AwsClients, createAwsClients } from "../src/clients.js";

/** The day most unit tests run on. */
export const TODAY = "2026-06-15" as CalendarDate;

/** A realistic secret access key: it must never show up anywhere but in the stored file. */
export const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/** Settings decoded from an environment, as the Lambda does. */
export const settingsFrom = (env: SettingsInput = {}): Settings => {
  const decoded = decodeSettings({
    SES_EMAIL: "keyrotate@example.com",
    SES_REGION: "eu-west-1",
    S3_CSV_BUCKET: "creds-bucket",
    ...env,
  });
  if (E.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
  return decoded.right;
};

/** Real clients (no network: their `send` is mocked) and their mocks. */
export const mockedClients = (settings: Settings = settingsFrom()) => {
  const clients: AwsClients = createAwsClients({
    settings,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" },
  });
  return {
    clients,
    iam: mockClient(clients.iam as IAMClient),
    s3: mockClient(clients.s3 as S3Client),
    ses: mockClient(clients.ses as SESClient),
  };
};

/** Days before TODAY as a credential-report timestamp. */
export const daysAgo = (n: number, hour = 10): string => {
  const d = new Date(`${TODAY}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - n);
  d.setUTCHours(hour);
  return `${d.toISOString().slice(0, 19)}+00:00`;
};

/** One key slot of a report row. */
export interface SlotSpec {
  readonly active: boolean;
  readonly created: string;
  readonly lastUsed?: string;
}

export const HEADER =
  "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

const slot = (s: SlotSpec | undefined): string =>
  s === undefined
    ? "false,N/A,N/A,N/A,N/A"
    : [
        String(s.active),
        s.created,
        s.lastUsed ?? "N/A",
        s.lastUsed === undefined || s.lastUsed === "N/A" || s.lastUsed === "no_information"
          ? "N/A"
          : "us-east-1",
        s.lastUsed === undefined || s.lastUsed === "N/A" || s.lastUsed === "no_information"
          ? "N/A"
          : "s3",
      ].join(",");

/** A credential report row. */
export const row = (user: string, k1?: SlotSpec, k2?: SlotSpec): string =>
  [
    user,
    `arn:aws:iam::123456789012:user/${user}`,
    daysAgo(400),
    "false,N/A,N/A,N/A,false",
    slot(k1),
    slot(k2),
    "false,N/A,false,N/A",
  ].join(",");

export const ROOT_ROW =
  "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

/** A whole report: header, root row, then the user rows. */
export const reportCsv = (...rows: string[]): string => [HEADER, ROOT_ROW, ...rows].join("\n");

/** A credential report response carrying `csv`. */
export const reportResponse = (csv: string) => ({
  Content: new TextEncoder().encode(csv),
  ReportFormat: "text/csv" as const,
  GeneratedTime: new Date(`${TODAY}T06:00:00Z`),
});

/** A sleep that records what it was asked and returns at once. */
export const recordingSleep = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};

/** The id IAM gives the key a rotation creates, in the mocked clients. */
export const NEW_KEY_ID = "AKIANEWNEWNEWNEWNEW1";

/**
 * Makes every call a plan's steps can make succeed, and the preflight's checks pass;
 * `CreateAccessKey` returns {@link NEW_KEY_ID} with {@link SECRET}.
 */
export const mockWritesSucceed = (m: ReturnType<typeof mockedClients>): void => {
  m.iam.on(TagUserCommand).resolves({});
  m.iam.on(UntagUserCommand).resolves({});
  m.iam.on(UpdateAccessKeyCommand).resolves({});
  m.iam.on(DeleteAccessKeyCommand).resolves({});
  m.iam.on(CreateAccessKeyCommand).resolves({
    AccessKey: {
      UserName: "alice",
      AccessKeyId: NEW_KEY_ID,
      SecretAccessKey: SECRET,
      Status: "Active",
      CreateDate: new Date(),
    },
  });
  m.s3.on(PutObjectCommand).resolves({});
  m.s3.on(DeleteObjectCommand).resolves({});
  m.ses.on(SendEmailCommand).resolves({ MessageId: "m-1" });
  m.ses.on(GetIdentityVerificationAttributesCommand).resolves({
    VerificationAttributes: { "keyrotate@example.com": { VerificationStatus: "Success" } },
  });
  m.ses.on(GetAccountSendingEnabledCommand).resolves({ Enabled: true });
  m.ses.on(GetSendQuotaCommand).resolves({
    Max24HourSend: 50_000,
    MaxSendRate: 14,
    SentLast24Hours: 0,
  });
};
