/**
 * How a user's Active keys fare on the key controls of CIS and Security Hub: the one evaluation
 * behind `keyrotate report` (the CLI's compliance report) and the Security Hub findings of a run.
 * Pure: the caller passes each key's age and days unused.
 */

/** Days after which an unused credential fails CIS 1.12 (unused 45 days or more). */
export const CIS_UNUSED_DAYS = 45;
/** Days after which a key fails CIS 1.14 and Security Hub IAM.3 (older than 90 days). */
export const MAX_KEY_AGE_DAYS = 90;
/** Days after which an unused credential fails Security Hub IAM.8 (not used within 90 days). */
export const IAM8_UNUSED_DAYS = 90;
/** Days after which an unused credential fails Security Hub IAM.22 (not used within 45 days). */
export const IAM22_UNUSED_DAYS = 45;

/** How a user fares on one control. `unknown` when a key's last use could not be read. */
export type ControlResult = "pass" | "fail" | "unknown";

/** A control's result for one user, and why. */
export interface ControlOutcome {
  readonly result: ControlResult;
  readonly reason: string;
  /** The ids of the keys that fail it, when the control is judged per key (not CIS 1.13). */
  readonly keys?: ReadonlyArray<string>;
}

/** What the controls read of an Active key. */
export interface ControlKey {
  readonly id: string;
  readonly ageDays: number;
  /** Days since the last use, or since creation when never used; undefined when unknown. */
  readonly daysUnused: number | undefined;
  /** A date, `never` or `unknown`. */
  readonly lastUsed: string;
}

/** A control judged on how long Active keys went unused (CIS 1.12, IAM.8, IAM.22). */
export const unusedControl = (
  active: ReadonlyArray<ControlKey>,
  fails: (days: number) => boolean,
  limitText: string,
): ControlOutcome => {
  const failing = active.filter((k) => k.daysUnused !== undefined && fails(k.daysUnused));
  if (failing.length > 0) {
    return {
      result: "fail",
      keys: failing.map((k) => k.id),
      reason: failing
        .map(
          (k) =>
            `${k.id} ${k.lastUsed === "never" ? "never used, created" : "last used"} ${k.daysUnused} days ago (${limitText})`,
        )
        .join("; "),
    };
  }
  const unknown = active.filter((k) => k.daysUnused === undefined);
  if (unknown.length > 0) {
    return {
      result: "unknown",
      reason: `last use unknown for ${unknown.map((k) => k.id).join(", ")}`,
    };
  }
  return {
    result: "pass",
    reason: active.length === 0 ? "no Active key" : "every Active key in use",
  };
};

/** The key-age control (CIS 1.14, IAM.3): no Active key older than 90 days. */
export const ageControl = (active: ReadonlyArray<ControlKey>): ControlOutcome => {
  const old = active.filter((k) => k.ageDays > MAX_KEY_AGE_DAYS);
  return old.length > 0
    ? {
        result: "fail",
        keys: old.map((k) => k.id),
        reason: old
          .map((k) => `${k.id} is ${k.ageDays} days old (> ${MAX_KEY_AGE_DAYS})`)
          .join("; "),
      }
    : {
        result: "pass",
        reason:
          active.length === 0 ? "no Active key" : `every Active key ≤ ${MAX_KEY_AGE_DAYS} days old`,
      };
};

/** CIS 1.13: at most one Active key; `note` is appended to a failure's reason. */
export const oneActiveKeyControl = (
  active: ReadonlyArray<ControlKey>,
  note?: string,
): ControlOutcome =>
  active.length > 1
    ? {
        result: "fail",
        reason: `${active.length} Active keys: ${active.map((k) => k.id).join(", ")}${note === undefined ? "" : ` (${note})`}`,
      }
    : {
        result: "pass",
        reason: `${active.length} Active key${active.length === 1 ? "" : "s"}`,
      };

/** The controls of Security Hub findings (IAM.3, IAM.8, IAM.22, CIS 1.13) of a user's Active keys. */
export const securityHubControls = (
  active: ReadonlyArray<ControlKey>,
): Readonly<Record<"IAM.3" | "IAM.8" | "IAM.22" | "CIS-1.13", ControlOutcome>> => ({
  "IAM.3": ageControl(active),
  "IAM.8": unusedControl(active, (d) => d > IAM8_UNUSED_DAYS, `> ${IAM8_UNUSED_DAYS}`),
  "IAM.22": unusedControl(active, (d) => d > IAM22_UNUSED_DAYS, `> ${IAM22_UNUSED_DAYS}`),
  "CIS-1.13": oneActiveKeyControl(active),
});
