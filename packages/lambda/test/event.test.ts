import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { parseInvocation } from "../src/event.js";

const scheduledEvent = {
  version: "0",
  id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2026-11-23T06:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/keyrotate-daily"],
  detail: {},
};

describe("parseInvocation", () => {
  it.each([
    ["no event", undefined],
    ["a null event", null],
    ["an empty object", {}],
    ["an EventBridge scheduled event", scheduledEvent],
  ])("reads %s as a normal run", (_, event) => {
    expect(parseInvocation(event)).toEqual(E.right({ dryRun: false }));
  });

  it.each([true, false])("reads {dryRun: %s}", (dryRun) => {
    expect(parseInvocation({ dryRun })).toEqual(E.right({ dryRun }));
  });

  it.each([
    [{ dryRun: "true" }, `the event's "dryRun" must be true or false, not "true"`],
    [{ dryRun: 1 }, `the event's "dryRun" must be true or false, not 1`],
    [{ dryRun: null }, `the event's "dryRun" must be true or false, not null`],
    ["dryRun", `the event must be a JSON object such as {"dryRun": true}, not "dryRun"`],
    [[{ dryRun: true }], `the event must be a JSON object such as {"dryRun": true}, not an array`],
    [42, `the event must be a JSON object such as {"dryRun": true}, not 42`],
  ])("rejects %j clearly", (event, message) => {
    expect(parseInvocation(event)).toEqual(E.left(message));
  });
});
