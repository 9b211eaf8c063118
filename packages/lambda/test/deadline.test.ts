import { describe, expect, it } from "vitest";
import { DEFAULT_SAFETY_MARGIN, safetyMarginMs, startGate } from "../src/deadline.js";

describe("the time margin", () => {
  it("keeps 30 s, or 10 % of the invocation's time when that is more", () => {
    expect(safetyMarginMs(DEFAULT_SAFETY_MARGIN, 60_000)).toBe(30_000);
    expect(safetyMarginMs(DEFAULT_SAFETY_MARGIN, 300_000)).toBe(30_000);
    expect(safetyMarginMs(DEFAULT_SAFETY_MARGIN, 900_000)).toBe(90_000);
  });

  it("lets users start while more than the margin remains, measured from the start", () => {
    let remaining = 900_000;
    const gate = startGate(() => remaining);

    const answers: boolean[] = [];
    for (const left of [800_000, 90_001, 90_000, 200_000]) {
      remaining = left;
      answers.push(gate());
    }

    expect(answers).toEqual([true, true, false, true]);
  });

  it("takes a custom margin", () => {
    let remaining = 10_000;
    const gate = startGate(() => remaining, { minimumMs: 1_000, fraction: 0 });
    remaining = 1_001;
    expect(gate()).toBe(true);
    remaining = 999;
    expect(gate()).toBe(false);
  });
});
