import { describe, expect, it } from "vitest";
import { type CrashCounting, type CrashPoint, crashSwitch } from "../src/crashSwitch.js";

type Outcome = "sent" | "reply lost" | "never sent";

/** What one attempt meets: the switch throws before it, after it, or not at all. */
const attempt = (middleware: ReturnType<typeof crashSwitch>["middleware"], op: string): Outcome => {
  let after: (() => void) | undefined;
  try {
    after = middleware(op);
  } catch {
    return "never sent";
  }
  try {
    after?.();
  } catch {
    return "reply lost";
  }
  return "sent";
};

const CALLS = [
  "iam:ListUsers",
  "iam:CreateAccessKey",
  "iam:ListUserTags",
  "s3:PutObject",
  "iam:TagUser",
];

/** Outcomes in short: `+` sent, `?` reply lost, `x` never sent. */
const SHORT: Record<Outcome, string> = { sent: "+", "reply lost": "?", "never sent": "x" };

const at = (after: number, counting: CrashCounting, lostReply: boolean): CrashPoint => ({
  after,
  counting,
  lostReply,
});

describe("the crash switch", () => {
  it.each<readonly [string, CrashPoint, string]>([
    ["changes only, reads go out", at(1, "changing-calls", false), "+++xx"],
    ["every call, reads count", at(2, "every-call", false), "++xxx"],
    ["the k-th reply is lost", at(2, "changing-calls", true), "+++?x"],
    ["too few calls to crash", at(9, "every-call", true), "+++++"],
  ])("%s", (_why, point, expected) => {
    // Prepare
    const crash = crashSwitch(point);

    // Act
    const seen = CALLS.map((op) => SHORT[attempt(crash.middleware, op)]).join("");

    // Assess
    expect(seen).toBe(expected);
    expect(crash.fired()).toBe(expected.includes("x") || expected.includes("?"));
  });
});
