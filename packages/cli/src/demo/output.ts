import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { renderEml } from "@keyrotate/aws-adapter";
import * as E from "fp-ts/lib/Either.js";
import { renderCompliance } from "../reportCommand.js";
import type { DemoResult } from "./runDemo.js";

/** The file that marks a folder as the demo's own, so that a rerun may replace its contents. */
export const DEMO_MARKER = ".keyrotate-demo";

/** The folder of the stored credential files: the only place secrets are written. */
export const CREDENTIALS_DIR = "credentials";

/**
 * Checks that the output folder is absent, empty, or a previous demo's (it has the marker
 * file); anything else could be someone's files, which the demo must not replace.
 */
export const outputDirProblem = async (dir: string): Promise<string | undefined> => {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return undefined;
  if (!info.isDirectory()) return `--out ${dir}: exists and is not a folder`;
  const entries = await readdir(dir);
  if (entries.length === 0 || entries.includes(DEMO_MARKER)) return undefined;
  return `--out ${dir}: the folder is not empty and was not made by the demo (no ${DEMO_MARKER} file); choose another folder`;
};

const safeName = (s: string): string => s.replaceAll(/[^\w.@+=,-]/g, "_");

/** Writes `text` at `path`, creating folders. */
const put = async (path: string, text: string): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, "utf8");
};

/** What was written where, for the demo's last lines. */
export interface WrittenFiles {
  readonly dir: string;
  readonly emails: number;
  readonly credentials: number;
}

/**
 * Writes the demo's output: `emails/<day>-<user>-<kind>.{html,txt,eml}`, the stored credential
 * files under `credentials/` (as the sandbox's S3 held them: they contain secret keys of the
 * sandbox), the last run report, the compliance reports (html, csv, json) and the timeline.
 * A previous demo's files in the folder are replaced.
 */
export const writeDemoOutput = async (
  dir: string,
  result: DemoResult,
  timeline: string,
): Promise<WrittenFiles> => {
  await mkdir(dir, { recursive: true });
  for (const old of ["emails", CREDENTIALS_DIR]) {
    await rm(join(dir, old), { recursive: true, force: true });
  }
  await put(
    join(dir, DEMO_MARKER),
    "This folder was written by `keyrotate demo`; a new demo run replaces its contents.\n",
  );
  const used = new Set<string>();
  for (const e of result.emails) {
    let base = `${String(e.day).padStart(3, "0")}-${safeName(e.userName)}-${e.kind}`;
    for (let n = 2; used.has(base); n++) base = `${base.replace(/-\d+$/, "")}-${n}`;
    used.add(base);
    const email = {
      to: e.email.destinations.to.join(", "),
      subject: e.email.subject ?? "",
      text: e.email.text ?? "",
      html: e.email.html ?? "",
    };
    await put(join(dir, "emails", `${base}.html`), email.html);
    await put(join(dir, "emails", `${base}.txt`), email.text);
    const eml = renderEml(email, {
      from: e.email.source,
      date: e.email.time,
      messageId: `${e.email.id}@sandbox.keyrotate.local`,
    });
    if (E.isRight(eml)) await put(join(dir, "emails", `${base}.eml`), eml.right);
  }
  const credentialsDir = resolve(dir, CREDENTIALS_DIR);
  for (const file of result.storedCredentials) {
    const path = resolve(credentialsDir, file.key);
    if (!path.startsWith(`${credentialsDir}${sep}`)) continue;
    await put(path, file.body);
  }
  await put(
    join(credentialsDir, "README.txt"),
    `These are the credential files keyrotate stored in the sandbox's S3 bucket, one per new key,
at the same paths (credential/<user>/<user>_<key id>.csv). They hold SECRET access keys: of a
throw-away local sandbox here, but in a real account they are what only the user may read.
`,
  );
  await put(
    join(dir, "run-report.json"),
    `${JSON.stringify(result.days.at(-1)?.report ?? null, null, 2)}\n`,
  );
  await put(join(dir, "compliance.html"), renderCompliance(result.compliance, "html"));
  await put(join(dir, "compliance.csv"), renderCompliance(result.compliance, "csv"));
  await put(join(dir, "compliance.json"), renderCompliance(result.compliance, "json"));
  await put(join(dir, "timeline.txt"), timeline);
  return {
    dir,
    emails: result.emails.length,
    credentials: result.storedCredentials.length,
  };
};
