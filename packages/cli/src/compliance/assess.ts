import {
  ageControl,
  CIS_UNUSED_DAYS,
  type ControlOutcome,
  type ControlResult,
  IAM8_UNUSED_DAYS,
  IAM22_UNUSED_DAYS,
  oneActiveKeyControl,
  unusedControl,
} from "@keyrotate/aws-adapter";
import {
  type CalendarDate,
  daysBetween,
  describeSettings,
  type Finding,
  policySettingNames,
  type SettingName,
  type Settings,
  type UserSnapshot,
} from "@keyrotate/core";
import { type ForecastEvent, forecastUser } from "../forecast.js";
import { lastUseText } from "../keyText.js";
import { type Control, type ControlId, controls } from "./controls.js";

export type { ControlOutcome, ControlResult };

/** One access key in a compliance report. */
export interface KeyAssessment {
  readonly id: string;
  readonly status: "Active" | "Inactive";
  readonly created: string;
  readonly ageDays: number;
  /** A date, `never` or `unknown`. */
  readonly lastUsed: string;
  /** Days since the last use, or since creation when never used; undefined when unknown. */
  readonly daysUnused: number | undefined;
  /**
   * keyrotate's next action on the key and its date, as `keyrotate plan` shows it (today's step
   * or the next transition); null when none is due within the forecast's horizon.
   */
  readonly next: ForecastEvent | null;
  /**
   * keyrotate's next change to the key when `next` is only a notice: the rotation a warning
   * announces, the deactivation an "old key still in use" notice delays; null otherwise.
   */
  readonly nextChange: ForecastEvent | null;
}

/** A note on a control's result for one user: why it fails for now, and until when. */
export interface ControlNote {
  readonly control: ControlId;
  readonly message: string;
  /** When the condition ends by keyrotate's plan. */
  readonly until: string;
}

/** One user in a compliance report. */
export interface UserAssessment {
  readonly userName: string;
  /** True when keyrotate handles the user (one valid email, not exempt). */
  readonly handled: boolean;
  readonly keys: ReadonlyArray<KeyAssessment>;
  /** keyrotate's findings for the user today (no email, exempt, broken tags, …). */
  readonly findings: ReadonlyArray<Finding>;
  /** Notes on failing controls that keyrotate's own plan will clear (a rotation in progress). */
  readonly notes: ReadonlyArray<ControlNote>;
  readonly controls: Readonly<Record<ControlId, ControlOutcome>>;
  /** `fail` if any control fails, else `unknown` if any is unknown, else `pass`. */
  readonly result: ControlResult;
}

/** One bar of the key-age histogram. */
export interface AgeBin {
  readonly label: string;
  readonly minDays: number;
  /** Inclusive; undefined for the last, open bin. */
  readonly maxDays: number | undefined;
  readonly active: number;
  readonly inactive: number;
}

/** Pass, fail and unknown counts. */
export interface Tally {
  readonly pass: number;
  readonly fail: number;
  readonly unknown: number;
}

/** The version of the {@link ComplianceReport} layout. */
export const COMPLIANCE_REPORT_SCHEMA_VERSION = 1 as const;

/** A compliance report: every user and key, findings, per-control results and a histogram. */
export interface ComplianceReport {
  readonly schemaVersion: typeof COMPLIANCE_REPORT_SCHEMA_VERSION;
  /** The day the report judges (ages are counted to it). */
  readonly date: string;
  readonly generatedAt: string;
  /** When IAM generated the credential report that gave the last-use dates. */
  readonly credentialReportGeneratedAt: string | undefined;
  /** The policy settings the findings were decided with. */
  readonly settings: Readonly<Partial<Record<SettingName, string>>>;
  readonly controls: ReadonlyArray<Control>;
  readonly summary: {
    readonly users: number;
    readonly keys: number;
    readonly activeKeys: number;
    readonly userResults: Tally;
    readonly byControl: Readonly<Record<ControlId, Tally>>;
  };
  readonly users: ReadonlyArray<UserAssessment>;
  readonly histogram: ReadonlyArray<AgeBin>;
  /** Users that could not be read. */
  readonly skippedUsers: ReadonlyArray<{ readonly userName: string; readonly reason: string }>;
}

/** The settings that shape findings; the delivery settings (sender, bucket) play no part. */
const policySettingsOf = (settings: Settings): Partial<Record<SettingName, string>> => {
  const all = describeSettings(settings);
  return Object.fromEntries(policySettingNames.map((n) => [n, all[n]]));
};

const bins: ReadonlyArray<readonly [string, number, number | undefined]> = [
  ["0–30", 0, 30],
  ["31–60", 31, 60],
  ["61–90", 61, 90],
  ["91–180", 91, 180],
  ["181–365", 181, 365],
  ["> 365", 366, undefined],
];

const assessKey = (
  today: CalendarDate,
  k: UserSnapshot["keys"][number],
  next: ForecastEvent | undefined,
  nextChange: ForecastEvent | undefined,
): KeyAssessment => ({
  id: k.id,
  status: k.status,
  created: k.created,
  ageDays: daysBetween(k.created, today),
  lastUsed: lastUseText(k.lastUse),
  daysUnused:
    k.lastUse._tag === "UsedOn"
      ? daysBetween(k.lastUse.date, today)
      : k.lastUse._tag === "NeverUsed"
        ? daysBetween(k.created, today)
        : undefined,
  next: next ?? null,
  nextChange: nextChange ?? null,
});

/**
 * The CIS 1.13 note of a user in the middle of a rotation: two Active keys because keyrotate
 * made the new one, until it deactivates the old one.
 */
const midRotationNote = (active: ReadonlyArray<KeyAssessment>): ControlNote | undefined => {
  if (active.length !== 2) return undefined;
  const deactivation = (k: KeyAssessment): ForecastEvent | undefined =>
    [k.next, k.nextChange].find((e) => e?.action === "deactivation") ?? undefined;
  const old = active.find((k) => deactivation(k) !== undefined);
  const replacement = active.find((k) => k !== old);
  const date = old === undefined ? undefined : deactivation(old)?.date;
  if (old === undefined || date === undefined || replacement === undefined) return undefined;
  return {
    control: "CIS-1.13",
    message: `mid-rotation: ${old.id} is being replaced by ${replacement.id}; keyrotate deactivates ${old.id} on ${date}, and CIS 1.13 passes from then on`,
    until: date,
  };
};

const overall = (results: ReadonlyArray<ControlResult>): ControlResult =>
  results.includes("fail") ? "fail" : results.includes("unknown") ? "unknown" : "pass";

/** Assesses one user against every control, with keyrotate's findings of the day. */
export const assessUser =
  (settings: Settings, today: CalendarDate) =>
  (user: UserSnapshot): UserAssessment => {
    const forecast = forecastUser(settings, today)(user);
    const plan = forecast.plan;
    const keys = user.keys.map((k) =>
      assessKey(today, k, forecast.next.get(k.id), forecast.change.get(k.id)),
    );
    const active = keys.filter((k) => k.status === "Active");
    const midRotation = midRotationNote(active);
    const results: Record<ControlId, ControlOutcome> = {
      "CIS-1.12": unusedControl(active, (d) => d >= CIS_UNUSED_DAYS, `≥ ${CIS_UNUSED_DAYS}`),
      "CIS-1.13": oneActiveKeyControl(active, midRotation?.message),
      "CIS-1.14": ageControl(active),
      "IAM.3": ageControl(active),
      "IAM.8": unusedControl(active, (d) => d > IAM8_UNUSED_DAYS, `> ${IAM8_UNUSED_DAYS}`),
      "IAM.22": unusedControl(active, (d) => d > IAM22_UNUSED_DAYS, `> ${IAM22_UNUSED_DAYS}`),
    };
    return {
      userName: user.userName,
      handled: plan.handled,
      keys,
      findings: plan.findings,
      notes: midRotation === undefined ? [] : [midRotation],
      controls: results,
      result: overall(Object.values(results).map((r) => r.result)),
    };
  };

const tally = (results: ReadonlyArray<ControlResult>): Tally => ({
  pass: results.filter((r) => r === "pass").length,
  fail: results.filter((r) => r === "fail").length,
  unknown: results.filter((r) => r === "unknown").length,
});

/**
 * Builds the compliance report of an account on `today`: per user and key the age and last
 * use, keyrotate's findings, each control's result, and the key-age histogram. Pure: the
 * caller reads the account and passes the time.
 *
 * @example assessAccount({ settings, today, users, generatedAt: new Date().toISOString() })
 */
export const assessAccount = (input: {
  readonly settings: Settings;
  readonly today: CalendarDate;
  readonly users: ReadonlyArray<UserSnapshot>;
  readonly generatedAt: string;
  readonly credentialReportGeneratedAt?: string | undefined;
  readonly skippedUsers?: ReadonlyArray<{ readonly userName: string; readonly reason: string }>;
}): ComplianceReport => {
  const users = [...input.users]
    .sort((a, b) => a.userName.localeCompare(b.userName))
    .map(assessUser(input.settings, input.today));
  const keys = users.flatMap((u) => u.keys);
  const byControl = Object.fromEntries(
    controls.map((c) => [c.id, tally(users.map((u) => u.controls[c.id].result))]),
  ) as Record<ControlId, Tally>;
  return {
    schemaVersion: COMPLIANCE_REPORT_SCHEMA_VERSION,
    date: input.today,
    generatedAt: input.generatedAt,
    credentialReportGeneratedAt: input.credentialReportGeneratedAt,
    settings: policySettingsOf(input.settings),
    controls,
    summary: {
      users: users.length,
      keys: keys.length,
      activeKeys: keys.filter((k) => k.status === "Active").length,
      userResults: tally(users.map((u) => u.result)),
      byControl,
    },
    users,
    histogram: bins.map(([label, minDays, maxDays]) => {
      const inBin = keys.filter(
        (k) => k.ageDays >= minDays && (maxDays === undefined || k.ageDays <= maxDays),
      );
      return {
        label,
        minDays,
        maxDays,
        active: inBin.filter((k) => k.status === "Active").length,
        inactive: inBin.filter((k) => k.status === "Inactive").length,
      };
    }),
    skippedUsers: input.skippedUsers ?? [],
  };
};
