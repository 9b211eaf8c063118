import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { CREDENTIAL_REPORT_COLUMNS } from "../src/iam/credential-report.js";
import { caught, sandboxWithClients } from "./support.js";

async function waitForReport(iam: IAMClient) {
  for (let i = 0; i < 200; i++) {
    try {
      return await iam.send(new GetCredentialReportCommand({}));
    } catch (e) {
      if (!(e instanceof CredentialReportNotReadyException)) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error("report never became ready");
}

function rows(content: Uint8Array | undefined): Record<string, string>[] {
  const [header, ...lines] = Buffer.from(content ?? new Uint8Array())
    .toString("utf8")
    .split("\n");
  const columns = (header ?? "").split(",");
  return lines.map((line) =>
    Object.fromEntries(line.split(",").map((v, i) => [columns[i] as string, v])),
  );
}

const SCENARIO = {
  now: "2026-11-23T10:00:00Z",
  users: [
    {
      name: "alice",
      createdDaysAgo: 400,
      keys: [
        { ageDays: 200, lastUsedDaysAgo: 2, lastUsedService: "s3" },
        { ageDays: 10, status: "Inactive" as const },
      ],
    },
    { name: "bob", createdDaysAgo: 5 },
  ],
};

describe("the credential report", () => {
  it("goes ReportNotPresent → STARTED → ReportInProgress → COMPLETE with the real 22-column CSV", async () => {
    const { iam } = await sandboxWithClients({ seed: SCENARIO, reportGenerationMs: 150 });
    const absent = await caught(() => iam.send(new GetCredentialReportCommand({})));
    expect(absent).toBeInstanceOf(CredentialReportNotPresentException);
    expect(absent.$metadata.httpStatusCode).toBe(410);

    const started = await iam.send(new GenerateCredentialReportCommand({}));
    expect(started.State).toBe("STARTED");
    expect(started.Description).toBe("No report exists. Starting a new report generation task");
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe("INPROGRESS");
    const notReady = await caught(() => iam.send(new GetCredentialReportCommand({})));
    expect(notReady).toBeInstanceOf(CredentialReportNotReadyException);
    expect(notReady.$metadata.httpStatusCode).toBe(404);

    const report = await waitForReport(iam);
    expect(report.ReportFormat).toBe("text/csv");
    expect(report.GeneratedTime).toEqual(new Date("2026-11-23T10:00:00Z"));
    const text = Buffer.from(report.Content ?? new Uint8Array()).toString("utf8");
    expect(text.split("\n")[0]).toBe(CREDENTIAL_REPORT_COLUMNS.join(","));
    expect(CREDENTIAL_REPORT_COLUMNS).toHaveLength(22);
    const [root, alice, bob] = rows(report.Content);
    expect(root).toMatchObject({
      user: "<root_account>",
      arn: "arn:aws:iam::123456789012:root",
      password_enabled: "not_supported",
      password_last_used: "no_information",
      password_last_changed: "not_supported",
      password_next_rotation: "not_supported",
      access_key_1_active: "false",
      access_key_1_last_rotated: "N/A",
      cert_2_last_rotated: "N/A",
    });
    expect(alice).toEqual({
      user: "alice",
      arn: "arn:aws:iam::123456789012:user/alice",
      user_creation_time: "2025-10-19T10:00:00+00:00",
      password_enabled: "false",
      password_last_used: "N/A",
      password_last_changed: "N/A",
      password_next_rotation: "N/A",
      mfa_active: "false",
      access_key_1_active: "true",
      access_key_1_last_rotated: "2026-05-07T10:00:00+00:00",
      access_key_1_last_used_date: "2026-11-21T10:00:00+00:00",
      access_key_1_last_used_region: "us-east-1",
      access_key_1_last_used_service: "s3",
      access_key_2_active: "false",
      access_key_2_last_rotated: "2026-11-13T10:00:00+00:00",
      access_key_2_last_used_date: "N/A",
      access_key_2_last_used_region: "N/A",
      access_key_2_last_used_service: "N/A",
      cert_1_active: "false",
      cert_1_last_rotated: "N/A",
      cert_2_active: "false",
      cert_2_last_rotated: "N/A",
    });
    expect(bob).toMatchObject({
      user: "bob",
      access_key_1_active: "false",
      access_key_1_last_rotated: "N/A",
    });
  });

  it("reuses a report younger than 4 hours and does not include later changes (snapshot)", async () => {
    const { s, iam } = await sandboxWithClients({ seed: SCENARIO, reportGenerationMs: 0 });
    await iam.send(new GenerateCredentialReportCommand({}));
    const first = await waitForReport(iam);
    await iam.send(new CreateUserCommand({ UserName: "carol" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "carol" }));
    s.clock.advanceMs(4 * 3600_000 - 1);
    const again = await iam.send(new GenerateCredentialReportCommand({}));
    expect(again.State).toBe("COMPLETE");
    const same = await iam.send(new GetCredentialReportCommand({}));
    expect(same.GeneratedTime).toEqual(first.GeneratedTime);
    expect(rows(same.Content).map((r) => r.user)).toEqual(["<root_account>", "alice", "bob"]);
  });

  it("expires a report after 4 hours (ReportExpired) and regenerates with the current state and dates", async () => {
    const { s, iam } = await sandboxWithClients({ seed: SCENARIO, reportGenerationMs: 0 });
    await iam.send(new GenerateCredentialReportCommand({}));
    await waitForReport(iam);
    await iam.send(new CreateUserCommand({ UserName: "carol" }));
    s.clock.advanceDays(30);
    const expired = await caught(() => iam.send(new GetCredentialReportCommand({})));
    expect(expired).toBeInstanceOf(CredentialReportExpiredException);
    expect(expired.$metadata.httpStatusCode).toBe(410);
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe("STARTED");
    const fresh = await waitForReport(iam);
    expect(fresh.GeneratedTime).toEqual(new Date("2026-12-23T10:00:00Z"));
    const byUser = Object.fromEntries(rows(fresh.Content).map((r) => [r.user, r]));
    expect(Object.keys(byUser)).toEqual(["<root_account>", "alice", "bob", "carol"]);
    // Dates are absolute: the key created 200 days before the seed time keeps its creation date.
    expect(byUser.alice?.access_key_1_last_rotated).toBe("2026-05-07T10:00:00+00:00");
    expect(byUser.carol?.user_creation_time).toBe("2026-11-23T10:00:00+00:00");
  });

  it("writes a user name with commas unquoted, in the user and arn cells, as IAM does", async () => {
    const { iam } = await sandboxWithClients({
      seed: { now: "2026-11-23T10:00:00Z", users: [{ name: "svc,deploy" }] },
    });
    await iam.send(new GenerateCredentialReportCommand({}));

    const report = await waitForReport(iam);

    const lines = Buffer.from(report.Content ?? new Uint8Array())
      .toString("utf8")
      .split("\n");
    const row = lines.find((l) => l.startsWith("svc,"));
    expect(row?.startsWith("svc,deploy,arn:aws:iam::123456789012:user/svc,deploy,")).toBe(true);
    expect(row?.split(",")).toHaveLength(CREDENTIAL_REPORT_COLUMNS.length + 2);
  });
});
