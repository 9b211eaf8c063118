import { randomUUID } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { fakeContext } from "@keyrotate/testkit";
import type { Context } from "aws-lambda";
import type { ListOutput, MapItem, MapOutput, WorkerEvent } from "../src/events.js";
import type { ChildExecution, ResultManifest } from "../src/resultWriter.js";
import { getJson, putJson } from "../src/store.js";

// The Distributed Map of template.yaml, simulated in-process: read the account list the list
// step wrote (ItemReader, JSON), call the worker once per item with the ItemSelector's event,
// and write what ResultWriter writes, in AWS's documented shape: result files of child
// executions grouped by status under <prefix>/<map run id>/, and a manifest.json naming them.

const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:keyrotate-org";

/** The worker as the Map invokes it. */
export type Worker = (event: WorkerEvent, context: Context) => Promise<unknown>;

/** A Lambda error as Step Functions reports it: `Error` is its name, `Cause` the runtime's JSON. */
const failure = (e: unknown): { Error: string; Cause: string } => {
  const error = e instanceof Error ? e : new Error(String(e));
  return {
    Error: error.name,
    Cause: JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }),
  };
};

/**
 * Runs the Map over `list` with `worker` (one item at a time: the order of the result files is
 * then the list's) and returns the Map's output, `{ MapRunArn, ResultWriterDetails }`.
 */
export const runMap = async (
  s3: S3Client,
  list: ListOutput,
  worker: Worker,
  prefix: string,
): Promise<MapOutput> => {
  const items = (await getJson(s3, list.bucket, list.accountsKey)) as MapItem[];
  const mapRunId = randomUUID();
  const mapRunArn = `arn:aws:states:eu-west-1:123456789012:mapRun:keyrotate-org/RunAccounts:${mapRunId}`;
  const byStatus: Record<"SUCCEEDED" | "FAILED", ChildExecution[]> = { SUCCEEDED: [], FAILED: [] };
  for (const item of items) {
    const input: WorkerEvent = {
      account: item,
      runId: list.runId,
      date: list.date,
      dryRun: list.dryRun,
    };
    const name = randomUUID();
    const common = {
      ExecutionArn: `${STATE_MACHINE.replace(":stateMachine:", ":execution:")}/RunAccounts:${name}`,
      Name: name,
      Input: JSON.stringify(input),
      InputDetails: { Included: true },
      StateMachineArn: STATE_MACHINE,
      StartDate: "2026-01-01T09:00:01.000Z",
      StopDate: "2026-01-01T09:00:02.000Z",
    };
    try {
      const output = await worker(input, fakeContext());
      byStatus.SUCCEEDED.push({
        ...common,
        Status: "SUCCEEDED",
        Output: JSON.stringify(output),
        OutputDetails: { Included: true },
      } as ChildExecution);
    } catch (e) {
      byStatus.FAILED.push({ ...common, Status: "FAILED", ...failure(e) } as ChildExecution);
    }
  }
  const files: Record<string, Array<{ Key: string; Size: number }>> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  for (const status of ["SUCCEEDED", "FAILED"] as const) {
    if (byStatus[status].length === 0) continue;
    const key = `${prefix}/${mapRunId}/${status}_0.json`;
    await putJson(s3, list.bucket, key, byStatus[status]);
    files[status]?.push({ Key: key, Size: JSON.stringify(byStatus[status]).length });
  }
  const manifest: ResultManifest = {
    DestinationBucket: list.bucket,
    MapRunArn: mapRunArn,
    ResultFiles: files,
  };
  const manifestKey = `${prefix}/${mapRunId}/manifest.json`;
  await putJson(s3, list.bucket, manifestKey, manifest);
  return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: list.bucket, Key: manifestKey } };
};
