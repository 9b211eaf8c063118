import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import {
  readSecretFile,
  secretFileBody,
  secretFileUrl,
  secretObjectKeyPattern,
} from "../src/secretFile.js";

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

describe("readSecretFile", () => {
  it("reads back what secretFileBody wrote, a user name with a comma included", () => {
    // Prepare
    const body = secretFileBody("svc,deploy", "AKIASVC0000000000002", SECRET);

    // Act
    const file = readSecretFile(body);

    // Assess
    expect(file).toEqual({
      userName: "svc,deploy",
      accessKeyId: "AKIASVC0000000000002",
      secretAccessKey: SECRET,
    });
  });

  it("reads no secret file from another header, no row or two rows", () => {
    // Prepare
    const bodies = [
      "User,Key,Secret\nalice,AKIAALICE00000000002,x\n",
      "UserName,AccessKeyId,SecretAccessKey\n",
      `UserName,AccessKeyId,SecretAccessKey\nalice,AKIAALICE00000000002,x\nbob,AKIABOB0000000000002,y\n`,
    ];

    // Act
    const read = bodies.map(readSecretFile);

    // Assess
    expect(read).toEqual([undefined, undefined, undefined]);
  });
});

describe("secretObjectKeyPattern and secretFileUrl", () => {
  it("find in a text the key ids of the user's files named by their address, and no other user's", () => {
    // Prepare
    const text = `get ${secretFileUrl("b", "a.b", "AKIAALICE00000000002")} and ${secretFileUrl("b", "aXb", "AKIAOTHER00000000002")}`;

    // Act
    const ids = [...text.matchAll(secretObjectKeyPattern("a.b"))].map((m) => m[1]);

    // Assess
    expect(text).toContain("s3://b/credential/a.b/a.b_AKIAALICE00000000002.csv");
    expect(ids).toEqual(["AKIAALICE00000000002"]);
  });
});
