import {
  type RunReport,
  readSecretFile,
  type StepOutcome,
  secretObjectKey,
} from "@keyrotate/aws-adapter";
import type { SandboxUser, SentEmail, StoredObject } from "@keyrotate/sandbox";

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
  /** `day N: user: key` for every key deleted while Active. */
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

const okSteps = (steps: ReadonlyArray<StepOutcome>) => steps.filter((s) => s.status === "ok");

/**
 * Checks one run against the account before and after it, as the sandbox saw them (not as the
 * report claims): no key is deleted while Active (its last status, before the run or after the
 * run's own deactivation, must be Inactive), and every user who had an Active key still has one,
 * unless the run deactivated a key as unused. Records the keys the run created and kept.
 */
export const checkRun = (
  results: InvariantResults,
  day: number,
  before: ReadonlyArray<SandboxUser>,
  after: ReadonlyArray<SandboxUser>,
  report: RunReport,
): void => {
  const afterByName = new Map(after.map((u) => [u.name, u]));
  const reportByName = new Map(report.users.map((u) => [u.userName, u]));
  for (const user of before) {
    const later = afterByName.get(user.name);
    const ur = reportByName.get(user.name);
    const done = ur === undefined ? [] : okSteps([...ur.steps, ...ur.compensation]);
    const status = new Map(user.keys.map((k) => [k.accessKeyId, k.status as string]));
    if (ur?.newKeyId !== undefined) status.set(ur.newKeyId, "Active");
    for (const s of done) {
      const keyId = s.step.action === "CreateKey" ? undefined : s.step.keyId;
      if (keyId === undefined) continue;
      if (s.step.action === "DeactivateKey") status.set(keyId, "Inactive");
      if (s.step.action === "DeleteKey") {
        results.deletionsChecked += 1;
        if (status.get(keyId) !== "Inactive") {
          results.activeDeleted.push(`day ${day}: ${user.name}: ${keyId}`);
        }
        status.delete(keyId);
      }
    }
    // The sandbox's own view: a key gone after the run must have been Inactive or deactivated.
    for (const k of user.keys) {
      const gone = !later?.keys.some((l) => l.accessKeyId === k.accessKeyId);
      const deactivated = done.some(
        (s) => s.step.action === "DeactivateKey" && s.step.keyId === k.accessKeyId,
      );
      if (gone && k.status === "Active" && !deactivated) {
        results.activeDeleted.push(
          `day ${day}: ${user.name}: ${k.accessKeyId} (seen by the sandbox)`,
        );
      }
    }
    const hadActive = user.keys.some((k) => k.status === "Active");
    const hasActive = later?.keys.some((k) => k.status === "Active") ?? false;
    if (hadActive && !hasActive) {
      const unused = done.some(
        (s) => s.step.action === "DeactivateKey" && s.step.reason === "unused",
      );
      (unused ? results.unusedExceptions : results.lostActive).push(
        unused ? user.name : `day ${day}: ${user.name}`,
      );
    }
    if (ur?.newKeyId !== undefined && ur.status === "ok") {
      results.createdKeys.push({ day, userName: user.name, keyId: ur.newKeyId });
    }
  }
};

/** The secret of a stored credential file. */
export const secretOfFile = (body: string): string | undefined =>
  readSecretFile(body)?.secretAccessKey;

/**
 * Checks that every created key was delivered: its secret file is in the bucket at
 * `credential/<user>/<user>_<id>.csv` and names the key, and a Rotated notice naming the key
 * went to the user. Then that no stored secret appears in any email or text the demo wrote.
 */
export const checkDelivery = (
  results: InvariantResults,
  bucket: string,
  objects: ReadonlyArray<StoredObject>,
  emails: ReadonlyArray<SentEmail>,
  texts: ReadonlyArray<readonly [string, string]>,
): void => {
  for (const created of results.createdKeys) {
    const file = objects.find(
      (o) => o.bucket === bucket && o.key === secretObjectKey(created.userName, created.keyId),
    );
    const body = file?.body.toString("utf8") ?? "";
    const stored = readSecretFile(body);
    if (
      file === undefined ||
      stored?.userName !== created.userName ||
      stored.accessKeyId !== created.keyId
    ) {
      results.undelivered.push(`${created.userName}: ${created.keyId}: no secret file in S3`);
    }
    const announced = emails.some(
      (e) => (e.subject ?? "").includes(created.keyId) && (e.text ?? "").includes(created.keyId),
    );
    if (!announced) {
      results.undelivered.push(`${created.userName}: ${created.keyId}: no Rotated notice`);
    }
  }
  const secrets = objects
    .map((o) => secretOfFile(o.body.toString("utf8")))
    .filter((s): s is string => s !== undefined && s.length >= 16);
  for (const e of emails) {
    const content = [e.subject, e.text, e.html, e.raw].join("\n");
    if (secrets.some((s) => content.includes(s))) results.secretLeaks.push(`email ${e.id}`);
  }
  for (const [name, text] of texts) {
    if (secrets.some((s) => text.includes(s))) results.secretLeaks.push(name);
  }
};
