import { parseArgs } from "node:util";

/** One option a command accepts. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** May be given more than once (`--set A=1 --set B=2`). */
  readonly multiple?: boolean;
}

/** A command's options by long name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed command-line options, and every problem found in them (empty when all is well). */
export interface ParsedOptions {
  readonly strings: ReadonlyMap<string, ReadonlyArray<string>>;
  readonly flags: ReadonlySet<string>;
  readonly problems: ReadonlyArray<string>;
}

/**
 * Parses a command's arguments with `node:util`'s `parseArgs`, without stopping at the first
 * mistake: unknown options, missing or unexpected values, repeated single options and stray
 * positional arguments are all collected, so that the user sees every problem at once.
 *
 * @example parseOptions(["--json", "--as-of", "2026-12-01"], { json: { type: "boolean" }, "as-of": { type: "string" } })
 */
export const parseOptions = (args: ReadonlyArray<string>, specs: OptionSpecs): ParsedOptions => {
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> =
    {};
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  const { tokens } = parseArgs({
    args: [...args],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const strings = new Map<string, string[]>();
  const flags = new Set<string>();
  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      problems.push(`unexpected argument "${token.value}"`);
      continue;
    }
    if (token.kind !== "option") continue;
    const spec = specs[token.name];
    if (spec === undefined) {
      problems.push(`unknown option ${token.rawName}`);
      continue;
    }
    if (spec.type === "boolean") {
      if (token.value !== undefined) problems.push(`${token.rawName} takes no value`);
      else flags.add(token.name);
      continue;
    }
    if (token.value === undefined) {
      problems.push(`${token.rawName} needs a value`);
      continue;
    }
    const seen = strings.get(token.name) ?? [];
    if (seen.length > 0 && spec.multiple !== true) {
      problems.push(`--${token.name} is given more than once`);
      continue;
    }
    strings.set(token.name, [...seen, token.value]);
  }
  return { strings, flags, problems };
};

/** The single value of a string option, if given. */
export const stringOption = (parsed: ParsedOptions, name: string): string | undefined =>
  parsed.strings.get(name)?.[0];
