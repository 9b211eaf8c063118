// Loaded with the CLI (the summary reads these results): nothing here may import the sandbox,
// an optional peer. The checks themselves are in `checks.ts`, loaded lazily with the demo.

/** A key keyrotate created and kept (its rotation went through). */
export interface CreatedKey {
  readonly day: number;
  readonly userName: string;
  readonly keyId: string;
}

/** What the demo checked, and every violation found. */
export interface InvariantResults {
  /** Keys deleted across the demo; each was checked to be Inactive when deleted. */
  deletionsChecked: number;
  /** `day N: user: …` for every key deleted while Active. */
  readonly activeDeleted: string[];
  /** `day N: user` for every user left without an Active key (the unused rule excepted). */
  readonly lostActive: string[];
  /** Users left without an Active key by the `UNUSED_DAYS` rule, as POLICY.md allows. */
  readonly unusedExceptions: string[];
  readonly createdKeys: CreatedKey[];
  /** Created keys whose secret file is missing from S3 or whose Rotated notice never went out. */
  readonly undelivered: string[];
  /** Where a secret was found outside its S3 file (an email, a report, the timeline). */
  readonly secretLeaks: string[];
}

/** True when no invariant was violated. */
export const invariantsHeld = (r: InvariantResults): boolean =>
  r.activeDeleted.length === 0 &&
  r.lostActive.length === 0 &&
  r.undelivered.length === 0 &&
  r.secretLeaks.length === 0;

/** Starts an empty record of checks. */
export const newInvariantResults = (): InvariantResults => ({
  deletionsChecked: 0,
  activeDeleted: [],
  lostActive: [],
  unusedExceptions: [],
  createdKeys: [],
  undelivered: [],
  secretLeaks: [],
});
