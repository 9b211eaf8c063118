import type { AccountSection, AwsErrorJson } from "@keyrotate/aws-adapter";

// The Distributed Map's ResultWriter output, as AWS documents it ("ResultWriter (Map)" in the Step
// Functions developer guide): a manifest.json that lists the result files by the child
// executions' status, and result files that each hold a JSON array of child executions.

/** One result file in the manifest. */
export interface ResultFile {
  readonly Key: string;
  readonly Size?: number;
}

/** `manifest.json`: the bucket and the result files by status. */
export interface ResultManifest {
  readonly DestinationBucket: string;
  readonly MapRunArn: string;
  readonly ResultFiles: {
    readonly SUCCEEDED?: ReadonlyArray<ResultFile>;
    readonly FAILED?: ReadonlyArray<ResultFile>;
    readonly PENDING?: ReadonlyArray<ResultFile>;
  };
}

/** One child execution in a result file (with the default `Transformation` `NONE`). */
export interface ChildExecution {
  readonly ExecutionArn?: string;
  /** The item the child got, as a JSON string. */
  readonly Input: string;
  /** The child's output (the worker's section) as a JSON string, when it succeeded. */
  readonly Output?: string;
  readonly Status: string;
  readonly Error?: string;
  readonly Cause?: string;
}

type Fields = Readonly<Record<string, unknown>>;
const isObject = (v: unknown): v is Fields =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads a manifest, or says what is wrong with it. */
export const parseManifest = (value: unknown): ResultManifest => {
  if (
    !isObject(value) ||
    !isObject(value.ResultFiles) ||
    typeof value.DestinationBucket !== "string"
  )
    throw new Error("the Map's manifest.json has no DestinationBucket or ResultFiles");
  for (const [status, files] of Object.entries(value.ResultFiles)) {
    if (!Array.isArray(files) || files.some((f) => !isObject(f) || typeof f.Key !== "string"))
      throw new Error(`the Map's manifest.json: ResultFiles.${status} must be a list of {Key}`);
  }
  return value as unknown as ResultManifest;
};

/** Reads a result file: a JSON array of child executions. */
export const parseResultFile = (value: unknown, key: string): ChildExecution[] => {
  if (!Array.isArray(value)) throw new Error(`${key}: a result file must be a JSON array`);
  return value.map((e, i) => {
    if (!isObject(e) || typeof e.Input !== "string" || typeof e.Status !== "string")
      throw new Error(`${key}[${i}]: a child execution needs Input and Status`);
    return e as unknown as ChildExecution;
  });
};

const itemOf = (execution: ChildExecution): { id: string; name: string } => {
  const input = JSON.parse(execution.Input) as { account?: { id?: unknown; name?: unknown } };
  const id = typeof input.account?.id === "string" ? input.account.id : "unknown";
  return { id, name: typeof input.account?.name === "string" ? input.account.name : id };
};

/** The message of a failed child: the Lambda error's message inside `Cause`, or `Cause` itself. */
const causeMessage = (execution: ChildExecution): string => {
  const cause = execution.Cause ?? "";
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // Not JSON: a Step Functions cause in words.
  }
  return cause === "" ? `the child execution ended ${execution.Status}` : cause;
};

/**
 * The account section of one child execution: its output when it succeeded (the worker's
 * section), otherwise a `failed` section naming the error (a throttled account after the Map's
 * retries, a worker that crashed or timed out).
 */
export const sectionOf = (execution: ChildExecution): AccountSection => {
  if (execution.Status === "SUCCEEDED" && execution.Output !== undefined) {
    const section = JSON.parse(execution.Output) as AccountSection;
    if (typeof section.accountId !== "string" || typeof section.status !== "string")
      throw new Error(
        `${execution.ExecutionArn ?? "a child"}: its output is not an account section`,
      );
    return section;
  }
  const item = itemOf(execution);
  const error: AwsErrorJson = {
    tag: execution.Error === "Keyrotate.AccountThrottled" ? "Throttled" : "ServiceFailure",
    operation: "lambda:Invoke",
    code: execution.Error ?? execution.Status,
    message: causeMessage(execution),
  };
  return { accountId: item.id, accountName: item.name, status: "failed", error };
};
