import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { parseSummariseEvent, parseWorkerEvent } from "../src/events.js";

describe("the worker's event", () => {
  it("reads the item the Map's ItemSelector builds; the name defaults to the id", () => {
    expect(
      parseWorkerEvent({
        account: { id: "111111111111" },
        runId: "exec-1",
        date: "2026-11-28",
        dryRun: true,
      }),
    ).toEqual(
      E.right({
        account: { id: "111111111111", name: "111111111111" },
        runId: "exec-1",
        date: "2026-11-28",
        dryRun: true,
      }),
    );
  });

  it.each([
    [null, "the worker's event must be a JSON object, not null"],
    [[], "the worker's event must be a JSON object, not []"],
    [
      { account: { id: "111111111111", name: 7 }, runId: "", date: "2026-11-28", dryRun: false },
      '"account.name" must be a string, not 7; "runId" must be 1 to 80 of letters, digits and _.:-, not ""',
    ],
  ])("rejects %j, naming what is wrong", (event, message) => {
    expect(parseWorkerEvent(event)).toEqual(E.left(message));
  });
});

describe("the summarise step's event", () => {
  const list = {
    runId: "exec-1",
    date: "2026-11-28",
    dryRun: false,
    bucket: "results",
    accountsKey: "runs/exec-1/accounts.json",
    selectionKey: "runs/exec-1/selection.json",
    selected: 2,
  };

  it("takes the Map's output, or its error when the Map failed", () => {
    const map = { MapRunArn: "arn", ResultWriterDetails: { Bucket: "results", Key: "m.json" } };
    expect(E.isRight(parseSummariseEvent({ list, map }))).toBe(true);
    expect(E.isRight(parseSummariseEvent({ list, mapError: { Error: "States.ALL" } }))).toBe(true);
  });

  it("names what is missing", () => {
    expect(parseSummariseEvent({ list: { ...list, date: "yesterday" } })).toEqual(
      E.left(
        '"list.date" must be a date YYYY-MM-DD, not "yesterday"; either "map" (the Map\'s output) or "mapError" (its error) is required',
      ),
    );
    expect(parseSummariseEvent({ list, map: { ResultWriterDetails: { Bucket: "b" } } })).toEqual(
      E.left('"map.ResultWriterDetails" must hold Bucket and Key, not {"Bucket":"b"}'),
    );
  });
});
