/** One simulated day of an account: the day's runs (maybe aborted and rerun), then every check. */
import type { RunReport } from "@keyrotate/aws-adapter";
import {
  announcedKeys,
  checkConverged,
  checkDay,
  checkKeyAges,
  checkNoticesSent,
  type DayRecord,
  emailTexts,
  indexNotices,
  noticesNeeded,
  readNotice,
  rotatedNoticesNeeded,
  scanForSecrets,
} from "@keyrotate/sandbox/verify";
import { crashSwitch } from "@keyrotate/testkit";
import type { Account } from "./account.js";
import { BUCKET, START } from "./options.js";
import { sum } from "./results.js";
import { chaosClients } from "./sdkDoubles.js";

/** One simulated day of an account: runs (maybe aborted and rerun), then every check. */
export const simulateDay = async (
  a: Account,
  day: number,
  final: boolean,
): Promise<{ calls: number; crashed: boolean }> => {
  const sb = a.sandbox;
  a.currentDay = day;
  if (!final) {
    // Users act at 08:00: an hour later IAM has long made their writes visible.
    sb.clock.set(new Date(START.getTime() + day * 86_400_000 - 3_600_000));
    await a.betweenRuns();
  }
  // Every day's first run at 09:00 UTC: reruns (+60 s, +1 h) must not drift past midnight.
  sb.clock.set(new Date(START.getTime() + day * 86_400_000));
  a.useKeys();
  const before = sb.users();
  const today = sb.clock.now();
  for (const u of before) {
    for (const k of u.keys) {
      if (!a.firstSeenAge.has(k.accessKeyId) && !a.seenInactive.has(k.accessKeyId)) {
        if (k.status !== "Active") {
          a.seenInactive.add(k.accessKeyId);
          continue;
        }
        const age = Math.floor((today.getTime() - k.createDate.getTime()) / 86_400_000);
        a.firstSeenAge.set(k.accessKeyId, age);
      }
    }
  }
  const eventsAt = sb.keyEvents().length;
  const emailsAt = sb.emails().length;
  const callsAt = sum(sb.calls());
  const failCreates = !final && a.random() < a.options.createFailureRate;
  if (failCreates) a.tally.createFailureDays += 1;
  sb.setFaults(
    final
      ? {}
      : {
          ...a.faults(),
          ...(failCreates
            ? { failOperations: { "iam:CreateAccessKey": { count: 10, status: 500 } } }
            : {}),
        },
  );
  let last: RunReport;
  let didCrash = false;
  const crashAfterNotice = new Set<string>();
  const unsettled = new Set<string>();
  if (!final && a.random() < a.options.crashRate) {
    const k = 1 + Math.floor(a.random() * Math.max(4, a.lastCalls));
    const crash = crashSwitch({
      after: k,
      counting: "every-call",
      lostReply: a.random() < 0.5,
    });
    const crashClients = a.rejectSends(chaosClients(sb, a.settings, [crash.middleware]));
    const aborted = await a.run(crashClients);
    crashClients.iam.destroy();
    crashClients.s3.destroy();
    crashClients.ses.destroy();
    last = aborted;
    if (crash.fired()) {
      didCrash = true;
      a.tally.crashes += 1;
      // A notice is recorded after it is sent (a warning's day in the state tag, a pending
      // item cleared, the deleted key gone): a crash in between makes the rerun send it again.
      const live = new Map(sb.users().map((u) => [u.name, u]));
      // Every notice is recorded only after it is sent (a warning's record, the end of a
      // pending Rotated or Deactivated notice) or sent before its change (Deleted): a crash
      // between the send and its record makes the rerun send it again (at-least-once,
      // RELIABILITY.md). A notice whose record the crash did not stop is not excused.
      for (const e of sb.emails().slice(emailsAt)) {
        const name = (e.destinations.to[0] ?? "").replace(/@.*/, "");
        const n = readNotice(e);
        const u = live.get(name);
        if (n !== undefined && u !== undefined && !a.recorded(n, u)) crashAfterNotice.add(name);
      }
      sb.clock.advanceMs(a.options.rerunAfterMs);
      last = await a.run(a.clients);
    }
  } else if (!final && a.options.concurrentRuns && a.random() < a.options.concurrentRate) {
    // Two runs started together (the scheduled Lambda and someone's `keyrotate run`).
    a.tally.concurrentDays += 1;
    a.second ??= a.rejectSends(chaosClients(sb, a.settings, []));
    const [first, second] = await Promise.all([a.run(a.clients), a.run(a.second)]);
    last = first;
    if (second.status === "failed") for (const u of before) unsettled.add(u.name);
    for (const u of second.users)
      if (u.status !== "ok" && u.status !== "planned") unsettled.add(u.userName);
  } else {
    last = await a.run(a.clients);
  }
  if (last.status === "failed") for (const u of before) unsettled.add(u.name);
  for (const u of last.users)
    if (u.status !== "ok" && u.status !== "planned") unsettled.add(u.userName);
  a.lastCalls = Math.max(4, sum(last.apiCalls));

  let rerun = { mutatingCalls: 0, userNotices: 0 };
  if (final || (day % 7 === 3 && last.status === "completed")) {
    // Invariant 6: a second run the same day changes nothing and sends nothing, for every user
    // whose first run settled (a user whose run failed may be finished now: not judged).
    // A user whose run failed after a notice, before recording it, gets it again (at least once).
    const live = new Map(sb.users().map((u) => [u.name, u]));
    for (const e of sb.emails().slice(emailsAt)) {
      const name = (e.destinations.to[0] ?? "").replace(/@.*/, "");
      const n = readNotice(e);
      const u = live.get(name);
      if (unsettled.has(name) && n !== undefined && u !== undefined && !a.recorded(n, u))
        crashAfterNotice.add(name);
    }
    sb.clock.advanceMs(3_600_000);
    const calls = sb.calls();
    const objects = a.credentialObjects();
    const mails = sb.emails().length;
    const again = await a.run(a.clients);
    const judged = (name: string) => final || !unsettled.has(name);
    rerun = {
      mutatingCalls: final
        ? a.mutatingCallsSince(calls, objects)
        : again.users
            .filter((u) => judged(u.userName))
            .reduce(
              (n, u) =>
                n + u.steps.filter((x) => x.status !== "skipped" && x.status !== "deferred").length,
              0,
            ),
      userNotices: a.userNoticesSince(mails, (to) => judged(to.replace(/@.*/, ""))),
    };
    a.tally.reruns += 1;
    if (!final && (rerun.mutatingCalls > 0 || rerun.userNotices > 0)) {
      const acting = again.users
        .filter((u) => judged(u.userName) && u.steps.some((x) => x.status === "ok"))
        .map((u) => u.userName);
      a.violations.push({
        check: "not-converged",
        day,
        userName: acting.join(",") || "*",
        message: `a second run the same day made ${rerun.mutatingCalls} changes and sent ${rerun.userNotices} user notices to users whose first run had settled`,
      });
    }
  }

  const emailsToday = sb.emails().slice(emailsAt);
  for (const id of announcedKeys(emailsToday)) a.announced.add(id);
  indexNotices(emailsToday, a.notices);
  const record: DayRecord = {
    day,
    before,
    after: {
      users: sb.users(),
      objects: sb.objects(BUCKET),
      ...(a.settings.secretStore === "secretsmanager"
        ? { secrets: sb.secrets({ values: true }) }
        : {}),
      emails: [],
      announced: a.announced,
      secretOf: (id) => sb.secretOf(id),
    },
    emailsToday,
    keyEventsToday: sb.keyEvents().slice(eventsAt),
    seededKeyIds: a.seeded,
    unsettled,
    crashAfterNotice,
    today,
    handMadeKeyIds: a.handMade,
    notices: a.notices,
    beforeStart: a.beforeStart,
  };
  a.needed.push(...noticesNeeded(a.checkSettings, record));
  const s = a.checkSettings;
  const found = [
    ...checkDay(s, record),
    ...checkKeyAges(s, record, {
      today,
      bounded: new Set(
        a.users
          .filter((u) => u.bounded && !a.acted.has(u.scenario.name))
          .map((u) => u.scenario.name),
      ),
      firstSeenAge: a.firstSeenAge,
      slackDays: 1,
      userSlackDays: (name) => a.rejectedFor.get(name) ?? 0,
    }),
    ...(final
      ? [
          ...checkConverged(s, record, rerun, a.plantedUnread()),
          ...checkNoticesSent([...a.needed, ...rotatedNoticesNeeded(s, record)], a.notices, day),
        ]
      : []),
  ];
  a.tally.checks += 1;
  a.violations.push(...found);
  a.tally.resent += countResent(record);
  // Secret hygiene: today's logs, the last report and today's notices hold no secret; with the
  // Secrets Manager store, neither does the bucket (the lease is its only object).
  const leaks = scanForSecrets(sb.issuedSecrets(), {
    logs: a.logs.splice(0),
    report: last,
    ...emailTexts(record.emailsToday),
    ...(a.settings.secretStore === "secretsmanager"
      ? { bucket: record.after.objects.map((o) => o.body.toString("utf8")) }
      : {}),
  });
  for (const leak of leaks) {
    a.violations.push({
      check: "secret-lost",
      day,
      userName: "*",
      message: `secret of ${leak.accessKeyId} found in ${leak.where} (${leak.form})`,
    });
  }
  a.tally.secretLeaks += leaks.length;
  return { calls: sum(sb.calls()) - callsAt, crashed: didCrash };
};

/** Same-recipient, same-subject notices sent more than once today (tolerated after a crash). */
const countResent = (d: DayRecord): number => {
  const seen = new Map<string, number>();
  for (const e of d.emailsToday) {
    const id = `${e.destinations.to.join(",")}\u0000${e.subject ?? ""}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  let n = 0;
  for (const [id, count] of seen) {
    const user = (id.split("\u0000")[0] ?? "").replace(/@.*/, "");
    if (count > 1 && d.crashAfterNotice.has(user)) n += count - 1;
  }
  return n;
};
