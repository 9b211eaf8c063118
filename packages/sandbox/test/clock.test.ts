import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
} from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { Clock } from "../src/clock.js";
import { sandboxWithClients, T0 } from "./support.js";

describe("the sandbox clock", () => {
  it("stays frozen and moves only when set or advanced", async () => {
    const clock = new Clock(T0);
    await new Promise((r) => setTimeout(r, 5));
    expect(clock.now().toISOString()).toBe(T0);
    clock.advanceDays(1.5);
    expect(clock.now().toISOString()).toBe("2026-11-24T22:00:00.000Z");
    clock.advanceMs(-3_600_000);
    expect(clock.now().toISOString()).toBe("2026-11-24T21:00:00.000Z");
    clock.set(new Date("2030-01-01T00:00:00Z"));
    expect(clock.nowMs()).toBe(Date.parse("2030-01-01T00:00:00Z"));
    expect(() => clock.set("not a date")).toThrow(/now must be an ISO 8601 date-time/);
    expect(() => clock.advanceDays(Number.NaN)).toThrow(/advanceDays must be a finite number/);
    expect(new Clock().nowMs()).toBeLessThanOrEqual(Date.now());
  });

  it("stamps IAM dates with sandbox time so key ages follow advanceDays", async () => {
    const { s, iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "alice" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    s.clock.advanceDays(90);
    await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    const keys =
      (await iam.send(new ListAccessKeysCommand({ UserName: "alice" }))).AccessKeyMetadata ?? [];
    const ages = keys.map(
      (k) => (s.clock.now().getTime() - (k.CreateDate as Date).getTime()) / 86_400_000,
    );
    expect(ages).toEqual([90, 0]);
    expect(s.users()[0]?.createDate).toEqual(new Date(T0));
  });
});
