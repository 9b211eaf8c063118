import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_ORG_CONCURRENCY, decodeOrgSettings } from "../src/orgSettings.js";

describe("decodeOrgSettings", () => {
  it("needs only the role name and defaults the rest to the whole organisation, 4 at a time", () => {
    // Act
    const decoded = decodeOrgSettings({ ORG_ROLE_NAME: " KeyrotateMember " });
    // Assess
    expect(decoded).toEqual(
      E.right({
        roleName: "KeyrotateMember",
        externalId: undefined,
        includeOus: [],
        includeAccounts: [],
        excludeAccounts: [],
        optOutTag: undefined,
        concurrency: DEFAULT_ORG_CONCURRENCY,
      }),
    );
  });

  it("reads comma-separated lists, the external id and an opt-out tag with or without a value", () => {
    // Act
    const decoded = decodeOrgSettings({
      ORG_ROLE_NAME: "KeyrotateMember",
      ORG_EXTERNAL_ID: "ext-123",
      ORG_INCLUDE_OUS: "ou-ab12-cdef3456, r-ab12,ou-ab12-cdef3456",
      ORG_INCLUDE_ACCOUNTS: "111111111111",
      ORG_EXCLUDE_ACCOUNTS: "222222222222 , 333333333333",
      ORG_OPT_OUT_TAG: "keyrotate:opt-out=true",
      ORG_CONCURRENCY: "12",
    });
    const keyOnly = decodeOrgSettings({ ORG_ROLE_NAME: "R", ORG_OPT_OUT_TAG: "no-keyrotate" });
    // Assess
    expect(decoded).toEqual(
      E.right({
        roleName: "KeyrotateMember",
        externalId: "ext-123",
        includeOus: ["ou-ab12-cdef3456", "r-ab12"],
        includeAccounts: ["111111111111"],
        excludeAccounts: ["222222222222", "333333333333"],
        optOutTag: { key: "keyrotate:opt-out", value: "true" },
        concurrency: 12,
      }),
    );
    expect(E.isRight(keyOnly) && keyOnly.right.optOutTag).toEqual({
      key: "no-keyrotate",
      value: undefined,
    });
  });

  it("names every bad setting and the value it got, all at once", () => {
    // Act
    const decoded = decodeOrgSettings({
      ORG_EXTERNAL_ID: "x",
      ORG_INCLUDE_OUS: "workloads,ou-ab12-cdef3456",
      ORG_INCLUDE_ACCOUNTS: "12345",
      ORG_EXCLUDE_ACCOUNTS: "111111111111,abc",
      ORG_OPT_OUT_TAG: "=yes",
      ORG_CONCURRENCY: "0",
    });
    // Assess
    expect(E.isLeft(decoded) && decoded.left.map((p) => [p.setting, p.value, p.message])).toEqual([
      [
        "ORG_ROLE_NAME",
        undefined,
        "is required: the role keyrotate assumes in each member account",
      ],
      ["ORG_EXTERNAL_ID", "x", "expected 2 to 1224 of letters, digits and +=,.@:/_-"],
      [
        "ORG_INCLUDE_OUS",
        "workloads,ou-ab12-cdef3456",
        "expected comma-separated OU ids (ou-…) or the root id (r-…); not one: workloads",
      ],
      [
        "ORG_INCLUDE_ACCOUNTS",
        "12345",
        "expected comma-separated 12-digit account ids; not one: 12345",
      ],
      [
        "ORG_EXCLUDE_ACCOUNTS",
        "111111111111,abc",
        "expected comma-separated 12-digit account ids; not one: abc",
      ],
      ["ORG_OPT_OUT_TAG", "=yes", "expected a tag key (1 to 128 characters), optionally =value"],
      ["ORG_CONCURRENCY", "0", "expected a whole number of accounts from 1 to 100"],
    ]);
  });

  it("refuses a concurrency that is not a whole number", () => {
    // Act
    const decoded = decodeOrgSettings({ ORG_ROLE_NAME: "R", ORG_CONCURRENCY: "2.5" });
    // Assess
    expect(E.isLeft(decoded) && decoded.left[0]?.setting).toBe("ORG_CONCURRENCY");
  });
});
