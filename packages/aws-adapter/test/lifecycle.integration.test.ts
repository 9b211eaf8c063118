import type { ScenarioUser, SentEmail } from "@keyrotate/sandbox";
import {
  checkDeletions,
  checkLockout,
  checkSettingsOf,
  emailTexts,
  type Harness,
  keysOf,
  mutatingCalls,
  secretHygiene,
  startHarness,
  tagsOf,
  undeliveredKeys,
  useNewestKey,
} from "@keyrotate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMAIL_KIND_NAME } from "../src/email.js";
import type { LogEntry } from "../src/log.js";
import type { RunReport } from "../src/report.js";
import { secretFiles } from "../src/secretFile.js";

const id = (name: string, n = 1) =>
  `AKIA${name
    .toUpperCase()
    .replace(/[^A-Z]/g, "")
    .padEnd(12, "X")
    .slice(0, 12)}${String(n).padStart(4, "0")}`;

const email = (name: string) => ({ email: `${name}@example.com` });
const filler = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`team-${i}`, "x"]));

/** A user in every state of POLICY.md, on 2026-01-01. */
const users: ScenarioUser[] = [
  {
    name: "worker",
    tags: email("worker"),
    keys: [{ ageDays: 25, lastUsedDaysAgo: 0, id: id("worker") }],
  },
  {
    name: "overdue",
    tags: email("overdue"),
    keys: [{ ageDays: 95, lastUsedDaysAgo: 0, id: id("overdue") }],
  },
  {
    name: "twoactive",
    tags: email("twoactive"),
    keys: [
      { ageDays: 40, lastUsedDaysAgo: 1, id: id("twoactive", 1) },
      { ageDays: 35, lastUsedDaysAgo: 0, id: id("twoactive", 2) },
    ],
  },
  {
    name: "blocked",
    tags: email("blocked"),
    keys: [
      { ageDays: 200, status: "Inactive", lastUsedDaysAgo: 150, id: id("blocked", 1) },
      { ageDays: 50, lastUsedDaysAgo: 0, id: id("blocked", 2) },
    ],
  },
  {
    name: "idle",
    tags: email("idle"),
    keys: [{ ageDays: 20, lastUsedDaysAgo: 19, id: id("idle") }],
  },
  { name: "noemail", keys: [{ ageDays: 70, lastUsedDaysAgo: 0, id: id("noemail") }] },
  {
    name: "bademail",
    tags: { email: "bademail@localhost" },
    keys: [{ ageDays: 70, lastUsedDaysAgo: 0, id: id("bademail") }],
  },
  {
    name: "exempt",
    tags: { ...email("exempt"), "key-rotation-exempt": "true" },
    keys: [{ ageDays: 90, lastUsedDaysAgo: 0, id: id("exempt") }],
  },
  {
    name: "exemptuntil",
    tags: { ...email("exemptuntil"), "key-rotation-exempt": "2026-01-20" },
    keys: [{ ageDays: 80, lastUsedDaysAgo: 0, id: id("exemptuntil") }],
  },
  {
    name: "tracked",
    tags: {
      ...email("tracked"),
      "last-check-date": "2025-12-27",
      "last-check-old-key": id("tracked", 1),
    },
    keys: [
      { ageDays: 80, lastUsedDaysAgo: 6, id: id("tracked", 1) },
      { ageDays: 5, lastUsedDaysAgo: 0, id: id("tracked", 2) },
    ],
  },
  {
    name: "broken",
    tags: { ...email("broken"), "last-check-date": "not-a-date" },
    keys: [{ ageDays: 10, lastUsedDaysAgo: 0, id: id("broken") }],
  },
  {
    name: "onlyinactive",
    tags: email("onlyinactive"),
    keys: [{ ageDays: 30, status: "Inactive", lastUsedDaysAgo: 20, id: id("onlyinactive") }],
  },
  {
    name: "tagbudget",
    tags: { ...email("tagbudget"), ...filler },
    keys: [{ ageDays: 65, lastUsedDaysAgo: 0, id: id("tagbudget") }],
  },
];

const seededIds = users.flatMap((u) => (u.keys ?? []).map((k) => k.id as string));
const unhandled = ["noemail", "bademail", "exempt"];
/** Users whose keys must follow invariant 7 once their starting state has played out. */
const regular = ["worker", "overdue", "exemptuntil", "tracked"];

const DAYS = 100;
const MS_PER_DAY = 86_400_000;

let h: Harness;
const reports: RunReport[] = [];
const logs: LogEntry[] = [];
const problems: string[] = [];
const rerunMutations: number[] = [];
let unhandledAtStart: string;

/** Users' tags and keys, last use aside (the test itself uses the keys every day). */
const snapshotOf = (names: string[]) =>
  JSON.stringify(
    h.sandbox
      .users()
      .filter((u) => names.includes(u.name))
      .map((u) => ({ ...u, keys: u.keys.map(({ lastUsed: _, ...k }) => k) })),
  );

beforeAll(async () => {
  h = await startHarness(users, { UNUSED_DAYS: "45", ADMIN_EMAIL: "admin@example.com" });
  unhandledAtStart = snapshotOf(unhandled);
  for (let day = 0; day < DAYS; day += 1) {
    if (day > 0) h.sandbox.clock.advanceDays(1);
    for (const u of users) if (u.name !== "idle") await useNewestKey(h, u.name);
    const morning = h.sandbox.users();
    const before = new Map(morning.map((u) => [u.name, u.keys]));
    const eventsAt = h.sandbox.keyEvents().length;
    const report = await h.run({ log: (entry) => logs.push(entry) });
    reports.push(report);
    const where = `day ${day} (${h.today()})`;
    if (report.status !== "completed" || report.counts.failed > 0) {
      problems.push(`${where}: run ${report.status}, ${report.counts.failed} failed`);
    }
    // No Active key deleted, nobody locked out but by UNUSED_DAYS: the sandbox/verify checks.
    const today = { day, before: morning, after: { users: h.sandbox.users() } };
    for (const v of [
      ...checkDeletions({ day, keyEventsToday: h.sandbox.keyEvents().slice(eventsAt) }),
      ...checkLockout(checkSettingsOf(h.settings, secretFiles), today),
    ]) {
      problems.push(`${where}: ${v.userName}: ${v.check}: ${v.message}`);
    }
    for (const [name] of before) {
      const after = keysOf(h, name);
      for (const p of undeliveredKeys(h, name, seededIds)) problems.push(`${where}: ${name}: ${p}`);
      // Invariant 13: invariant 7's bounds, moved by MIN_NOTICE_DAYS and IN_USE_DELAY_DAYS (7
      // each by default), once the starting states (an exemption ending on day 19) played out.
      if (day >= 45 + 7 && regular.includes(name)) {
        for (const k of after) {
          const age = Math.floor(
            (h.sandbox.clock.now().getTime() - Date.parse(String(k.createDate))) / MS_PER_DAY,
          );
          if (k.status === "Active" && age > 60 + 10 + 2 + 7 + 7) {
            problems.push(`${where}: ${name}'s key ${k.accessKeyId} is Active at age ${age}`);
          }
          if (age > 60 + 10 + 10 + 3 + 7 + 7)
            problems.push(`${where}: ${name}'s key ${k.accessKeyId} is ${age} days old`);
        }
      }
    }
    if (day % 10 === 5) {
      // Invariant 6: a second run on the same day changes nothing and sends nothing.
      h.sandbox.clock.advanceMs(3_600_000);
      const calls = h.sandbox.calls();
      const mails = h.sandbox.emails().length;
      await h.run();
      const after = h.sandbox.calls();
      const diff = Object.fromEntries(
        Object.entries(after).map(([op, n]) => [op, n - (calls[op] ?? 0)]),
      );
      // The admin summary is the only mail a quiet run sends.
      const userMails = h.sandbox
        .emails()
        .slice(mails)
        .filter((e) => !e.destinations.to.includes("admin@example.com")).length;
      rerunMutations.push(mutatingCalls(diff) - (diff["ses:SendEmail"] ?? 0) + userMails);
    }
  }
}, 300_000);

afterAll(async () => {
  await h.close();
});

const emailsTo = (name: string) =>
  h.sandbox.emails().filter((e) => e.destinations.to.includes(`${name}@example.com`));

const noticesTo = (name: string, subject: RegExp) =>
  emailsTo(name).filter((e) => subject.test(e.subject ?? "")).length;

describe(`${DAYS} days of daily runs against the sandbox`, () => {
  it("completes every run with no failure, no Active key deleted and every new key delivered", () => {
    expect(reports).toHaveLength(DAYS);
    expect(problems).toEqual([]);
  });

  it("changes nothing and sends nothing when run twice on the same day", () => {
    expect(rerunMutations).toHaveLength(10);
    expect(rerunMutations.every((n) => n === 0)).toBe(true);
  });

  it("warns, rotates, deactivates and deletes a working user's key on schedule, twice over", () => {
    expect(noticesTo("worker", /will be rotated on/)).toBeGreaterThanOrEqual(1);
    expect(noticesTo("worker", /was rotated: new key/)).toBe(2);
    expect(noticesTo("worker", /old AWS access key .* was deactivated/)).toBe(1);
    expect(noticesTo("worker", /was deleted/)).toBe(1);
    const keys = keysOf(h, "worker");
    expect(keys.map((k) => k.status)).toEqual(["Active", "Active"]);
    expect(keys.map((k) => k.accessKeyId)).not.toContain(id("worker"));
  });

  it("warns about an overdue key on the first day, rotates it MIN_NOTICE_DAYS later and retires it within the policy's bounds", () => {
    const first = reports[0]?.users.find((u) => u.userName === "overdue");
    expect(first?.steps.map((s) => s.step.noticeKind)).toContain("Warning");
    expect(first?.steps.map((s) => s.step.action)).not.toContain("CreateKey");
    const rotated = reports.findIndex((r) =>
      r.users.some((u) => u.userName === "overdue" && u.newKeyId !== undefined),
    );
    expect(rotated).toBe(7);
    expect(keysOf(h, "overdue").map((k) => k.accessKeyId)).not.toContain(id("overdue"));
  });

  it("reminds a user with two Active keys, and deactivates the one left unused", () => {
    expect(noticesTo("twoactive", /has two active access keys/)).toBeGreaterThanOrEqual(1);
    expect(noticesTo("twoactive", /unused AWS access key/)).toBe(1);
    // The unused key went; the one in use later became overdue and was rotated.
    const keys = keysOf(h, "twoactive").map((k) => k.accessKeyId);
    expect(keys).not.toContain(id("twoactive", 1));
    expect(noticesTo("twoactive", /was rotated: new key/)).toBe(1);
  });

  it("keeps warning about an Inactive key that blocks a rotation, and never rotates", () => {
    expect(keysOf(h, "blocked")).toHaveLength(2);
    expect(emailsTo("blocked").some((e) => /Please delete it/.test(e.text ?? ""))).toBe(true);
    expect(
      reports.some((r) =>
        r.users.some((u) => u.findings.some((f) => f.code === "inactive-blocks-rotation")),
      ),
    ).toBe(true);
  });

  it("deactivates a key unused for more than UNUSED_DAYS, then deletes it", () => {
    expect(noticesTo("idle", /unused AWS access key/)).toBe(1);
    expect(noticesTo("idle", /was deleted/)).toBe(1);
    expect(keysOf(h, "idle")).toEqual([]);
  });

  it("never touches users without one valid address, or exempt ones", () => {
    expect(snapshotOf(unhandled)).toBe(unhandledAtStart);
    for (const name of unhandled) expect(emailsTo(name)).toEqual([]);
  });

  it("warns an exempt-until user the day after the exemption ends, and rotates MIN_NOTICE_DAYS later", () => {
    const day = reports.findIndex((r) =>
      r.users.some((u) => u.userName === "exemptuntil" && u.newKeyId !== undefined),
    );
    expect(reports[day]?.date).toBe("2026-01-28");
    const warned = reports
      .find((r) => r.date === "2026-01-21")
      ?.users.find((u) => u.userName === "exemptuntil");
    expect(warned?.steps.map((s) => s.step.noticeKind)).toContain("Warning");
  });

  it("deactivates and deletes the old key of an account already mid-rotation", () => {
    expect(keysOf(h, "tracked").map((k) => k.accessKeyId)).not.toContain(id("tracked", 1));
    expect(noticesTo("tracked", /old AWS access key .* was deactivated/)).toBeGreaterThanOrEqual(1);
  });

  it("removes broken tracking tags without touching the key", () => {
    expect(tagsOf(h, "broken")["last-check-date"]).toBeUndefined();
    expect(keysOf(h, "broken").some((k) => k.status === "Active")).toBe(true);
  });

  it("reports but never rotates a user whose tags leave no room", () => {
    expect(keysOf(h, "tagbudget").map((k) => k.accessKeyId)).toEqual([id("tagbudget")]);
    expect(
      reports.some((r) =>
        r.users.some(
          (u) => u.userName === "tagbudget" && u.findings.some((f) => f.code === "tag-budget"),
        ),
      ),
    ).toBe(true);
  });

  it("never shows a secret in a log line, a report or a notice", () => {
    const hygiene = secretHygiene(h.sandbox);
    expect(hygiene.secrets().length).toBeGreaterThan(seededIds.length);
    expect(hygiene.scan({ logs, reports, ...emailTexts(h.sandbox.emails()) })).toEqual([]);
  });

  it("marks every mail with its kind in the X-Keyrotate-Notice message tag", () => {
    const kindOf = (e: SentEmail) => e.tags?.[EMAIL_KIND_NAME];
    const mails = h.sandbox.emails();
    const toAdmin = mails.filter((e) => e.destinations.to.includes("admin@example.com"));

    expect(mails.filter((e) => kindOf(e) === undefined)).toEqual([]);
    expect(new Set(toAdmin.map(kindOf))).toEqual(new Set(["AdminSummary"]));
    expect(emailsTo("idle").filter((e) => kindOf(e) === "DeactivatedUnused")).toHaveLength(
      noticesTo("idle", /unused AWS access key/),
    );
    expect(emailsTo("worker").filter((e) => kindOf(e) === "Rotated")).toHaveLength(
      noticesTo("worker", /was rotated: new key/),
    );
  });

  it("mails the admin a summary after every run", () => {
    expect(
      h.sandbox.emails().filter((e) => e.destinations.to.includes("admin@example.com")).length,
    ).toBeGreaterThanOrEqual(DAYS);
  });
});
