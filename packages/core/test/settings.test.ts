import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  decodeSettings,
  describeSettings,
  formatSettingProblem,
  settingSpecs,
} from "../src/index.js";
import { assertInChunks } from "./arbitraries.js";

const required = {
  SES_EMAIL: "keys@example.com",
  SES_REGION: "eu-west-1",
  S3_CSV_BUCKET: "example-credentials",
};

describe("decodeSettings", () => {
  it("applies the original function's defaults when only the required settings are given", () => {
    const s = decodeSettings(required);
    expect(E.isRight(s) && s.right).toMatchObject({
      warningDays: 30,
      overdueDays: 60,
      deactivateDays: 10,
      deletionDays: 10,
      emailTagKey: "email",
      lastCheckDateTagKey: "last-check-date",
      lastCheckOldKeyTagKey: "last-check-old-key",
      reminderIntervalDays: 7,
      exemptTagKey: "key-rotation-exempt",
      twoActiveKeys: "warn",
      inactiveBlocker: "warn",
      unusedDays: undefined,
      adminEmail: undefined,
      kmsKeyId: undefined,
      dryRun: false,
      concurrency: 8,
      minNoticeDays: 7,
      inUseDelayDays: 7,
      earlyDeactivation: false,
    });
  });

  it("reads the notice-before-action settings, 0 giving the original's timing", () => {
    const s = decodeSettings({
      ...required,
      MIN_NOTICE_DAYS: "0",
      IN_USE_DELAY_DAYS: "14",
      EARLY_DEACTIVATION: "true",
    });
    expect(E.isRight(s) && s.right).toMatchObject({
      minNoticeDays: 0,
      inUseDelayDays: 14,
      earlyDeactivation: true,
    });
  });

  it("names every bad notice-before-action value", () => {
    const s = decodeSettings({
      ...required,
      MIN_NOTICE_DAYS: "a week",
      IN_USE_DELAY_DAYS: "-3",
      EARLY_DEACTIVATION: "sometimes",
    });
    expect(E.isLeft(s) ? s.left.map(formatSettingProblem) : []).toEqual([
      'MIN_NOTICE_DAYS="a week": expected a whole number from 0 to 365',
      'IN_USE_DELAY_DAYS="-3": expected a whole number from 0 to 365',
      'EARLY_DEACTIVATION="sometimes": expected true or false',
    ]);
  });

  it("reads an original deployment's environment unchanged", () => {
    const s = decodeSettings({
      LAMBDA_FUNCTION_NAME: "check-and-rotate",
      SES_EMAIL: "no_reply@email.com",
      SES_REGION: "ap-southeast-1",
      IAM_EMAIL_TAG_KEY: "email",
      S3_CSV_BUCKET: "bucket-iam-user-credentials",
      LAST_CHECK_DATE_TAG_KEY: "last-check-date",
      LAST_CHECK_OLD_KEY_TAG_KEY: "last-check-old-key",
      WARNING_DAYS: "30",
      OVERDUE_DAYS: "60",
      DEACTIVATE_DAYS: "10",
      DELETION_DAYS: "10",
    });
    expect(E.isRight(s)).toBe(true);
  });

  it("reads every new setting", () => {
    const s = decodeSettings({
      ...required,
      DRY_RUN: "true",
      REMINDER_INTERVAL_DAYS: "1",
      TWO_ACTIVE_KEYS: "enforce",
      INACTIVE_BLOCKER: "delete",
      UNUSED_DAYS: "45",
      ADMIN_EMAIL: "secops@example.com",
      KMS_KEY_ID: "alias/keyrotate",
      CONCURRENCY: "16",
      STATE_TAG_KEY: "kr-state",
    });
    expect(E.isRight(s) && s.right).toMatchObject({
      dryRun: true,
      reminderIntervalDays: 1,
      twoActiveKeys: "enforce",
      inactiveBlocker: "delete",
      unusedDays: 45,
      adminEmail: "secops@example.com",
      kmsKeyId: "alias/keyrotate",
      concurrency: 16,
      stateTagKey: "kr-state",
    });
  });

  it("lists every problem at once, each naming the setting and the value it got", () => {
    const s = decodeSettings({
      WARNING_DAYS: "thirty",
      OVERDUE_DAYS: "-1",
      TWO_ACTIVE_KEYS: "sometimes",
      SES_EMAIL: "Keys <keys@example.com>",
      S3_CSV_BUCKET: "Bad_Bucket",
      UNUSED_DAYS: "0",
    });
    expect(E.isLeft(s)).toBe(true);
    const lines = E.isLeft(s) ? s.left.map(formatSettingProblem) : [];
    expect(lines).toEqual([
      'WARNING_DAYS="thirty": expected a whole number from 0 to 36500',
      'OVERDUE_DAYS="-1": expected a whole number from 0 to 36500',
      'TWO_ACTIVE_KEYS="sometimes": expected one of warn, enforce',
      'UNUSED_DAYS="0": expected a whole number from 1 to 36500',
      'SES_EMAIL="Keys <keys@example.com>": not one email address: has a display name or angle brackets',
      "SES_REGION (not set): is required",
      'S3_CSV_BUCKET="Bad_Bucket": expected an S3 bucket name: 3 to 63 lower-case letters, digits, dots or hyphens',
    ]);
  });

  it("requires WARNING_DAYS < OVERDUE_DAYS", () => {
    const s = decodeSettings({ ...required, WARNING_DAYS: "60", OVERDUE_DAYS: "60" });
    expect(E.isLeft(s) && s.left.map(formatSettingProblem)).toEqual([
      'WARNING_DAYS="60": must be less than OVERDUE_DAYS (60)',
    ]);
  });

  it("requires the tag keys to be distinct", () => {
    const s = decodeSettings({ ...required, STATE_TAG_KEY: "Email" });
    expect(E.isLeft(s) && s.left.map((p) => p.setting)).toEqual(["STATE_TAG_KEY"]);
  });

  it("treats empty values as unset and 'off' as off", () => {
    const s = decodeSettings({
      ...required,
      WARNING_DAYS: "",
      UNUSED_DAYS: "off",
      ADMIN_EMAIL: "",
    });
    expect(E.isRight(s) && [s.right.warningDays, s.right.unusedDays, s.right.adminEmail]).toEqual([
      30,
      undefined,
      undefined,
    ]);
  });

  it("never throws, and every problem names a known setting, for any input", async () => {
    const names = Object.keys(settingSpecs);
    await assertInChunks(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.constantFrom(...names), fc.string()),
          fc.oneof(fc.string(), fc.integer().map(String)),
        ),
        (env) => {
          const s = decodeSettings(env);
          if (E.isLeft(s)) {
            for (const p of s.left) {
              expect(names).toContain(p.setting);
              expect(formatSettingProblem(p)).toContain(p.setting);
            }
          } else {
            expect(s.right.warningDays).toBeLessThan(s.right.overdueDays);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("reads the Security Hub, SNS and webhook settings, all off by default", () => {
    const off = decodeSettings(required);
    const on = decodeSettings({
      ...required,
      SECURITY_HUB: "on",
      SNS_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:keyrotate-events",
      WEBHOOK_URL_PARAMETER: "/keyrotate/webhook-url",
    });
    expect(E.isRight(off) && off.right).toMatchObject({
      securityHub: false,
      snsTopicArn: undefined,
      webhookUrl: undefined,
      webhookUrlParameter: undefined,
    });
    expect(E.isRight(on) && on.right).toMatchObject({
      securityHub: true,
      snsTopicArn: "arn:aws:sns:eu-west-1:123456789012:keyrotate-events",
      webhookUrlParameter: "/keyrotate/webhook-url",
    });
  });

  it("rejects a topic that is not an SNS topic ARN, naming the setting and the value", () => {
    const s = decodeSettings({ ...required, SNS_TOPIC_ARN: "keyrotate-events" });
    expect(E.isLeft(s) && s.left.map(formatSettingProblem)).toEqual([
      'SNS_TOPIC_ARN="keyrotate-events": expected an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:keyrotate-events',
    ]);
  });

  it("rejects a webhook URL that is not https without ever showing it", () => {
    const secretPath = "T000/B000/not-to-be-shown";
    for (const url of [
      `http://hooks.example.com/${secretPath}`,
      `ftp://127.0.0.1/${secretPath}`,
      `${secretPath}`,
    ]) {
      const s = decodeSettings({ ...required, WEBHOOK_URL: url });
      const lines = E.isLeft(s) ? s.left.map(formatSettingProblem) : [];
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^WEBHOOK_URL=\(hidden\): expected an https:\/\/ URL/);
      expect(JSON.stringify(E.isLeft(s) ? s.left : [])).not.toContain(secretPath);
    }
  });

  it("takes an https webhook, and http only on 127.0.0.1 or localhost", () => {
    for (const url of ["https://hooks.example.com/T/B/x", "http://127.0.0.1:8080/hook"]) {
      const s = decodeSettings({ ...required, WEBHOOK_URL: url });
      expect(E.isRight(s) && s.right.webhookUrl).toBe(url);
    }
  });

  it("refuses both webhook settings at once, without showing the URL", () => {
    const s = decodeSettings({
      ...required,
      WEBHOOK_URL: "https://hooks.example.com/T/B/secret-part",
      WEBHOOK_URL_PARAMETER: "/keyrotate/webhook-url",
    });
    const lines = E.isLeft(s) ? s.left.map(formatSettingProblem) : [];
    expect(lines).toEqual([
      'WEBHOOK_URL_PARAMETER="/keyrotate/webhook-url": must not be set together with WEBHOOK_URL: set one of them',
    ]);
  });

  it("hides the webhook URL in the settings a report shows", () => {
    const s = decodeSettings({ ...required, WEBHOOK_URL: "https://hooks.example.com/T/B/secret" });
    expect(E.isRight(s) && describeSettings(s.right)).toMatchObject({
      WEBHOOK_URL: "(hidden)",
      SECURITY_HUB: "off",
    });
  });

  it("describes the settings by their environment names for reports", () => {
    const s = decodeSettings({ ...required, UNUSED_DAYS: "45" });
    expect(E.isRight(s) && describeSettings(s.right)).toMatchObject({
      UNUSED_DAYS: "45",
      KMS_KEY_ID: "off",
      WARNING_DAYS: "30",
    });
  });
});
