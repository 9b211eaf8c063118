import {
  decodeSettings,
  formatSettingProblem,
  type SettingName,
  type Settings,
  settingSpecs,
} from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";

/** Options every AWS-facing command accepts for its settings. */
export const settingsOptionSpecs = {
  set: { type: "string", multiple: true },
} as const;

/**
 * What the settings are for: a `run` needs every setting; a compliance `report` only reads the
 * policy, so the delivery settings (sender, bucket) may be left unset.
 */
export type SettingsPurpose = "run" | "policy";

const deliverySettings: Partial<Record<SettingName, string>> = {
  SES_EMAIL: "unused@example.com",
  SES_REGION: "us-east-1",
  S3_CSV_BUCKET: "unused-bucket",
};

const isSettingName = (name: string): name is SettingName => Object.hasOwn(settingSpecs, name);

/**
 * Decodes the settings as the Lambda does (`decodeSettings` over the environment), with
 * `--set NAME=VALUE` overriding the environment. Every problem comes back at once, one line
 * each: malformed `--set`, unknown names, and every invalid or missing setting.
 *
 * @example resolveSettings(process.env, ["WARNING_DAYS=20"], "run")
 */
export const resolveSettings = (
  env: Readonly<Record<string, string | undefined>>,
  sets: ReadonlyArray<string>,
  purpose: SettingsPurpose,
): E.Either<ReadonlyArray<string>, Settings> => {
  const problems: string[] = [];
  const overrides: Record<string, string> = {};
  for (const set of sets) {
    const eq = set.indexOf("=");
    const name = eq < 0 ? set : set.slice(0, eq);
    if (eq <= 0) {
      problems.push(`--set ${set}: expected NAME=VALUE, for example --set WARNING_DAYS=30`);
    } else if (!isSettingName(name)) {
      problems.push(
        `--set ${set}: unknown setting ${name} (known: ${Object.keys(settingSpecs).join(", ")})`,
      );
    } else {
      overrides[name] = set.slice(eq + 1);
    }
  }
  const input: Record<string, string | undefined> = {};
  for (const name of Object.keys(settingSpecs)) input[name] = env[name];
  Object.assign(input, overrides);
  if (purpose === "policy") {
    for (const [name, placeholder] of Object.entries(deliverySettings)) {
      if ((input[name] ?? "").trim() === "") input[name] = placeholder;
    }
  }
  const decoded = decodeSettings(input);
  if (E.isLeft(decoded)) problems.push(...decoded.left.map(formatSettingProblem));
  if (problems.length > 0 || E.isLeft(decoded)) return E.left(problems);
  return E.right(decoded.right);
};
