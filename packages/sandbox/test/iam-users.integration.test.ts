import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteConflictException,
  DeleteUserCommand,
  EntityAlreadyExistsException,
  GetUserCommand,
  IAMServiceException,
  InvalidInputException,
  LimitExceededException,
  ListUsersCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  TagUserCommand,
  UntagUserCommand,
} from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { caught, clients, sandbox, sandboxWithClients, T0 } from "./support.js";

describe("IAM users through the real SDK", () => {
  it("creates, gets, lists and deletes a user with AWS's shapes", async () => {
    const { iam } = await sandboxWithClients();
    const created = await iam.send(
      new CreateUserCommand({ UserName: "alice", Tags: [{ Key: "team", Value: "payments" }] }),
    );
    expect(created.User).toMatchObject({
      UserName: "alice",
      Path: "/",
      Arn: "arn:aws:iam::123456789012:user/alice",
      CreateDate: new Date(T0),
      Tags: [{ Key: "team", Value: "payments" }],
    });
    expect(created.User?.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);

    const got = await iam.send(new GetUserCommand({ UserName: "alice" }));
    expect(got.User?.UserId).toBe(created.User?.UserId);
    expect(got.User?.Tags).toEqual([{ Key: "team", Value: "payments" }]);

    const listed = await iam.send(new ListUsersCommand({}));
    expect(listed.Users?.map((u) => u.UserName)).toEqual(["alice"]);
    expect(listed.IsTruncated).toBe(false);
    expect(listed.Users?.[0]?.Tags).toBeUndefined(); // ListUsers does not return tags, as on AWS

    await iam.send(new DeleteUserCommand({ UserName: "alice" }));
    const gone = await caught(() => iam.send(new GetUserCommand({ UserName: "alice" })));
    expect(gone).toBeInstanceOf(NoSuchEntityException);
    expect(gone.message).toBe("The user with name alice cannot be found.");
    expect(gone.$metadata.httpStatusCode).toBe(404);
  });

  it("treats user names case-insensitively and refuses duplicates with EntityAlreadyExists (409)", async () => {
    const { iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "Bob" }));
    const dup = await caught(() => iam.send(new CreateUserCommand({ UserName: "bob" })));
    expect(dup).toBeInstanceOf(EntityAlreadyExistsException);
    expect(dup.$metadata.httpStatusCode).toBe(409);
    expect((await iam.send(new GetUserCommand({ UserName: "BOB" }))).User?.UserName).toBe("Bob");
  });

  it("refuses to delete a user that still has keys (DeleteConflict)", async () => {
    const { s, iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "carol" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "carol" }));
    const err = await caught(() => iam.send(new DeleteUserCommand({ UserName: "carol" })));
    expect(err).toBeInstanceOf(DeleteConflictException);
    expect(err.$metadata.httpStatusCode).toBe(409);
    expect(s.users().map((u) => u.name)).toEqual(["carol"]);
  });

  it("tags, lists tags, retags case-insensitively and untags", async () => {
    const { iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "dave" }));
    await iam.send(
      new TagUserCommand({
        UserName: "dave",
        Tags: [
          { Key: "Owner", Value: "dave@example.com" },
          { Key: "rotation", Value: "90d" },
        ],
      }),
    );
    await iam.send(
      new TagUserCommand({ UserName: "dave", Tags: [{ Key: "owner", Value: "ops@example.com" }] }),
    );
    const tags = await iam.send(new ListUserTagsCommand({ UserName: "dave" }));
    expect(tags.Tags).toEqual([
      { Key: "owner", Value: "ops@example.com" },
      { Key: "rotation", Value: "90d" },
    ]);
    await iam.send(new UntagUserCommand({ UserName: "dave", TagKeys: ["ROTATION"] }));
    expect((await iam.send(new ListUserTagsCommand({ UserName: "dave" }))).Tags).toEqual([
      { Key: "owner", Value: "ops@example.com" },
    ]);
  });

  it("enforces 50 tags per user with LimitExceeded on the 51st", async () => {
    const s = await sandbox();
    // The SDK classifies LimitExceededException as throttling and retries it; one attempt keeps this fast.
    const { iam } = clients(s, { maxAttempts: 1 });
    await iam.send(new CreateUserCommand({ UserName: "erin" }));
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    await iam.send(new TagUserCommand({ UserName: "erin", Tags: fifty }));
    const err = await caught(() =>
      iam.send(new TagUserCommand({ UserName: "erin", Tags: [{ Key: "k50", Value: "x" }] })),
    );
    expect(err).toBeInstanceOf(LimitExceededException);
    expect(err.message).toBe("Cannot exceed quota for TagsPerUser: 50");
    // Re-tagging an existing key is not a new tag, so it is allowed at the quota.
    await iam.send(
      new TagUserCommand({ UserName: "erin", Tags: [{ Key: "K0", Value: "changed" }] }),
    );
    expect(s.users()[0]?.tags).toHaveLength(50);
  });

  it("rejects too-long tag keys and values and duplicate keys with AWS's validation errors", async () => {
    const { s, iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "fred" }));
    const longValue = await caught(() =>
      iam.send(
        new TagUserCommand({ UserName: "fred", Tags: [{ Key: "k", Value: "v".repeat(257) }] }),
      ),
    );
    expect(longValue).toBeInstanceOf(IAMServiceException);
    expect(longValue.name).toBe("ValidationError");
    expect(longValue.message).toContain(
      "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
    );
    const longKey = await caught(() =>
      iam.send(
        new TagUserCommand({ UserName: "fred", Tags: [{ Key: "k".repeat(129), Value: "v" }] }),
      ),
    );
    expect(longKey.name).toBe("ValidationError");
    expect(longKey.message).toContain("Member must have length less than or equal to 128");
    // exactly at the limits is fine
    await iam.send(
      new TagUserCommand({
        UserName: "fred",
        Tags: [{ Key: "k".repeat(128), Value: "v".repeat(256) }],
      }),
    );
    const dup = await caught(() =>
      iam.send(
        new TagUserCommand({
          UserName: "fred",
          Tags: [
            { Key: "a", Value: "1" },
            { Key: "A", Value: "2" },
          ],
        }),
      ),
    );
    expect(dup).toBeInstanceOf(InvalidInputException);
    const tooMany = await caught(() =>
      iam.send(
        new CreateUserCommand({
          UserName: "gina",
          Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" })),
        }),
      ),
    );
    expect(tooMany.name).toBe("ValidationError");
    expect(s.users().map((u) => u.name)).toEqual(["fred"]);
  });

  it("validates user names and paths", async () => {
    const { iam } = await sandboxWithClients();
    const bad = await caught(() => iam.send(new CreateUserCommand({ UserName: "has space" })));
    expect(bad.name).toBe("ValidationError");
    expect(bad.$metadata.httpStatusCode).toBe(400);
    const long = await caught(() => iam.send(new CreateUserCommand({ UserName: "x".repeat(65) })));
    expect(long.message).toContain("Member must have length less than or equal to 64");
    const badPath = await caught(() =>
      iam.send(new CreateUserCommand({ UserName: "ok", Path: "no-slashes" })),
    );
    expect(badPath.name).toBe("ValidationError");
    const withPath = await iam.send(new CreateUserCommand({ UserName: "ok", Path: "/service/" }));
    expect(withPath.User?.Arn).toBe("arn:aws:iam::123456789012:user/service/ok");
    await iam.send(new CreateUserCommand({ UserName: "other" }));
    const filtered = await iam.send(new ListUsersCommand({ PathPrefix: "/service/" }));
    expect(filtered.Users?.map((u) => u.UserName)).toEqual(["ok"]);
  });

  it("answers GetUser without a name as the root user for the admin credentials", async () => {
    const { iam } = await sandboxWithClients();
    const me = await iam.send(new GetUserCommand({}));
    expect(me.User?.Arn).toBe("arn:aws:iam::123456789012:root");
    expect(me.User?.UserId).toBe("123456789012");
  });
});
