import type { AccessKey, AccessKeyId, Tag, UserSnapshot } from "./AccessKey.js";
import { addDays, type CalendarDate, daysBetween, parseCalendarDate } from "./CalendarDate.js";
import type { EmailAddress } from "./EmailAddress.js";
import { eligibility } from "./eligibility.js";
import { sortKeys } from "./keyOrder.js";
import {
  type Finding,
  type FindingCode,
  finding,
  type KeyChangeReason,
  type NewKey,
  type Notice,
  type Plan,
  type Step,
} from "./Plan.js";
import { isQuiet } from "./quiet.js";
import type { PolicySettings } from "./Settings.js";
import { after, atLeast, isReminderDay, type Threshold } from "./thresholds.js";
import {
  formatStateTag,
  NEW_KEY_PLACEHOLDER,
  NOW_PLACEHOLDER,
  parseStateTag,
  ROTATION_WINDOW_SECONDS,
  readTracking,
  type StateTag,
} from "./tracking.js";
import { unusedKey } from "./unused.js";

/** IAM's limit of tags per user. */
export const MAX_TAGS_PER_USER = 50;

/**
 * The state machine of POLICY.md: from the settings, today's date and one user's snapshot, the
 * plan for that user today. Pure and total: any snapshot yields a plan.
 *
 * Decisions run in this order, each on the state the previous one leaves: recovery of a step
 * that crashed in an earlier run; removal of broken tracking tags; the tracked transitions
 * (deactivate, delete); the untracked rules (unused, rotate, warn). A run that deletes the old
 * key goes on to the untracked rules for the key that remains, so that deciding again on the
 * same day finds nothing to do.
 *
 * @example decide(defaultPolicySettings, "2026-11-23" as CalendarDate)(user).steps
 */
export const decide = (settings: PolicySettings, today: CalendarDate) => {
  return (user: UserSnapshot): Plan => {
    const who = eligibility(settings, today, user);
    if (who._tag === "NotHandled") {
      return { userName: user.userName, handled: false, steps: [], findings: who.findings };
    }
    if (isQuiet(settings, today, user)) {
      return { userName: user.userName, handled: true, steps: NO_STEPS, findings: NO_FINDINGS };
    }
    const draft = new Draft(settings, today, user, who.to);
    if (draft.recover()) draft.transition();
    return {
      userName: user.userName,
      handled: true,
      steps: draft.steps,
      findings: draft.findings,
      ...(draft.rollback === undefined ? {} : { rollback: draft.rollback }),
    };
  };
};

const NO_STEPS: ReadonlyArray<Step> = Object.freeze([]);
const NO_FINDINGS: ReadonlyArray<Finding> = Object.freeze([]);

/** The plan under construction and the user's state as the steps so far leave it. */
class Draft {
  readonly steps: Step[] = [];
  readonly findings: Finding[] = [];
  rollback: Step[] | undefined;
  private keys: AccessKey[];
  private readonly tags: Map<string, string>;
  private state: StateTag = {};
  private warnedToday = false;

  constructor(
    private readonly settings: PolicySettings,
    private readonly today: CalendarDate,
    private readonly user: UserSnapshot,
    private readonly to: EmailAddress,
  ) {
    this.keys = sortKeys(user.keys);
    this.tags = new Map(user.tags.map((t) => [t.key, t.value]));
  }

  // ---- recovery of keyrotate's own in-flight steps and pending notices ------------------------

  /** Finishes or undoes what an earlier run left; false when the rest must wait for a later run. */
  recover(): boolean {
    const parsed = parseStateTag(this.tags.get(this.settings.stateTagKey));
    if (parsed._tag === "Invalid") {
      this.note(
        "stale-state",
        `the ${this.settings.stateTagKey} tag is not one keyrotate writes; it is removed`,
      );
      this.untag([this.settings.stateTagKey]);
      return true;
    }
    this.state = parsed.state;
    this.warnedToday = this.state.warned?.last === this.today;
    const { rotating, deactivating } = this.state;
    if (rotating !== undefined && !this.recoverRotation(rotating.oldKeyId, rotating.startedAt))
      return false;
    const rotated = this.state.rotated;
    if (rotated !== undefined) this.sendPendingRotated(rotated.newKeyId, rotated.stored);
    if (deactivating !== undefined) {
      if (deactivating.unused) this.recoverUnused(deactivating.keyId, deactivating.date);
      else this.recoverDeactivation(deactivating.keyId);
    }
    this.distrustWarningBesideStaleState();
    return true;
  }

  /**
   * A state tag with an item keyrotate did not leave (a planted or stale marker) is not trusted
   * as a record of notice either: its `warned:` record is dropped, so a rotation waits for a
   * warning this run sends (invariant 9: garbage in tags never leads to a key change).
   */
  private distrustWarningBesideStaleState(): void {
    if (this.state.warned === undefined) return;
    if (!this.findings.some((f) => f.code === "stale-state")) return;
    this.note(
      "stale-state",
      `the warning record in the ${this.settings.stateTagKey} tag stood beside a stale item; it is dropped and the owner is warned again`,
    );
    this.saveState({ ...this.state, warned: undefined });
    this.warnedToday = false;
  }

  /**
   * A `rotating` marker: a rotation stopped between writing it and its commit. Only a key that
   * recovery can prove keyrotate made and never delivered is discarded: made within
   * {@link ROTATION_WINDOW_SECONDS} after the marker was written, never used, and not the old
   * key. Anything else (the older form without a time, a key made by hand, a key in use) is left
   * alone and only the marker is removed. False while a candidate's last use is unknown: the
   * marker then stays and nothing else is decided today.
   */
  private recoverRotation(oldKeyId: AccessKeyId, startedAt: number | undefined): boolean {
    const oldKey = this.keys.find((k) => k.id === oldKeyId);
    const drop = (code: FindingCode, message: string): boolean => {
      this.note(code, message);
      this.saveState({ ...this.state, rotating: undefined });
      return true;
    };
    if (
      this.tags.has(this.settings.lastCheckDateTagKey) ||
      this.tags.has(this.settings.lastCheckOldKeyTagKey)
    ) {
      // A rotation's commit replaces its marker in the same call: a marker beside tracking tags
      // that name its key is a committed rotation whose record a later write replaced (an older
      // version of keyrotate, or a rerun that saw the account before the commit was visible).
      // Its notice is sent (again), naming the file; no key is touched either way.
      if (this.adoptLegacyCommit(oldKeyId)) {
        // The pending notice below sends it and writes the state tag once.
        this.note(
          "recovered-rotation",
          `the rotation of ${oldKeyId} was stored and tracked; its notice is sent now`,
        );
        this.state = { ...this.state, rotating: undefined };
        return true;
      }
      return drop(
        "stale-state",
        `a rotation marker for ${oldKeyId} beside the tracking tags; the marker is removed, no key is touched`,
      );
    }
    if (startedAt === undefined)
      return drop(
        "stale-state",
        `a rotation marker for ${oldKeyId} without the time it was written proves no key; it is removed, no key is touched`,
      );
    if (oldKey === undefined || oldKey.status !== "Active")
      return drop(
        "stale-state",
        `a rotation of ${oldKeyId} was in flight but that key is gone or Inactive; the marker is removed`,
      );
    const inWindow = this.keys.filter(
      (k) =>
        k.id !== oldKeyId &&
        k.createdAt !== undefined &&
        k.createdAt >= startedAt &&
        k.createdAt <= startedAt + ROTATION_WINDOW_SECONDS,
    );
    const waiting = inWindow.filter((k) => k.lastUse._tag === "Unknown");
    if (waiting.length > 0) {
      this.note(
        "recovered-rotation",
        `a rotation of ${oldKeyId} stopped; whether ${waiting.map((k) => k.id).join(", ")} was ever used is unknown, so it is kept and the marker stays for the next run`,
      );
      return false;
    }
    const made = inWindow.filter((k) => k.lastUse._tag === "NeverUsed");
    for (const key of made) {
      if (key.status === "Active")
        this.push({ _tag: "DeactivateKey", keyId: key.id, reason: "undelivered" });
      this.push({ _tag: "DeleteStoredSecret", keyId: key.id });
      this.push({ _tag: "DeleteKey", keyId: key.id, reason: "undelivered" });
    }
    this.keys = this.keys.filter((k) => !made.includes(k));
    return drop(
      "recovered-rotation",
      made.length > 0
        ? `a rotation of ${oldKeyId} crashed before it was complete; its undelivered key ${made.map((k) => k.id).join(", ")} is discarded`
        : `a rotation of ${oldKeyId} crashed before a key was made; the marker is removed`,
    );
  }

  /**
   * A `rotating:<K>` marker beside tracking tags naming K: a rotation that was committed (its
   * file is stored before the commit). Its notice becomes pending.
   */
  private adoptLegacyCommit(oldKeyId: AccessKeyId): boolean {
    const tracking = readTracking(this.settings, this.today, this.keys, this.tags);
    if (tracking._tag !== "Rotated" || tracking.oldKey.id !== oldKeyId) return false;
    const other = this.keys.find((k) => k.id !== oldKeyId);
    if (other === undefined || this.state.rotated !== undefined) return false;
    this.state = { ...this.state, rotated: { newKeyId: other.id, stored: true } };
    return true;
  }

  /**
   * A Rotated notice that was never sent (a crash or a failed send after the commit). It is sent
   * now, naming the new key's file, and the deactivation clock starts today (`D` := today).
   */
  private sendPendingRotated(newKeyId: AccessKeyId, stored: boolean): void {
    const tracking = readTracking(this.settings, this.today, this.keys, this.tags);
    const other = this.keys.find((k) => k.id === newKeyId);
    if (
      tracking._tag !== "Rotated" ||
      other === undefined ||
      other.id === tracking.oldKey.id ||
      (this.state.rotating !== undefined && this.state.rotating.oldKeyId !== tracking.oldKey.id)
    ) {
      this.note(
        "stale-state",
        `a Rotated notice for ${newKeyId} was pending but the tracking tags no longer describe that rotation; it is dropped`,
      );
      this.saveState({ ...this.state, rotated: undefined });
      return;
    }
    this.note(
      "notice-undelivered",
      `the Rotated notice for ${newKeyId} had not been sent; it is sent now and the old key's deactivation counts from today`,
    );
    this.notify(
      this.rotatedNotice(
        tracking.oldKey,
        stored ? { _tag: "Stored", keyId: newKeyId } : { _tag: "Existing", keyId: newKeyId },
        this.today,
        other.created,
      ),
    );
    if (tracking.date !== this.today)
      this.tag([{ key: this.settings.lastCheckDateTagKey, value: this.today }]);
    this.saveState({ ...this.state, rotated: undefined });
  }

  private recoverDeactivation(keyId: AccessKeyId): void {
    const key = this.keys.find((k) => k.id === keyId);
    const tracked = parseCalendarDate(this.tags.get(this.settings.lastCheckDateTagKey) ?? "");
    const clear = () => this.saveState({ ...this.state, deactivating: undefined });
    if (
      key === undefined ||
      this.tags.get(this.settings.lastCheckOldKeyTagKey) !== keyId ||
      tracked === undefined
    ) {
      // The deactivation step writes its marker together with the tracking date while K names
      // the key: a marker without them was not left by that step.
      this.note(
        "stale-state",
        `a deactivation of ${keyId} was in flight but the key or its tracking tags are gone; the marker is removed`,
      );
      clear();
      return;
    }
    let date = tracked;
    if (
      key.status === "Active" &&
      !this.keys.some((k) => k.id !== keyId && k.status === "Active")
    ) {
      // The new key is gone or disabled: deactivating the old one now would lock the user out.
      this.note(
        "stale-state",
        `a deactivation of ${keyId} was in flight but it is the user's only Active key; the marker is removed`,
      );
      clear();
      return;
    }
    if (key.status === "Active") {
      this.push({ _tag: "DeactivateKey", keyId, reason: "retired" });
      this.setKeyStatus(keyId, "Inactive");
      if (date !== this.today) {
        date = this.today;
        this.tag([{ key: this.settings.lastCheckDateTagKey, value: this.today }]);
      }
    }
    this.note("recovered-deactivation", `the deactivation of ${keyId} is completed and announced`);
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "Deactivated",
      keyId,
      deletionDate: this.deletionOf(date).day,
    });
    clear();
  }

  /** An UNUSED_DAYS deactivation whose notice may not have gone out. */
  private recoverUnused(keyId: AccessKeyId, date: CalendarDate): void {
    const key = this.keys.find((k) => k.id === keyId);
    const tracked = this.tags.get(this.settings.lastCheckOldKeyTagKey) === keyId;
    const clear = () => this.saveState({ ...this.state, deactivating: undefined });
    if (key === undefined || !tracked) {
      this.note(
        "stale-state",
        `an unused-key deactivation of ${keyId} was in flight but the key or its tracking tags are gone; the marker is removed`,
      );
      clear();
      return;
    }
    if (key.status === "Active") {
      // Stopped before the key was disabled: the rules decide again from scratch.
      this.note(
        "recovered-deactivation",
        `the unused-key deactivation of ${keyId} stopped before the key was disabled; it is decided again`,
      );
      clear();
      this.untag([this.settings.lastCheckDateTagKey, this.settings.lastCheckOldKeyTagKey]);
      return;
    }
    this.note("recovered-deactivation", `the deactivation of unused ${keyId} is announced`);
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "DeactivatedUnused",
      keyId,
      lastUsed: key.lastUse._tag === "UsedOn" ? key.lastUse.date : undefined,
      deletionDate: this.deletionOf(date).day,
    });
    clear();
  }

  // ---- transitions -----------------------------------------------------------------------------

  transition(): void {
    const tracking = readTracking(this.settings, this.today, this.keys, this.tags);
    switch (tracking._tag) {
      case "Broken":
        this.note("broken-tracking", `tracking tags removed: ${tracking.reason}`);
        this.untag(tracking.tagKeys);
        if (this.state.inUse !== undefined) this.saveState({ ...this.state, inUse: undefined });
        this.untracked();
        return;
      case "Untracked":
        this.untracked();
        return;
      case "Rotated":
        this.rotatedPhase(tracking.oldKey, tracking.date);
        return;
      case "Deactivated":
        if (this.deletionOf(tracking.date).reached) {
          this.deleteOld(tracking.oldKey);
          this.untracked();
        }
        return;
    }
  }

  /** Phase Rotated: deactivate `K` after its grace period, later while in use, earlier if allowed. */
  private rotatedPhase(oldKey: AccessKey, date: CalendarDate): void {
    if (this.state.rotated !== undefined) return;
    const newKey = this.keys.find((k) => k.id !== oldKey.id);
    if (this.deactivationOf(date).reached) {
      if (this.inUse(oldKey) && !this.hardDeadlineOf(date).reached) {
        this.oldKeyInUse(oldKey, newKey, date);
        return;
      }
      this.deactivateOld(oldKey);
      return;
    }
    if (
      this.settings.earlyDeactivation &&
      newKey !== undefined &&
      this.switched(oldKey, newKey, date)
    )
      this.deactivateOld(oldKey);
  }

  /** Used on or after the day before today (the report's day resolution); unknown counts as used. */
  private inUse(key: AccessKey): boolean {
    if (key.lastUse._tag === "Unknown") return true;
    return key.lastUse._tag === "UsedOn" && daysBetween(key.lastUse.date, this.today) <= 1;
  }

  /** EARLY_DEACTIVATION: the new key used since `D`, the old one quiet for more than 2 days and since. */
  private switched(oldKey: AccessKey, newKey: AccessKey, date: CalendarDate): boolean {
    // The new key was used after D, on a day before today: a use today may still be on its way
    // into the credential report, so counting it would let a second run the same day decide
    // otherwise than the first (invariant 6).
    if (
      newKey.lastUse._tag !== "UsedOn" ||
      newKey.lastUse.date <= date ||
      newKey.lastUse.date >= this.today
    )
      return false;
    if (oldKey.lastUse._tag === "NeverUsed") return true;
    return (
      oldKey.lastUse._tag === "UsedOn" &&
      daysBetween(oldKey.lastUse.date, this.today) > 2 &&
      oldKey.lastUse.date < newKey.lastUse.date
    );
  }

  private oldKeyInUse(oldKey: AccessKey, newKey: AccessKey | undefined, date: CalendarDate): void {
    const hardDeadline = this.hardDeadlineOf(date).day;
    this.note(
      "old-key-in-use",
      `${oldKey.id} is still in use; its deactivation waits, at the latest until ${hardDeadline}`,
    );
    const last = this.state.inUse?.last;
    if (
      newKey === undefined ||
      (last !== undefined && daysBetween(last, this.today) < this.settings.reminderIntervalDays)
    )
      return;
    const next = { ...this.state, inUse: { last: this.today } };
    if (!this.fitsState(next)) {
      this.note("tag-budget", "no room for keyrotate's state tag: the in-use notice is not sent");
      return;
    }
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "OldKeyInUse",
      keyId: oldKey.id,
      newKeyId: newKey.id,
      lastUsed: oldKey.lastUse._tag === "UsedOn" ? oldKey.lastUse.date : undefined,
      hardDeadline,
    });
    this.saveState(next);
  }

  private deactivateOld(oldKey: AccessKey): void {
    const d = { key: this.settings.lastCheckDateTagKey, value: this.today };
    const next: StateTag = {
      ...this.state,
      inUse: undefined,
      deactivating: { keyId: oldKey.id, date: this.today, unused: false },
    };
    this.deactivateMarked([d], next, oldKey.id, "retired");
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "Deactivated",
      keyId: oldKey.id,
      deletionDate: this.deletionOf(this.today).day,
    });
    this.saveState({ ...this.state, inUse: undefined, deactivating: undefined });
  }

  /**
   * Deletes `K`. The Deleted notice goes out first: a crash between the two sends it again the
   * next run, and a failed send leaves the key for the next run to try both again. No notice is
   * ever lost (invariant 14).
   */
  private deleteOld(oldKey: AccessKey): void {
    this.notify({ to: this.to, userName: this.user.userName, kind: "Deleted", keyId: oldKey.id });
    this.push({ _tag: "DeleteKey", keyId: oldKey.id, reason: "retired" });
    this.keys = this.keys.filter((k) => k.id !== oldKey.id);
    this.untag([this.settings.lastCheckDateTagKey, this.settings.lastCheckOldKeyTagKey]);
  }

  private untracked(): void {
    if (this.keys.length > 2) {
      this.note(
        "too-many-keys",
        `the user holds ${this.keys.length} keys; IAM allows two, nothing is done`,
      );
      return;
    }
    if (this.unused()) return;
    const active = this.keys.filter((k) => k.status === "Active");
    const inactive = this.keys.filter((k) => k.status === "Inactive");
    const [first, second] = active;
    if (first === undefined) {
      if (inactive.length > 0) this.note("only-inactive-keys", "the user holds only Inactive keys");
      return;
    }
    const age = this.age(first);
    if (second !== undefined) {
      this.twoActive(first, second);
      return;
    }
    const blocker = inactive[0];
    if (blocker === undefined) {
      if (this.overdueOf(first).reached) {
        if (this.noticeGiven(first)) {
          if (this.rotate(first)) return;
        } else if (this.firstNoticeDue(first)) {
          this.warn(first, undefined);
          return;
        }
      }
      if (isReminderDay(this.settings, age)) this.warn(first, undefined);
      return;
    }
    if (this.overdueOf(first).reached) {
      if (this.settings.inactiveBlocker === "delete") {
        if (this.noticeGiven(first)) {
          if (this.canRotate(first)) {
            this.push({ _tag: "DeleteKey", keyId: blocker.id, reason: "inactive-blocker" });
            this.keys = this.keys.filter((k) => k.id !== blocker.id);
            this.rotate(first);
            return;
          }
        } else if (this.firstNoticeDue(first)) {
          this.warn(first, blocker.id);
          return;
        }
      } else {
        this.note(
          "inactive-blocks-rotation",
          `${first.id} is overdue but the Inactive key ${blocker.id} blocks its rotation`,
        );
      }
    }
    if (isReminderDay(this.settings, age)) this.warn(first, blocker.id);
  }

  private unused(): boolean {
    if (this.settings.unusedDays === undefined) return false;
    const unknown = this.keys.filter((k) => k.status === "Active" && k.lastUse._tag === "Unknown");
    if (unknown.length > 0) {
      this.note(
        "unknown-last-use",
        `last use unknown for ${unknown.map((k) => k.id).join(", ")}: not judged unused`,
      );
    }
    const idle = unusedKey(this.settings, this.today, this.keys);
    if (idle === undefined) return false;
    const tags = [
      { key: this.settings.lastCheckDateTagKey, value: this.today },
      { key: this.settings.lastCheckOldKeyTagKey, value: idle.id },
    ];
    if (!this.fits(tags)) {
      this.note(
        "tag-budget",
        `no room for the tracking tags: the unused key ${idle.id} is not deactivated`,
      );
      return false;
    }
    const next: StateTag = {
      ...this.state,
      deactivating: { keyId: idle.id, date: this.today, unused: true },
    };
    this.deactivateMarked(tags, next, idle.id, "unused");
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "DeactivatedUnused",
      keyId: idle.id,
      lastUsed: idle.lastUse._tag === "UsedOn" ? idle.lastUse.date : undefined,
      deletionDate: this.deletionOf(this.today).day,
    });
    this.saveState({ ...this.state, deactivating: undefined });
    return true;
  }

  /**
   * Writes `tags` with the crash marker `next` (without it, and with a finding, when the tag
   * budget has no room), then deactivates the key: its notice is recovered from the marker.
   */
  private deactivateMarked(
    tags: ReadonlyArray<Tag>,
    next: StateTag,
    keyId: AccessKeyId,
    reason: KeyChangeReason,
  ): void {
    const marker = { key: this.settings.stateTagKey, value: formatStateTag(next) as string };
    const withMarker = this.fits([...tags, marker]);
    if (!withMarker)
      this.note(
        "tag-budget",
        "no room for keyrotate's state tag: the deactivation runs without a crash marker",
      );
    this.tag(withMarker ? [...tags, marker] : tags);
    if (withMarker) this.state = next;
    this.push({ _tag: "DeactivateKey", keyId, reason });
    this.setKeyStatus(keyId, "Inactive");
  }

  private twoActive(older: AccessKey, newer: AccessKey): void {
    const olderAge = this.age(older);
    const newerAge = this.age(newer);
    let forced = false;
    if (
      this.settings.twoActiveKeys === "enforce" &&
      this.overdueOf(older).reached &&
      !this.overdueOf(newer).reached
    ) {
      if (this.noticeGiven(older)) {
        const next: StateTag = { rotated: { newKeyId: newer.id, stored: false } };
        const tags = [
          { key: this.settings.lastCheckDateTagKey, value: this.today },
          { key: this.settings.lastCheckOldKeyTagKey, value: older.id },
          { key: this.settings.stateTagKey, value: formatStateTag(next) as string },
        ];
        if (this.fits(tags)) {
          this.tag(tags);
          this.state = next;
          this.notify(
            this.rotatedNotice(
              older,
              { _tag: "Existing", keyId: newer.id },
              this.today,
              newer.created,
            ),
          );
          this.saveState({});
          return;
        }
        this.note("tag-budget", `no room for the tracking tags: ${older.id} is not retired`);
      } else {
        forced = this.firstNoticeDue(older);
      }
    }
    if (this.warningOf(older).reached) {
      this.note("two-active-keys", `two Active keys; ${older.id} is ${olderAge} days old`);
      if ((forced || isReminderDay(this.settings, olderAge)) && this.canWarn(older)) {
        this.notify({
          to: this.to,
          userName: this.user.userName,
          kind: "TwoActiveKeys",
          keyIds: [older.id, newer.id],
          keyAges: [olderAge, newerAge],
        });
        this.recordWarning(older);
      }
    }
  }

  private canRotate(old: AccessKey): boolean {
    const ok = this.fits(this.rotationTags(old.id));
    if (!ok)
      this.note(
        "tag-budget",
        `no room for the tracking tags: ${old.id} is overdue but not rotated`,
      );
    return ok;
  }

  private rotationTags(oldKeyId: AccessKeyId): Tag[] {
    return [
      { key: this.settings.lastCheckDateTagKey, value: this.today },
      { key: this.settings.lastCheckOldKeyTagKey, value: oldKeyId },
      {
        key: this.settings.stateTagKey,
        value: formatStateTag(
          { rotated: { newKeyId: oldKeyId, stored: true } },
          {
            newKeyId: NEW_KEY_PLACEHOLDER,
          },
        ) as string,
      },
    ];
  }

  /**
   * Plans the all-or-nothing rotation of `old`; false (with a finding) when the tags do not fit.
   * The marker records the second it is written (filled in by the adapter); the commit records
   * the new key's id and a pending Rotated notice, cleared once the notice is sent.
   */
  private rotate(old: AccessKey): boolean {
    if (!this.canRotate(old)) return false;
    const before = this.tags.get(this.settings.stateTagKey);
    const [d, k, committed] = this.rotationTags(old.id) as [Tag, Tag, Tag];
    const marker = {
      key: this.settings.stateTagKey,
      value: formatStateTag(
        { ...this.state, rotating: { oldKeyId: old.id, startedAt: 0 } },
        { startedAt: NOW_PLACEHOLDER },
      ) as string,
    };
    this.tag([marker]);
    this.push({ _tag: "CreateKey", replaces: old.id });
    this.push({ _tag: "StoreNewKeySecret" });
    this.tag([d, k, committed], { commitsRotation: true });
    this.notify(this.rotatedNotice(old, { _tag: "Created" }, this.today, this.today));
    this.state = {};
    this.untag([this.settings.stateTagKey]);
    // Only the state tag: the adapter also removes the commit's tags when it tried the commit.
    this.rollback =
      before === undefined
        ? [{ _tag: "UntagUser", tagKeys: [this.settings.stateTagKey] }]
        : [
            {
              _tag: "TagUser",
              tags: [{ key: this.settings.stateTagKey, value: before }],
              commitsRotation: false,
            },
          ];
    return true;
  }

  // ---- minimum notice and warnings ---------------------------------------------------------------

  /** The recorded warnings about `key`, if the state tag holds them. */
  private warningsAbout(key: AccessKey): { first: CalendarDate; last: CalendarDate } | undefined {
    const w = this.state.warned;
    if (w === undefined) return undefined;
    const about = w.keyId === undefined ? key.created <= w.first : w.keyId === key.id;
    return about ? w : undefined;
  }

  /** MIN_NOTICE_DAYS: a notice naming `key` went out at least that many days ago. */
  private noticeGiven(key: AccessKey): boolean {
    if (this.settings.minNoticeDays === 0) return true;
    const w = this.warningsAbout(key);
    return w !== undefined && this.noticeOf(w.first).reached;
  }

  /** An overdue key whose owner was never warned gets a warning today, whatever the day. */
  private firstNoticeDue(key: AccessKey): boolean {
    return this.warningsAbout(key) === undefined;
  }

  /** The day `key` will be rotated: when overdue, and not before the minimum notice. */
  private rotationDay(key: AccessKey): CalendarDate {
    const overdue = this.overdueOf(key).day;
    if (this.settings.minNoticeDays === 0) return overdue;
    const first = this.warningsAbout(key)?.first ?? this.today;
    return latest(latest(this.noticeOf(first).day, overdue), this.today);
  }

  private warn(key: AccessKey, inactiveKeyId: AccessKeyId | undefined): void {
    if (!this.canWarn(key)) return;
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "Warning",
      keyId: key.id,
      keyAge: this.age(key),
      rotationDate: this.rotationDay(key),
      inactiveKeyId,
    });
    this.recordWarning(key);
  }

  /** False when a warning went out today, or (with a finding) when its record cannot be kept. */
  private canWarn(key: AccessKey): boolean {
    if (this.warnedToday) return false;
    if (!this.fitsState(this.warnedState(key))) {
      this.note(
        "tag-budget",
        "no room for keyrotate's state tag: the warning is not sent, so that it is never sent twice",
      );
      return false;
    }
    return true;
  }

  private warnedState(key: AccessKey): StateTag {
    const first = this.warningsAbout(key)?.first ?? this.today;
    return { ...this.state, warned: { first, last: this.today, keyId: key.id } };
  }

  /** Records a warning after it is sent: a failed send is never counted as notice given. */
  private recordWarning(key: AccessKey): void {
    this.saveState(this.warnedState(key));
    this.warnedToday = true;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private age(key: AccessKey): number {
    return daysBetween(key.created, this.today);
  }

  // ---- the thresholds of POLICY.md: each test with the date its notice promises ----------------

  /** `WARNING_DAYS`: the key's warnings start. */
  private warningOf(key: AccessKey): Threshold {
    return after(key.created, this.settings.warningDays, this.today);
  }

  /** `OVERDUE_DAYS`: the key is due for rotation (once the minimum notice is given). */
  private overdueOf(key: AccessKey): Threshold {
    return after(key.created, this.settings.overdueDays, this.today);
  }

  /** `MIN_NOTICE_DAYS`: a key first warned about on `first` may be rotated. */
  private noticeOf(first: CalendarDate): Threshold {
    return atLeast(first, this.settings.minNoticeDays, this.today);
  }

  /** `DEACTIVATE_DAYS`: the old key of a rotation tracked since `date` is deactivated. */
  private deactivationOf(date: CalendarDate): Threshold {
    return after(date, this.settings.deactivateDays, this.today);
  }

  /** `DEACTIVATE_DAYS + IN_USE_DELAY_DAYS`: that old key is deactivated whatever its use. */
  private hardDeadlineOf(date: CalendarDate): Threshold {
    return after(date, this.settings.deactivateDays + this.settings.inUseDelayDays, this.today);
  }

  /** `DELETION_DAYS`: a key deactivated on `date` is deleted. */
  private deletionOf(date: CalendarDate): Threshold {
    return after(date, this.settings.deletionDays, this.today);
  }

  private rotatedNotice(
    old: AccessKey,
    newKey: NewKey,
    date: CalendarDate,
    newKeyCreated: CalendarDate,
  ): Notice {
    const deactivationDate = this.deactivationOf(date).day;
    return {
      to: this.to,
      userName: this.user.userName,
      kind: "Rotated",
      oldKeyId: old.id,
      oldKeyAge: this.age(old),
      newKey,
      deactivationDate,
      deletionDate: this.deletionOf(deactivationDate).day,
      downloadUntil:
        newKey._tag === "Existing"
          ? undefined
          : addDays(
              newKeyCreated,
              this.settings.deactivateDays +
                this.settings.inUseDelayDays +
                this.settings.deletionDays +
                1,
            ),
      earlyDeactivation: this.settings.earlyDeactivation,
      hardDeadline: this.hardDeadlineOf(date).day,
    };
  }

  private fits(tags: ReadonlyArray<Tag>): boolean {
    let count = this.tags.size;
    for (const t of tags) if (!this.tags.has(t.key)) count++;
    return count <= MAX_TAGS_PER_USER;
  }

  private fitsState(next: StateTag): boolean {
    const value = formatStateTag(next);
    return value === undefined || this.fits([{ key: this.settings.stateTagKey, value }]);
  }

  /** Writes the state tag as `next` says: tags it, removes it when empty, or leaves it. */
  private saveState(next: StateTag): void {
    this.state = next;
    const value = formatStateTag(next);
    if (value === undefined) this.untag([this.settings.stateTagKey]);
    else if (this.tags.get(this.settings.stateTagKey) !== value)
      this.tag([{ key: this.settings.stateTagKey, value }]);
  }

  private push(step: Step): void {
    this.steps.push(step);
  }

  private note(code: FindingCode, message: string): void {
    this.findings.push(finding(code, message));
  }

  private notify(notice: Notice): void {
    this.push({ _tag: "SendNotice", notice });
  }

  /** Tags the user; `commitsRotation` marks the tag step that makes a new key official. */
  private tag(tags: ReadonlyArray<Tag>, { commitsRotation = false } = {}): void {
    for (const t of tags) this.tags.set(t.key, t.value);
    this.push({ _tag: "TagUser", tags, commitsRotation });
  }

  private untag(tagKeys: ReadonlyArray<string>): void {
    const present = tagKeys.filter((k) => this.tags.has(k));
    if (present.length === 0) return;
    for (const k of present) this.tags.delete(k);
    this.push({ _tag: "UntagUser", tagKeys: present });
  }

  private setKeyStatus(keyId: AccessKeyId, status: AccessKey["status"]): void {
    this.keys = this.keys.map((k) => (k.id === keyId ? { ...k, status } : k));
  }
}

/** The later of two dates (ISO dates order as strings). */
const latest = (a: CalendarDate, b: CalendarDate): CalendarDate => (a < b ? b : a);
