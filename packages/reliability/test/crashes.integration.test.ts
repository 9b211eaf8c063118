import type { ScenarioUser } from "@keyrotate/sandbox";
import {
  crashSwitch,
  type Harness,
  keysOf,
  secretHygiene,
  startHarness,
  tagsOf,
} from "@keyrotate/testkit";
import { afterEach, describe, expect, it } from "vitest";

const OLD = "AKIAOLDKEY0000000001";
const NEW = "AKIANEWKEY0000000001";
const START = "2026-01-20T09:00:00Z";

/** Tracked, rotated 11 days ago: today the old key is deactivated (4 calls). */
const rotated: ScenarioUser = {
  name: "bob",
  tags: { email: "bob@example.com", "last-check-date": "2026-01-09", "last-check-old-key": OLD },
  keys: [
    { ageDays: 75, lastUsedDaysAgo: 11, id: OLD },
    { ageDays: 11, lastUsedDaysAgo: 0, id: NEW },
  ],
};
/** Tracked, deactivated 11 days ago: today the old key is deleted (3 calls). */
const deactivated: ScenarioUser = {
  name: "bob",
  tags: { email: "bob@example.com", "last-check-date": "2026-01-09", "last-check-old-key": OLD },
  keys: [
    { ageDays: 90, lastUsedDaysAgo: 30, id: OLD, status: "Inactive" },
    { ageDays: 22, lastUsedDaysAgo: 0, id: NEW },
  ],
};
/** One key unused for 60 days, UNUSED_DAYS=45: today it is deactivated (3 calls). */
const unused: ScenarioUser = {
  name: "bob",
  tags: { email: "bob@example.com" },
  keys: [{ ageDays: 60, lastUsedDaysAgo: 60, id: OLD }],
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const notices = (harness: Harness, subject: RegExp) =>
  harness.sandbox.emails().filter((e) => subject.test(e.subject ?? "")).length;

const activeDeleted = (harness: Harness) =>
  harness.sandbox
    .keyEvents()
    .filter((e) => e.operation === "DeleteAccessKey" && e.statusBefore !== "Inactive");

const cases = (calls: string[]) =>
  calls.flatMap((operation, i) => [
    { k: i + 1, operation, lostReply: false },
    { k: i + 1, operation, lostReply: true },
  ]);

describe("a crash after each call of a deactivation", () => {
  it.each(cases(["iam:TagUser", "iam:UpdateAccessKey", "ses:SendEmail", "iam:UntagUser"]))(
    "is completed by the next run: crash after call $k ($operation), reply lost: $lostReply",
    async ({ k, lostReply }) => {
      h = await startHarness([rotated], {}, START);
      const logs: unknown[] = [];

      const crashed = await h.run({
        clients: h.clientsWith(
          [crashSwitch({ after: k, counting: "changing-calls", lostReply }).middleware],
          2,
        ),
        log: (e) => logs.push(e),
      });
      const sentBeforeCrash = notices(h, /old AWS access key .* was deactivated/);
      h.sandbox.clock.advanceMs(3_600_000);
      const next = await h.run({ log: (e) => logs.push(e) });

      expect(next.status).toBe("completed");
      expect(next.users.find((u) => u.userName === "bob")?.status).toBe("ok");
      expect(keysOf(h, "bob").map((x) => [x.accessKeyId, x.status])).toEqual([
        [OLD, "Inactive"],
        [NEW, "Active"],
      ]);
      expect(tagsOf(h, "bob")).toEqual({
        email: "bob@example.com",
        "last-check-date": "2026-01-20",
        "last-check-old-key": OLD,
      });
      // At least once; a second time only when the crash came after the first was sent.
      const sent = notices(h, /old AWS access key .* was deactivated/);
      expect(sent).toBe(sentBeforeCrash === 1 ? (k === 3 ? 2 : 1) : 1);
      expect(activeDeleted(h)).toEqual([]);

      // The lifecycle runs its course: the old key is deleted on the announced day.
      for (let day = 1; day <= 12; day++) {
        h.sandbox.clock.advanceDays(1);
        const report = await h.run({ log: (e) => logs.push(e) });
        expect(report.counts.failed).toBe(0);
        expect(keysOf(h, "bob").some((x) => x.status === "Active")).toBe(true);
      }
      expect(keysOf(h, "bob").map((x) => x.accessKeyId)).toEqual([NEW]);
      expect(tagsOf(h, "bob")).toEqual({ email: "bob@example.com" });
      expect(notices(h, /old AWS access key .* was deleted/)).toBe(1);
      expect(activeDeleted(h)).toEqual([]);
      secretHygiene(h.sandbox).assertClean({ logs, crashed, next, emails: h.sandbox.emails() });
    },
  );
});

describe("a crash after each call of a deletion", () => {
  // The Deleted notice goes out before the key is deleted (issue 13, invariant 14): a crash can
  // send it twice, never lose it (known limit 3 of RELIABILITY.md is gone).
  it.each(cases(["ses:SendEmail", "iam:DeleteAccessKey", "iam:UntagUser"]))(
    "is completed by the next run: crash after call $k ($operation), reply lost: $lostReply",
    async ({ k, lostReply }) => {
      h = await startHarness([deactivated], {}, START);

      await h.run({
        clients: h.clientsWith(
          [crashSwitch({ after: k, counting: "changing-calls", lostReply }).middleware],
          2,
        ),
      });
      const sentBeforeCrash = notices(h, /was deleted/);
      h.sandbox.clock.advanceMs(3_600_000);
      const next = await h.run();

      expect(next.status).toBe("completed");
      expect(next.users.every((u) => u.status === "ok")).toBe(true);
      expect(keysOf(h, "bob").map((x) => [x.accessKeyId, x.status])).toEqual([[NEW, "Active"]]);
      expect(tagsOf(h, "bob")).toEqual({ email: "bob@example.com" });
      expect(activeDeleted(h)).toEqual([]);
      expect(h.sandbox.keyEvents().filter((e) => e.operation === "DeleteAccessKey")).toHaveLength(
        1,
      );
      expect(sentBeforeCrash).toBe(1);
      // Sent again only when the crash came before the key was deleted.
      expect(notices(h, /was deleted/)).toBe(k === 1 ? 2 : 1);
      expect(next.users.flatMap((u) => u.findings.map((f) => f.code))).toEqual(
        k === 2 ? ["broken-tracking"] : [],
      );
    },
  );
});

describe("a crash after each call of an unused-key deactivation", () => {
  it.each(cases(["iam:TagUser", "iam:UpdateAccessKey", "ses:SendEmail", "iam:UntagUser"]))(
    "leaves a state the next run accepts: crash after call $k ($operation), reply lost: $lostReply",
    async ({ k, lostReply }) => {
      h = await startHarness([unused], { UNUSED_DAYS: "45" }, START);

      await h.run({
        clients: h.clientsWith(
          [crashSwitch({ after: k, counting: "changing-calls", lostReply }).middleware],
          2,
        ),
      });
      h.sandbox.clock.advanceMs(3_600_000);
      const next = await h.run();

      expect(next.status).toBe("completed");
      expect(next.users.every((u) => u.status === "ok")).toBe(true);
      expect(activeDeleted(h)).toEqual([]);
      // Tags written but the key still Active reads as broken tracking: the tags are removed and
      // the unused rule applies again in the same run.
      expect(keysOf(h, "bob").map((x) => x.status)).toEqual(["Inactive"]);
      // The marker keeps the notice until it is sent: at least once, twice only when the crash
      // came after the send (invariant 14).
      expect(notices(h, /unused AWS access key/)).toBe(k === 3 ? 2 : 1);

      for (let day = 1; day <= 12; day++) {
        h.sandbox.clock.advanceDays(1);
        await h.run();
      }
      expect(activeDeleted(h)).toEqual([]);
      expect(tagsOf(h, "bob")["key-rotation-state"]).toBeUndefined();
    },
  );
});
