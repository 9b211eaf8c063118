/**
 * The demo's checks: `@keyrotate/sandbox/verify`'s, on the account as the sandbox saw it. Loaded
 * lazily with the demo (the sandbox is an optional peer of the CLI).
 */
import type { RunReport } from "@keyrotate/aws-adapter";
import type { KeyEvent, Sandbox, SandboxUser } from "@keyrotate/sandbox";
import {
  type CheckSettings,
  checkDeletions,
  checkLockout,
  checkSecrets,
  type DayRecord,
  emailTexts,
  scanForSecrets,
} from "@keyrotate/sandbox/verify";
import type { InvariantResults } from "./invariants.js";

/** One run of the demo as the sandbox saw it: the day's record for the checks. */
const dayRecord = (
  sandbox: Sandbox,
  day: number,
  before: ReadonlyArray<SandboxUser>,
  keyEventsToday: ReadonlyArray<KeyEvent>,
  seededKeyIds: ReadonlySet<string>,
): DayRecord => ({
  day,
  before,
  after: {
    users: sandbox.users(),
    objects: sandbox.objects(),
    secrets: sandbox.secrets({ values: true }),
    emails: sandbox.emails(),
    secretOf: (id) => sandbox.secretOf(id),
  },
  emailsToday: [],
  keyEventsToday,
  seededKeyIds,
  unsettled: new Set(),
  crashAfterNotice: new Set(),
  today: sandbox.clock.now(),
  handMadeKeyIds: new Set(),
});

/**
 * Checks one run with the sandbox's checks of POLICY.md, on the account as the sandbox saw it
 * (not as the report claims): no key is deleted while Active, and every user who had an Active
 * key still has one, unless the `UNUSED_DAYS` rule deactivated it (the tracking tags name it).
 * Records the keys the run created and kept.
 */
export const checkRun = (
  results: InvariantResults,
  settings: CheckSettings,
  run: {
    readonly sandbox: Sandbox;
    readonly day: number;
    readonly before: ReadonlyArray<SandboxUser>;
    readonly keyEventsToday: ReadonlyArray<KeyEvent>;
    readonly report: RunReport;
  },
): void => {
  const d = dayRecord(run.sandbox, run.day, run.before, run.keyEventsToday, new Set());
  results.deletionsChecked += run.keyEventsToday.filter(
    (e) => e.operation === "DeleteAccessKey",
  ).length;
  for (const v of checkDeletions(d)) {
    results.activeDeleted.push(`day ${v.day}: ${v.userName}: ${v.message}`);
  }
  const locked = new Set(checkLockout(settings, d).map((v) => v.userName));
  const after = new Map(d.after.users.map((u) => [u.name, u]));
  for (const user of run.before) {
    const lost =
      user.keys.some((k) => k.status === "Active") &&
      !after.get(user.name)?.keys.some((k) => k.status === "Active");
    if (!lost) continue;
    if (locked.has(user.name)) results.lostActive.push(`day ${run.day}: ${user.name}`);
    else results.unusedExceptions.push(user.name);
  }
  for (const u of run.report.users) {
    if (u.newKeyId !== undefined && u.status === "ok") {
      results.createdKeys.push({ day: run.day, userName: u.userName, keyId: u.newKeyId });
    }
  }
};

/**
 * Checks that every key keyrotate made and that still exists was delivered (its secret file in
 * the bucket holds its secret, a Rotated notice names it, the tracking tags name the key it
 * replaces), then that no secret the sandbox issued appears in any email or in `texts`.
 */
export const checkDelivery = (
  results: InvariantResults,
  settings: CheckSettings,
  sandbox: Sandbox,
  seededKeyIds: ReadonlySet<string>,
  texts: ReadonlyArray<readonly [string, string]>,
): void => {
  const d = dayRecord(sandbox, 0, [], [], seededKeyIds);
  for (const v of checkSecrets(settings, d)) {
    results.undelivered.push(`${v.userName}: ${v.message}`);
  }
  const leaks = scanForSecrets(sandbox.issuedSecrets(), {
    ...emailTexts(sandbox.emails()),
    ...Object.fromEntries(texts),
  });
  for (const leak of leaks) results.secretLeaks.push(leak.where);
};
