import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { secretFileBody } from "../src/secretFile.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

describe("secretFileBody", () => {
  it("writes a header and one row, byte for byte as the original function did", () => {
    expect(secretFileBody("alice", "AKIAALICE00000000002", SECRET)).toBe(
      `UserName,AccessKeyId,SecretAccessKey\nalice,AKIAALICE00000000002,${SECRET}\n`,
    );
  });

  it("quotes a user name with a comma, so the file still reads as three columns", () => {
    const body = secretFileBody("svc,deploy", "AKIASVC0000000000002", SECRET);

    const records = parse(body) as string[][];

    expect(records).toEqual([
      ["UserName", "AccessKeyId", "SecretAccessKey"],
      ["svc,deploy", "AKIASVC0000000000002", SECRET],
    ]);
  });
});
