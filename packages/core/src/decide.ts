import * as E from "fp-ts/lib/Either.js";
import {
  type AccessKey,
  type AccessKeyId,
  lastActivity,
  type Tag,
  type UserSnapshot,
} from "./AccessKey.js";
import {
  addDays,
  type CalendarDate,
  daysBetween,
  parseCalendarDate,
  toDayNumber,
} from "./CalendarDate.js";
import { type EmailAddress, parseEmailAddress } from "./EmailAddress.js";
import type { Finding, FindingCode, NewKey, Notice, Plan, Step } from "./Plan.js";
import type { PolicySettings } from "./Settings.js";
import { formatStateTag, parseStateTag, readTracking } from "./tracking.js";

/** IAM's limit of tags per user. */
export const MAX_TAGS_PER_USER = 50;

/**
 * Orders keys by creation date, then id, so that decisions never depend on the order in which
 * AWS listed them.
 */
export const sortKeys = (keys: ReadonlyArray<AccessKey>): AccessKey[] => {
  const [a, b] = keys;
  if (keys.length === 2 && a !== undefined && b !== undefined)
    return compareKeys(a, b) <= 0 ? [a, b] : [b, a];
  return keys.length < 2 ? [...keys] : [...keys].sort(compareKeys);
};

const compareKeys = (a: AccessKey, b: AccessKey): number =>
  a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Whether a user is handled, and the address of its notices when it is. */
export type Eligibility =
  | { readonly _tag: "Handled"; readonly to: EmailAddress }
  | { readonly _tag: "NotHandled"; readonly findings: ReadonlyArray<Finding> };

/**
 * Decides whether a user is handled: exactly one valid email address in the email tag, and not
 * exempt (POLICY.md, "Who is handled"). An exemption date is inclusive: exempt until the end
 * of that day.
 */
export const eligibility = (
  settings: PolicySettings,
  today: CalendarDate,
  user: UserSnapshot,
): Eligibility => {
  const findings: Finding[] = [];
  let to: EmailAddress | undefined;
  const email = findTag(user.tags, settings.emailTagKey);
  if (email === undefined || email === "") {
    findings.push(finding("no-email", `no ${settings.emailTagKey} tag: the user is not handled`));
  } else {
    const parsed = parseEmailAddress(email);
    if (E.isLeft(parsed)) {
      findings.push(
        finding(
          "bad-email",
          `the ${settings.emailTagKey} tag ${parsed.left}: the user is not handled`,
        ),
      );
    } else {
      to = parsed.right;
    }
  }
  const exempt = findTag(user.tags, settings.exemptTagKey);
  if (exempt !== undefined) {
    const value = exempt.trim().toLowerCase();
    const until = parseCalendarDate(value);
    if (value === "true") {
      findings.push(finding("exempt", `exempt by the ${settings.exemptTagKey} tag`));
    } else if (until !== undefined) {
      if (daysBetween(today, until) >= 0) {
        findings.push(
          finding("exempt", `exempt until ${until} by the ${settings.exemptTagKey} tag`),
        );
      }
    } else if (value !== "false") {
      findings.push(
        finding(
          "bad-exempt-value",
          `the ${settings.exemptTagKey} tag must be true, false or a YYYY-MM-DD date: the user is not handled`,
        ),
      );
    }
  }
  return to !== undefined && findings.length === 0
    ? { _tag: "Handled", to }
    : { _tag: "NotHandled", findings };
};

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
  const todayNumber = toDayNumber(today);
  return (user: UserSnapshot): Plan => {
    const who = eligibility(settings, today, user);
    if (who._tag === "NotHandled") {
      return { userName: user.userName, handled: false, steps: [], findings: who.findings };
    }
    if (isQuiet(settings, todayNumber, user)) {
      return { userName: user.userName, handled: true, steps: NO_STEPS, findings: NO_FINDINGS };
    }
    const draft = new Draft(settings, today, todayNumber, user, who.to);
    draft.recover();
    draft.transition();
    return { userName: user.userName, handled: true, steps: draft.steps, findings: draft.findings };
  };
};

const finding = (code: FindingCode, message: string): Finding => ({ code, message });

const NO_STEPS: ReadonlyArray<Step> = Object.freeze([]);
const NO_FINDINGS: ReadonlyArray<Finding> = Object.freeze([]);

/**
 * True for the common user who needs nothing today: no keyrotate tags, at most two keys, all
 * Active, none past WARNING_DAYS, none unused or of unknown use when UNUSED_DAYS is on. The full
 * state machine would plan nothing and find nothing for such a user; this saves its work on
 * accounts of millions.
 */
const isQuiet = (s: PolicySettings, todayNumber: number, user: UserSnapshot): boolean => {
  if (user.keys.length > 2) return false;
  for (const tag of user.tags) {
    if (
      tag.key === s.lastCheckDateTagKey ||
      tag.key === s.lastCheckOldKeyTagKey ||
      tag.key === s.stateTagKey
    ) {
      return false;
    }
  }
  for (const key of user.keys) {
    if (key.status !== "Active" || todayNumber - toDayNumber(key.created) > s.warningDays)
      return false;
    if (s.unusedDays !== undefined) {
      const since = lastActivity(key);
      if (since === undefined || todayNumber - toDayNumber(since) > s.unusedDays) return false;
    }
  }
  return true;
};

const findTag = (tags: ReadonlyArray<Tag>, key: string): string | undefined => {
  for (const tag of tags) if (tag.key === key) return tag.value;
  return undefined;
};

/** The plan under construction and the user's state as the steps so far leave it. */
class Draft {
  readonly steps: Step[] = [];
  readonly findings: Finding[] = [];
  private keys: AccessKey[];
  private readonly tags: Map<string, string>;
  private warnedToday = false;

  constructor(
    private readonly s: PolicySettings,
    private readonly today: CalendarDate,
    private readonly todayNumber: number,
    private readonly user: UserSnapshot,
    private readonly to: EmailAddress,
  ) {
    this.keys = sortKeys(user.keys);
    this.tags = new Map(user.tags.map((t) => [t.key, t.value]));
  }

  // ---- recovery of keyrotate's own in-flight steps -------------------------------------------

  recover(): void {
    const state = parseStateTag(this.tags.get(this.s.stateTagKey));
    switch (state._tag) {
      case "None":
        return;
      case "Warned":
        this.warnedToday = state.date === this.today;
        return;
      case "Invalid":
        this.note(
          "stale-state",
          `the ${this.s.stateTagKey} tag is not one keyrotate writes; it is removed`,
        );
        this.untag([this.s.stateTagKey]);
        return;
      case "Rotating":
        this.recoverRotation(state.oldKeyId, state.date);
        return;
      case "Deactivating":
        this.recoverDeactivation(state.keyId);
        return;
    }
  }

  private recoverRotation(oldKeyId: AccessKeyId, started: CalendarDate): void {
    const oldKey = this.keys.find((k) => k.id === oldKeyId);
    if (oldKey === undefined || oldKey.status !== "Active") {
      // The rotation started from an Active old key. Without one, a newer key may be the only key
      // the user can use: nothing is discarded.
      this.note(
        "stale-state",
        `a rotation of ${oldKeyId} was in flight but that key is gone or Inactive; the marker is removed`,
      );
      this.untag([this.s.stateTagKey]);
      return;
    }
    // Keys made on or after the day the rotation started, other than the old key, can only be
    // the rotation's new key: the rotation starts when the user holds the old key alone.
    const made = this.keys.filter((k) => k.id !== oldKeyId && k.created >= started);
    const date = parseCalendarDate(this.tags.get(this.s.lastCheckDateTagKey) ?? "");
    const committed =
      made.length === 1 &&
      this.tags.get(this.s.lastCheckOldKeyTagKey) === oldKeyId &&
      date !== undefined &&
      daysBetween(date, this.today) >= 0;
    const newKey = made[0];
    if (committed && newKey !== undefined) {
      this.note(
        "recovered-rotation",
        `the rotation of ${oldKeyId} was stored and tracked; its notice is sent now`,
      );
      this.notify(this.rotatedNotice(oldKey, { _tag: "Existing", keyId: newKey.id }, date));
      this.untag([this.s.stateTagKey]);
      return;
    }
    for (const key of made) {
      if (key.status === "Active")
        this.push({ _tag: "DeactivateKey", keyId: key.id, reason: "undelivered" });
      this.push({ _tag: "DeleteStoredSecret", keyId: key.id });
      this.push({ _tag: "DeleteKey", keyId: key.id, reason: "undelivered" });
    }
    this.keys = this.keys.filter((k) => !made.includes(k));
    this.note(
      "recovered-rotation",
      made.length > 0
        ? `a rotation of ${oldKeyId} crashed before it was complete; its undelivered key ${made.map((k) => k.id).join(", ")} is discarded`
        : `a rotation of ${oldKeyId} crashed before a key was made; the marker is removed`,
    );
    this.untag([this.s.stateTagKey]);
  }

  private recoverDeactivation(keyId: AccessKeyId): void {
    const key = this.keys.find((k) => k.id === keyId);
    const tracked = parseCalendarDate(this.tags.get(this.s.lastCheckDateTagKey) ?? "");
    if (
      key === undefined ||
      this.tags.get(this.s.lastCheckOldKeyTagKey) !== keyId ||
      tracked === undefined
    ) {
      // The deactivation step writes its marker together with the tracking date while K names
      // the key: a marker without them was not left by that step.
      this.note(
        "stale-state",
        `a deactivation of ${keyId} was in flight but the key or its tracking tags are gone; the marker is removed`,
      );
      this.untag([this.s.stateTagKey]);
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
      this.untag([this.s.stateTagKey]);
      return;
    }
    if (key.status === "Active") {
      this.push({ _tag: "DeactivateKey", keyId, reason: "retired" });
      this.setKeyStatus(keyId, "Inactive");
      if (date !== this.today) {
        date = this.today;
        this.tag([{ key: this.s.lastCheckDateTagKey, value: this.today }], false);
      }
    }
    this.note("recovered-deactivation", `the deactivation of ${keyId} is completed and announced`);
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "Deactivated",
      keyId,
      deletionDate: addDays(date, this.s.deletionDays + 1),
    });
    this.untag([this.s.stateTagKey]);
  }

  // ---- transitions -----------------------------------------------------------------------------

  transition(): void {
    const tracking = readTracking(this.s, this.today, this.keys, this.tags);
    switch (tracking._tag) {
      case "Broken":
        this.note("broken-tracking", `tracking tags removed: ${tracking.reason}`);
        this.untag(tracking.tagKeys);
        this.untracked();
        return;
      case "Untracked":
        this.untracked();
        return;
      case "Rotated":
        if (daysBetween(tracking.date, this.today) > this.s.deactivateDays)
          this.deactivateOld(tracking.oldKey);
        return;
      case "Deactivated":
        if (daysBetween(tracking.date, this.today) > this.s.deletionDays) {
          this.deleteOld(tracking.oldKey);
          this.untracked();
        }
        return;
    }
  }

  private deactivateOld(oldKey: AccessKey): void {
    const d = { key: this.s.lastCheckDateTagKey, value: this.today };
    const marker = {
      key: this.s.stateTagKey,
      value: formatStateTag({ _tag: "Deactivating", keyId: oldKey.id, date: this.today }),
    };
    const withMarker = this.fits([d, marker]);
    if (!withMarker) {
      this.note(
        "tag-budget",
        "no room for keyrotate's state tag: the deactivation runs without a crash marker",
      );
    }
    this.tag(withMarker ? [d, marker] : [d], false);
    this.push({ _tag: "DeactivateKey", keyId: oldKey.id, reason: "retired" });
    this.setKeyStatus(oldKey.id, "Inactive");
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "Deactivated",
      keyId: oldKey.id,
      deletionDate: addDays(this.today, this.s.deletionDays + 1),
    });
    if (withMarker) this.untag([this.s.stateTagKey]);
  }

  private deleteOld(oldKey: AccessKey): void {
    this.push({ _tag: "DeleteKey", keyId: oldKey.id, reason: "retired" });
    this.keys = this.keys.filter((k) => k.id !== oldKey.id);
    this.untag([this.s.lastCheckDateTagKey, this.s.lastCheckOldKeyTagKey]);
    this.notify({ to: this.to, userName: this.user.userName, kind: "Deleted", keyId: oldKey.id });
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
      if (age > this.s.overdueDays && this.rotate(first)) return;
      if (age > this.s.warningDays && this.reminderDay(age)) this.warn(first, undefined);
      return;
    }
    if (age > this.s.overdueDays) {
      if (this.s.inactiveBlocker === "delete") {
        if (this.canRotate(first)) {
          this.push({ _tag: "DeleteKey", keyId: blocker.id, reason: "inactive-blocker" });
          this.keys = this.keys.filter((k) => k.id !== blocker.id);
          this.rotate(first);
          return;
        }
      } else {
        this.note(
          "inactive-blocks-rotation",
          `${first.id} is overdue but the Inactive key ${blocker.id} blocks its rotation`,
        );
      }
    }
    if (age > this.s.warningDays && this.reminderDay(age)) this.warn(first, blocker.id);
  }

  private unused(): boolean {
    const limit = this.s.unusedDays;
    if (limit === undefined) return false;
    const active = this.keys.filter((k) => k.status === "Active");
    const unknown = active.filter((k) => k.lastUse._tag === "Unknown");
    if (unknown.length > 0) {
      this.note(
        "unknown-last-use",
        `last use unknown for ${unknown.map((k) => k.id).join(", ")}: not judged unused`,
      );
    }
    const idle = active.find((k) => {
      const since = lastActivity(k);
      return since !== undefined && this.todayNumber - toDayNumber(since) > limit;
    });
    if (idle === undefined) return false;
    const tags = [
      { key: this.s.lastCheckDateTagKey, value: this.today },
      { key: this.s.lastCheckOldKeyTagKey, value: idle.id },
    ];
    if (!this.fits(tags)) {
      this.note(
        "tag-budget",
        `no room for the tracking tags: the unused key ${idle.id} is not deactivated`,
      );
      return false;
    }
    this.tag(tags, false);
    this.push({ _tag: "DeactivateKey", keyId: idle.id, reason: "unused" });
    this.setKeyStatus(idle.id, "Inactive");
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "DeactivatedUnused",
      keyId: idle.id,
      lastUsed: idle.lastUse._tag === "UsedOn" ? idle.lastUse.date : undefined,
      deletionDate: addDays(this.today, this.s.deletionDays + 1),
    });
    return true;
  }

  private twoActive(older: AccessKey, newer: AccessKey): void {
    const olderAge = this.age(older);
    const newerAge = this.age(newer);
    if (
      this.s.twoActiveKeys === "enforce" &&
      olderAge > this.s.overdueDays &&
      newerAge <= this.s.overdueDays
    ) {
      const tags = [
        { key: this.s.lastCheckDateTagKey, value: this.today },
        { key: this.s.lastCheckOldKeyTagKey, value: older.id },
      ];
      if (this.fits(tags)) {
        this.tag(tags, false);
        this.notify(this.rotatedNotice(older, { _tag: "Existing", keyId: newer.id }, this.today));
        return;
      }
      this.note("tag-budget", `no room for the tracking tags: ${older.id} is not retired`);
    }
    if (olderAge > this.s.warningDays) {
      this.note("two-active-keys", `two Active keys; ${older.id} is ${olderAge} days old`);
      if (this.reminderDay(olderAge) && this.markWarned()) {
        this.notify({
          to: this.to,
          userName: this.user.userName,
          kind: "TwoActiveKeys",
          keyIds: [older.id, newer.id],
          keyAges: [olderAge, newerAge],
        });
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
      { key: this.s.lastCheckDateTagKey, value: this.today },
      { key: this.s.lastCheckOldKeyTagKey, value: oldKeyId },
      {
        key: this.s.stateTagKey,
        value: formatStateTag({ _tag: "Rotating", oldKeyId, date: this.today }),
      },
    ];
  }

  /** Plans the all-or-nothing rotation of `old`; false (with a finding) when the tags do not fit. */
  private rotate(old: AccessKey): boolean {
    if (!this.canRotate(old)) return false;
    const [d, k, marker] = this.rotationTags(old.id) as [Tag, Tag, Tag];
    this.tag([marker], false);
    this.push({ _tag: "CreateKey", replaces: old.id });
    this.push({ _tag: "StoreNewKeySecret" });
    this.tag([d, k], true);
    this.notify(this.rotatedNotice(old, { _tag: "Created" }, this.today));
    this.untag([this.s.stateTagKey]);
    return true;
  }

  private warn(key: AccessKey, inactiveKeyId: AccessKeyId | undefined): void {
    if (!this.markWarned()) return;
    this.notify({
      to: this.to,
      userName: this.user.userName,
      kind: "Warning",
      keyId: key.id,
      keyAge: this.age(key),
      rotationDate: addDays(key.created, this.s.overdueDays + 1),
      inactiveKeyId,
    });
  }

  /** Records today's warning in the state tag; false when one went out today or no tag fits. */
  private markWarned(): boolean {
    if (this.warnedToday) return false;
    const marker = {
      key: this.s.stateTagKey,
      value: formatStateTag({ _tag: "Warned", date: this.today }),
    };
    if (!this.fits([marker])) {
      this.note(
        "tag-budget",
        "no room for keyrotate's state tag: the warning is not sent, so that it is never sent twice",
      );
      return false;
    }
    this.tag([marker], false);
    this.warnedToday = true;
    return true;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private reminderDay(age: number): boolean {
    return (age - this.s.warningDays - 1) % this.s.reminderIntervalDays === 0;
  }

  private age(key: AccessKey): number {
    return this.todayNumber - toDayNumber(key.created);
  }

  private rotatedNotice(old: AccessKey, newKey: NewKey, date: CalendarDate): Notice {
    const deactivationDate = addDays(date, this.s.deactivateDays + 1);
    return {
      to: this.to,
      userName: this.user.userName,
      kind: "Rotated",
      oldKeyId: old.id,
      oldKeyAge: this.age(old),
      newKey,
      deactivationDate,
      deletionDate: addDays(deactivationDate, this.s.deletionDays + 1),
    };
  }

  private fits(tags: ReadonlyArray<Tag>): boolean {
    let count = this.tags.size;
    for (const t of tags) if (!this.tags.has(t.key)) count++;
    return count <= MAX_TAGS_PER_USER;
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

  private tag(tags: ReadonlyArray<Tag>, commitsRotation: boolean): void {
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
