import { describe, expect, it } from "vitest";
import { parseManifest, parseResultFile, sectionOf } from "../src/resultWriter.js";

// The Distributed Map's ResultWriter files, in the shape AWS documents, read into account sections.

const input = JSON.stringify({
  account: { id: "666666666666", name: "throttled" },
  runId: "exec-1",
  date: "2026-11-28",
  dryRun: false,
});

describe("reading the Map's results", () => {
  it("takes a succeeded child's output as its account's section", () => {
    // Prepare
    const section = { accountId: "111111111111", accountName: "shared", status: "completed" };
    // Act
    const read = sectionOf({ Input: input, Status: "SUCCEEDED", Output: JSON.stringify(section) });
    // Assess
    expect(read).toEqual(section);
  });

  it("makes a child that failed after its retries a failed section, with the Lambda error's message", () => {
    // Prepare: what Step Functions records for a Lambda that threw.
    const cause = JSON.stringify({
      errorType: "Keyrotate.AccountThrottled",
      errorMessage: "account 666666666666 throttled: Rate exceeded",
      trace: [],
    });
    // Act
    const read = sectionOf({
      Input: input,
      Status: "FAILED",
      Error: "Keyrotate.AccountThrottled",
      Cause: cause,
    });
    // Assess
    expect(read).toEqual({
      accountId: "666666666666",
      accountName: "throttled",
      status: "failed",
      error: {
        tag: "Throttled",
        operation: "lambda:Invoke",
        code: "Keyrotate.AccountThrottled",
        message: "account 666666666666 throttled: Rate exceeded",
      },
    });
  });

  it("keeps Step Functions' own cause, in words, of a child that timed out", () => {
    const read = sectionOf({
      Input: input,
      Status: "TIMED_OUT",
      Error: "States.Timeout",
      Cause: "The child execution timed out.",
    });
    expect(read.status).toBe("failed");
    expect(read.error).toMatchObject({
      tag: "ServiceFailure",
      code: "States.Timeout",
      message: "The child execution timed out.",
    });
  });

  it("says what is wrong with a manifest or a result file that is not the documented shape", () => {
    expect(() => parseManifest({ ResultFiles: {} })).toThrow(/DestinationBucket or ResultFiles/);
    expect(() =>
      parseManifest({ DestinationBucket: "b", MapRunArn: "m", ResultFiles: { FAILED: [{}] } }),
    ).toThrow(/ResultFiles\.FAILED must be a list of \{Key\}/);
    expect(() => parseResultFile({ not: "an array" }, "r/SUCCEEDED_0.json")).toThrow(
      /r\/SUCCEEDED_0\.json: a result file must be a JSON array/,
    );
    expect(() => parseResultFile([{ Status: "SUCCEEDED" }], "r/SUCCEEDED_0.json")).toThrow(
      /r\/SUCCEEDED_0\.json\[0\]: a child execution needs Input and Status/,
    );
  });

  it("reads a manifest with every status list", () => {
    const manifest = {
      DestinationBucket: "results",
      MapRunArn: "arn:aws:states:eu-west-1:123456789012:mapRun:keyrotate-org/RunAccounts:1",
      ResultFiles: {
        FAILED: [],
        PENDING: [],
        SUCCEEDED: [{ Key: "runs/exec-1/results/1/SUCCEEDED_0.json", Size: 1084 }],
      },
    };
    expect(parseManifest(manifest)).toEqual(manifest);
  });
});
