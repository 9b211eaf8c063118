import { IAMClient, ListUsersCommand } from "@aws-sdk/client-iam";
import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
  paginateListAccounts,
} from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import type { OrganizationScenario, Sandbox } from "../src/index.js";
import { type SdkError, sandbox } from "./support.js";

const ROLE = { name: "KeyrotateMember", externalId: "keyrotate-ext-1" };

/** A small organisation: a nested OU, a suspended account, an account without the role. */
const ORG: OrganizationScenario = {
  memberRole: ROLE,
  accounts: [
    {
      id: "111111111111",
      name: "shared",
      tags: { team: "platform" },
      scenario: { users: [{ name: "ana", keys: [{ ageDays: 10 }] }] },
    },
  ],
  ous: [
    {
      name: "workloads",
      accounts: [{ id: "222222222222", name: "prod", scenario: { users: [{ name: "ben" }] } }],
      ous: [
        {
          name: "sandboxes",
          accounts: [
            { id: "333333333333", name: "old", status: "SUSPENDED" },
            { id: "444444444444", name: "norole", role: null },
          ],
        },
      ],
    },
  ],
};

const config = (s: Sandbox, credentials = s.clientConfig().credentials) => ({
  endpoint: s.url,
  region: s.region,
  credentials,
});

const assume = async (
  s: Sandbox,
  accountId: string,
  input: { externalId?: string; roleName?: string; credentials?: Sandbox["clientConfig"] } = {},
) => {
  const sts = new STSClient(config(s));
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accountId}:role/${input.roleName ?? ROLE.name}`,
      RoleSessionName: "keyrotate-test",
      ...(input.externalId === undefined ? {} : { ExternalId: input.externalId }),
    }),
  );
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined)
    throw new Error("AssumeRole returned no credentials");
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
  };
};

const denial = async (p: Promise<unknown>): Promise<SdkError> => {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  throw new Error("expected the call to fail");
};

describe("several accounts in one sandbox", () => {
  it("serves each account's own IAM to credentials assumed into it", async () => {
    // Prepare
    const s = await sandbox({ seed: { users: [{ name: "admin-user" }], organization: ORG } });
    // Act
    const shared = await assume(s, "111111111111", { externalId: ROLE.externalId });
    const prod = await assume(s, "222222222222", { externalId: ROLE.externalId });
    const sharedUsers = await new IAMClient(config(s, shared)).send(new ListUsersCommand({}));
    const prodUsers = await new IAMClient(config(s, prod)).send(new ListUsersCommand({}));
    const mgmtUsers = await new IAMClient(config(s)).send(new ListUsersCommand({}));
    const who = await new STSClient(config(s, prod)).send(new GetCallerIdentityCommand({}));
    // Assess
    expect(shared.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(sharedUsers.Users?.map((u) => u.UserName)).toEqual(["ana"]);
    expect(sharedUsers.Users?.[0]?.Arn).toBe("arn:aws:iam::111111111111:user/ana");
    expect(prodUsers.Users?.map((u) => u.UserName)).toEqual(["ben"]);
    expect(mgmtUsers.Users?.map((u) => u.UserName)).toEqual(["admin-user"]);
    expect(who.Account).toBe("222222222222");
    expect(who.Arn).toBe("arn:aws:sts::222222222222:assumed-role/KeyrotateMember/keyrotate-test");
    expect(s.account("222222222222").calls()["iam:ListUsers"]).toBe(1);
    expect(s.calls()["iam:ListUsers"]).toBe(1);
  });

  it("refuses AssumeRole without the external id, into a suspended account, a missing role, from an untrusted account", async () => {
    // Prepare
    const s = await sandbox({ seed: { organization: ORG } });
    const memberAdmin = s.account("111111111111").credentials;
    // Act
    const noExternalId = await denial(assume(s, "111111111111"));
    const wrongExternalId = await denial(assume(s, "111111111111", { externalId: "other-id" }));
    const suspended = await denial(assume(s, "333333333333", { externalId: ROLE.externalId }));
    const missingRole = await denial(assume(s, "444444444444", { externalId: ROLE.externalId }));
    const unknownAccount = await denial(assume(s, "999999999999", { externalId: ROLE.externalId }));
    const fromMember = await denial(
      new STSClient(config(s, memberAdmin)).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::222222222222:role/${ROLE.name}`,
          RoleSessionName: "lateral",
          ExternalId: ROLE.externalId,
        }),
      ),
    );
    // Assess
    for (const e of [noExternalId, wrongExternalId, suspended, missingRole, unknownAccount]) {
      expect(e.name).toBe("AccessDenied");
      expect(e.$metadata.httpStatusCode).toBe(403);
    }
    expect(missingRole.message).toContain("arn:aws:iam::444444444444:role/KeyrotateMember");
    expect(fromMember.name).toBe("AccessDenied");
    expect(fromMember.message).toContain("arn:aws:iam::111111111111:user/sandbox-admin");
  });

  it("refuses temporary credentials once they expire on the sandbox clock", async () => {
    // Prepare
    const s = await sandbox({ seed: { organization: ORG } });
    const shared = await assume(s, "111111111111", { externalId: ROLE.externalId });
    // Act
    s.clock.advanceMs(3600 * 1000);
    const expired = await denial(
      new IAMClient({ ...config(s, shared), maxAttempts: 1 }).send(new ListUsersCommand({})),
    );
    // Assess
    expect(expired.name).toBe("ExpiredToken");
  });

  it("lists the organisation: root, nested OUs, accounts with their status, children and tags", async () => {
    // Prepare
    const s = await sandbox({ seed: { organization: ORG } });
    const org = new OrganizationsClient(config(s));
    // Act
    const roots = await org.send(new ListRootsCommand({}));
    const rootId = roots.Roots?.[0]?.Id as string;
    const ous = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }));
    const workloads = ous.OrganizationalUnits?.[0]?.Id as string;
    const nested = await org.send(
      new ListOrganizationalUnitsForParentCommand({ ParentId: workloads }),
    );
    const nestedId = nested.OrganizationalUnits?.[0]?.Id as string;
    const inNested = await org.send(new ListAccountsForParentCommand({ ParentId: nestedId }));
    const children = await org.send(
      new ListChildrenCommand({ ParentId: workloads, ChildType: "ORGANIZATIONAL_UNIT" }),
    );
    const tags = await org.send(new ListTagsForResourceCommand({ ResourceId: "111111111111" }));
    const missingParent = await denial(
      org.send(new ListAccountsForParentCommand({ ParentId: "ou-sand-99999999" })),
    );
    // Assess
    expect(rootId).toMatch(/^r-[0-9a-z]{4,32}$/);
    expect(ous.OrganizationalUnits?.map((o) => o.Name)).toEqual(["workloads"]);
    expect(workloads).toMatch(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/);
    expect(nested.OrganizationalUnits?.map((o) => o.Name)).toEqual(["sandboxes"]);
    expect(inNested.Accounts?.map((a) => [a.Id, a.Status])).toEqual([
      ["333333333333", "SUSPENDED"],
      ["444444444444", "ACTIVE"],
    ]);
    expect(children.Children).toEqual([{ Id: nestedId, Type: "ORGANIZATIONAL_UNIT" }]);
    expect(tags.Tags).toEqual([{ Key: "team", Value: "platform" }]);
    expect(missingParent.name).toBe("ParentNotFoundException");
  });

  it("pages ListAccounts 20 at a time and refuses Organizations to a member account", async () => {
    // Prepare
    const accounts = Array.from({ length: 45 }, (_, i) => ({
      id: String(100000000000 + i),
      name: `acct-${i}`,
    }));
    const s = await sandbox({ seed: { organization: { accounts } } });
    const org = new OrganizationsClient(config(s));
    // Act
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateListAccounts({ client: org }, {})) {
      pages.push(page.Accounts?.length ?? 0);
      ids.push(...(page.Accounts ?? []).map((a) => a.Id as string));
    }
    const member = new OrganizationsClient(
      config(s, s.account(accounts[0]?.id as string).credentials),
    );
    const refused = await denial(member.send(new ListAccountsCommand({})));
    const tooMany = await denial(org.send(new ListAccountsCommand({ MaxResults: 21 })));
    // Assess
    expect(pages).toEqual([20, 20, 6]);
    expect(ids[0]).toBe("123456789012");
    expect(new Set(ids).size).toBe(46);
    expect(refused.name).toBe("AccessDeniedException");
    expect(tooMany.name).toBe("InvalidInputException");
  });

  it("throttles each account's IAM on its own bucket", async () => {
    // Prepare
    const s = await sandbox({
      seed: {
        organization: {
          memberRole: { name: ROLE.name },
          accounts: [
            {
              id: "111111111111",
              name: "busy",
              faults: { throttle: { iam: { ratePerSecond: 0.001, burst: 1 } } },
            },
            { id: "222222222222", name: "calm" },
          ],
        },
      },
    });
    const busy = new IAMClient({ ...config(s, await assume(s, "111111111111")), maxAttempts: 1 });
    const calm = new IAMClient({ ...config(s, await assume(s, "222222222222")), maxAttempts: 1 });
    // Act
    await busy.send(new ListUsersCommand({}));
    const throttled = await denial(busy.send(new ListUsersCommand({})));
    const calmResults = await Promise.all([1, 2, 3].map(() => calm.send(new ListUsersCommand({}))));
    // Assess
    expect(throttled.name).toBe("Throttling");
    expect(calmResults).toHaveLength(3);
    expect(s.account("111111111111").faultCounts().throttled).toBe(1);
    expect(s.account("222222222222").faultCounts().throttled).toBe(0);
  });

  it("rejects an invalid organisation scenario with every problem and seeds nothing", async () => {
    // Prepare
    const s = await sandbox();
    // Act
    const attempt = () =>
      s.seed({
        organization: {
          memberRole: { name: "bad role name!" },
          accounts: [
            { id: "12345", name: "short" },
            { id: "111111111111", name: "a", scenario: { users: [{ name: "x", keys: "no" }] } },
            { id: "111111111111", name: "dup" },
          ],
        },
      } as never);
    // Assess
    expect(attempt).toThrow(/memberRole\.name/);
    expect(attempt).toThrow(/accounts\[0\]\.id: must be a 12-digit account id/);
    expect(attempt).toThrow(/accounts\[1\]\.scenario\.users\[0\]\.keys: must be an array/);
    expect(attempt).toThrow(/accounts\[2\]\.id: duplicate account id 111111111111/);
    expect(s.accounts()).toEqual([]);
  });

  // How fast is a benchmark's business; the timeout only keeps a slow machine from failing it.
  it("seeds an organisation of 1,000 small accounts, each with its own users", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const accounts = Array.from({ length: 1000 }, (_, i) => ({
      id: String(200000000000 + i),
      name: `acct-${i}`,
      scenario: { users: [{ name: "u1", keys: [{ ageDays: 100 }] }, { name: "u2" }] },
    }));
    // Act
    const s = await sandbox({ seed: { organization: { ous: [{ name: "all", accounts }] } } });
    // Assess
    expect(s.accounts()).toHaveLength(1001);
    expect(
      s
        .account("200000000999")
        .users()
        .map((u) => u.name),
    ).toEqual(["u1", "u2"]);
  });
});
