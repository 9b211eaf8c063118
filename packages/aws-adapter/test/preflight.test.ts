import type { AccessKeyId, EmailAddress, Plan, UserName } from "@keyrotate/core";
import { describe, expect, it } from "vitest";
import { rotates, senderIdentities } from "../src/preflight.js";

const plan = (steps: Plan["steps"]): Plan => ({
  userName: "alice" as UserName,
  handled: true,
  steps,
  findings: [],
});
const OLD = "AKIAOLDOLDOLDOLDOLD1" as AccessKeyId;

describe("which runs need a preflight", () => {
  it("is a plan that creates a key or commits a rotation", () => {
    const create = plan([{ _tag: "CreateKey", replaces: OLD }]);
    const commit = plan([
      { _tag: "TagUser", tags: [{ key: "last-check-old-key", value: OLD }], commitsRotation: true },
    ]);

    expect(rotates(create)).toBe(true);
    expect(rotates(commit)).toBe(true);
  });

  it("is not a plan that only warns, tags, deactivates or deletes", () => {
    const other = plan([
      {
        _tag: "TagUser",
        tags: [{ key: "key-rotation-state", value: "x" }],
        commitsRotation: false,
      },
      { _tag: "DeactivateKey", keyId: OLD, reason: "retired" },
      { _tag: "DeleteKey", keyId: OLD, reason: "retired" },
      {
        _tag: "SendNotice",
        notice: {
          kind: "Deleted",
          keyId: OLD,
          to: "alice@example.com" as EmailAddress,
          userName: "alice" as UserName,
        },
      },
    ]);

    expect(rotates(other)).toBe(false);
    expect(rotates(plan([]))).toBe(false);
  });
});

describe("the identities that can make a sender verified", () => {
  it("are the address and each of its parent domains, not the top-level domain", () => {
    expect(senderIdentities("keyrotate@mail.corp.example.com")).toEqual([
      "keyrotate@mail.corp.example.com",
      "mail.corp.example.com",
      "corp.example.com",
      "example.com",
    ]);
    expect(senderIdentities("keyrotate@example.com")).toEqual([
      "keyrotate@example.com",
      "example.com",
    ]);
  });
});
