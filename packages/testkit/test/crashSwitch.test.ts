import { describe, expect, it } from "vitest";
import { type CrashPoint, crashSwitch } from "../src/crashSwitch.js";

/** Feeds `operations` to a switch, as the clients do; what happened to each attempt. */
const attempts = (point: CrashPoint, operations: ReadonlyArray<string>) => {
  const crash = crashSwitch(point);
  const outcomes = operations.map((op) => {
    try {
      const after = crash.middleware(op);
      if (after === undefined) return "sent";
      try {
        after();
        return "sent";
      } catch {
        return "reply lost";
      }
    } catch {
      return "never sent";
    }
  });
  return { outcomes, fired: crash.fired() };
};

const CALLS = [
  "iam:ListUsers",
  "iam:CreateAccessKey",
  "iam:ListUserTags",
  "s3:PutObject",
  "iam:TagUser",
];

describe("the crash switch", () => {
  it("counting changing calls, dies at the first change after the k-th; reads do not count", () => {
    // Act
    const { outcomes, fired } = attempts(
      { after: 1, counting: "changing-calls", lostReply: false },
      CALLS,
    );

    // Assess: the read after the first change still goes out; the next change never arrives.
    expect(outcomes).toEqual(["sent", "sent", "sent", "never sent", "never sent"]);
    expect(fired).toBe(true);
  });

  it("counting every call, dies after the k-th attempt, reads included", () => {
    // Act
    const { outcomes } = attempts({ after: 2, counting: "every-call", lostReply: false }, CALLS);

    // Assess
    expect(outcomes).toEqual(["sent", "sent", "never sent", "never sent", "never sent"]);
  });

  it("with a lost reply, the k-th call takes effect and its answer never comes back", () => {
    // Act
    const { outcomes, fired } = attempts(
      { after: 2, counting: "changing-calls", lostReply: true },
      CALLS,
    );

    // Assess
    expect(outcomes).toEqual(["sent", "sent", "sent", "reply lost", "never sent"]);
    expect(fired).toBe(true);
  });

  it("never fires when the process makes fewer calls than its crash point", () => {
    // Act
    const { outcomes, fired } = attempts(
      { after: 9, counting: "every-call", lostReply: true },
      CALLS,
    );

    // Assess
    expect(outcomes.every((o) => o === "sent")).toBe(true);
    expect(fired).toBe(false);
  });
});
