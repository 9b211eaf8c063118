import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { extrapolateCalls } from "../src/account-suite.js";
import { parseCoreOutput } from "../src/core-suite.js";
import { defaultOptions, parseArgs, UsageError } from "../src/options.js";
import { benchUser, dueCount, isDue } from "../src/scenario.js";

describe("parseArgs", () => {
  it("gives the full run of issue 7 without flags", () => {
    expect(parseArgs([]).options).toEqual(defaultOptions);
  });

  it("reads every flag, explicit flags winning over --quick whatever their order", () => {
    const { options } = parseArgs(
      [
        "--sizes",
        "500,2000",
        "--quick",
        "--action-rate",
        "0.05",
        "--latency-ms",
        "0",
        "--iam-rate",
        "50",
        "--baseline-limit-s",
        "5",
        "--suites",
        "account,core",
        "--out",
        "results",
      ],
      "/tmp/x",
    );

    expect(options).toMatchObject({
      sizes: [500, 2000],
      actionRate: 0.05,
      latencyMs: 0,
      iamRate: 50,
      iamBurst: 50,
      baselineLimitS: 5,
      coreUsers: 20_000,
      suites: ["account", "core"],
      outDir: resolve("/tmp/x", "results"),
    });
  });

  it("reads the organisation suite's flags", () => {
    const { options } = parseArgs([
      "--suites",
      "org",
      "--org-accounts",
      "7",
      "--org-users",
      "40",
      "--org-concurrency",
      "3,12",
    ]);

    expect(options).toMatchObject({
      suites: ["org"],
      orgAccounts: 7,
      orgUsers: 40,
      orgConcurrencies: [3, 12],
    });
    expect(() => parseArgs(["--org-accounts", "0"])).toThrow(UsageError);
  });

  it("keeps a burst given explicitly", () => {
    expect(parseArgs(["--iam-rate", "50", "--iam-burst", "5"]).options.iamBurst).toBe(5);
  });

  it("answers --help and refuses unknown flags and bad values", () => {
    expect(parseArgs(["--help"]).help).toBe(true);
    expect(() => parseArgs(["--nope", "1"])).toThrow(UsageError);
    expect(() => parseArgs(["--sizes", "10,x"])).toThrow(UsageError);
    expect(() => parseArgs(["--action-rate", "2"])).toThrow(UsageError);
    expect(() => parseArgs(["--iam-rate", "0"])).toThrow(UsageError);
    expect(() => parseArgs(["--suites", "account,gpu"])).toThrow(UsageError);
    expect(() => parseArgs(["--latency-ms"])).toThrow(UsageError);
  });
});

describe("the benchmark account", () => {
  it("has exactly users × rate users due, spread evenly", () => {
    const due = Array.from({ length: 10_000 }, (_, i) => i).filter((i) => isDue(i, 0.01));

    expect(due).toHaveLength(dueCount(10_000, 0.01));
    expect(due.slice(0, 3)).toEqual([99, 199, 299]);
  });

  it("gives due users an overdue key and the others a key no check selects", () => {
    expect(benchUser(99, 0.01).keys?.[0]?.ageDays).toBeGreaterThan(60);
    for (let i = 0; i < 99; i += 1) {
      const age = benchUser(i, 0.01).keys?.[0]?.ageDays ?? 0;
      expect(age).toBeGreaterThanOrEqual(2);
      expect(age).toBeLessThanOrEqual(29);
    }
  });
});

describe("extrapolateCalls", () => {
  it("scales each operation per user read, and ListUsers to one page per 100 users", () => {
    expect(
      extrapolateCalls(
        { "iam:GetUser": 150, "iam:ListAccessKeys": 51, "iam:ListUsers": 1 },
        50,
        10_000,
      ),
    ).toEqual({ "iam:GetUser": 30_000, "iam:ListAccessKeys": 10_200, "iam:ListUsers": 100 });
  });
});

describe("parseCoreOutput", () => {
  it("takes the core bench's last JSON line", () => {
    const out = [
      "core: decided 1,000 users in 2 ms",
      '{"suite":"core","users":1000,"ms":2,"decisionsPerSecond":500000,"targetMs":2000,"met":true}',
      "",
    ].join("\n");

    expect(parseCoreOutput(out)).toMatchObject({ users: 1000, ms: 2 });
  });

  it("fails when there is none", () => {
    expect(() => parseCoreOutput("core: crashed\n{not json")).toThrow(/no result line/);
  });
});
