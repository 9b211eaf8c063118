import {
  GetAccountAuthorizationDetailsCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListUsers,
  paginateListUserTags,
} from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { caught, sandboxWithClients } from "./support.js";

function manyUsers(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    name: `user-${String(i).padStart(5, "0")}`,
    tags: { index: String(i) },
    keys: [{ ageDays: i % 400 }],
  }));
}

describe("IAM pagination with the SDK paginators", () => {
  it("pages through 3,000 users with paginateListUsers, each exactly once and in order", async () => {
    const { s, iam } = await sandboxWithClients({ seed: { users: manyUsers(3000) } });
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListUsers({ client: iam, pageSize: 1000 }, {})) {
      pages++;
      names.push(...(page.Users ?? []).map((u) => u.UserName as string));
    }
    expect(pages).toBe(3);
    expect(names).toHaveLength(3000);
    expect(new Set(names).size).toBe(3000);
    expect(names).toEqual([...names].sort());
    expect(s.calls()["iam:ListUsers"]).toBe(3);
  });

  it("defaults to 100 items per page with IsTruncated and an opaque Marker", async () => {
    const { iam } = await sandboxWithClients({ seed: { users: manyUsers(250) } });
    const first = await iam.send(new ListUsersCommand({}));
    expect(first.Users).toHaveLength(100);
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toBeTypeOf("string");
    expect(first.Marker).not.toContain("user-");
    const second = await iam.send(new ListUsersCommand({ Marker: first.Marker }));
    expect(second.Users?.[0]?.UserName).toBe("user-00100");
    const third = await iam.send(new ListUsersCommand({ Marker: second.Marker, MaxItems: 1000 }));
    expect(third.Users).toHaveLength(50);
    expect(third.IsTruncated).toBe(false);
    expect(third.Marker).toBeUndefined();
  });

  it("keeps pagination stable when users are added or deleted between pages", async () => {
    const { s, iam } = await sandboxWithClients({ seed: { users: manyUsers(10) } });
    const first = await iam.send(new ListUsersCommand({ MaxItems: 5 }));
    s.seed({ users: [{ name: "aaa-before-everything" }, { name: "zzz-after-everything" }] });
    const rest = await iam.send(new ListUsersCommand({ Marker: first.Marker, MaxItems: 100 }));
    expect(rest.Users?.map((u) => u.UserName)).toEqual([
      "user-00005",
      "user-00006",
      "user-00007",
      "user-00008",
      "user-00009",
      "zzz-after-everything",
    ]);
  });

  it("rejects a bad Marker and an out-of-range MaxItems with ValidationError", async () => {
    const { iam } = await sandboxWithClients({ seed: { users: manyUsers(3) } });
    const garbage = await caught(() => iam.send(new ListUsersCommand({ Marker: "not-a-marker" })));
    expect(garbage.name).toBe("ValidationError");
    expect(garbage.message).toBe("Invalid Marker.");
    const page = await iam.send(new ListUsersCommand({ MaxItems: 1 }));
    const foreign = await caught(() =>
      iam.send(new ListAccessKeysCommand({ UserName: "user-00000", Marker: page.Marker })),
    );
    expect(foreign.message).toBe("Invalid Marker.");
    for (const MaxItems of [0, 1001, -5]) {
      const err = await caught(() => iam.send(new ListUsersCommand({ MaxItems })));
      expect(err.name).toBe("ValidationError");
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    expect((await iam.send(new ListUsersCommand({ MaxItems: 1000 }))).Users).toHaveLength(3);
  });

  it("paginates ListUserTags and GetAccountAuthorizationDetails (Filter=User, with tags)", async () => {
    const tags = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`tag${String(i).padStart(2, "0")}`, `v${i}`]),
    );
    const { iam } = await sandboxWithClients({
      seed: { users: [{ name: "tagged", tags }, ...manyUsers(120)] },
    });
    const tagPages: number[] = [];
    const allTags: string[] = [];
    for await (const p of paginateListUserTags(
      { client: iam, pageSize: 7 },
      { UserName: "tagged" },
    )) {
      tagPages.push(p.Tags?.length ?? 0);
      allTags.push(...(p.Tags ?? []).map((t) => t.Key as string));
    }
    expect(tagPages).toEqual([7, 7, 7, 7, 2]);
    expect(allTags).toEqual(Object.keys(tags));

    const details: string[] = [];
    for await (const p of paginateGetAccountAuthorizationDetails(
      { client: iam, pageSize: 50 },
      { Filter: ["User"] },
    )) {
      details.push(...(p.UserDetailList ?? []).map((u) => u.UserName as string));
      expect(p.RoleDetailList).toEqual([]);
    }
    expect(details).toHaveLength(121);
    const one = await iam.send(
      new GetAccountAuthorizationDetailsCommand({ Filter: ["User"], MaxItems: 200 }),
    );
    const tagged = one.UserDetailList?.find((u) => u.UserName === "tagged");
    expect(tagged?.Tags).toHaveLength(30);
    expect(tagged?.Arn).toBe("arn:aws:iam::123456789012:user/tagged");
    const roles = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role"] }));
    expect(roles.UserDetailList).toEqual([]);
    const badFilter = await caught(() =>
      iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Robot" as "User"] })),
    );
    expect(badFilter.name).toBe("ValidationError");
    const userTags = await iam.send(new ListUserTagsCommand({ UserName: "tagged", MaxItems: 100 }));
    expect(userTags.IsTruncated).toBe(false);
  });
});
