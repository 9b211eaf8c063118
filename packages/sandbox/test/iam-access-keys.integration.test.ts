import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  IAMClient,
  LimitExceededException,
  ListAccessKeysCommand,
  ListUsersCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { caught, sandboxWithClients, T0 } from "./support.js";

describe("IAM access keys through the real SDK", () => {
  it("creates keys shaped like AWS's and lists them", async () => {
    const { iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "alice" }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    expect(AccessKey?.AccessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(AccessKey?.SecretAccessKey).toHaveLength(40);
    expect(AccessKey).toMatchObject({
      UserName: "alice",
      Status: "Active",
      CreateDate: new Date(T0),
    });
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: "alice" }));
    expect(listed.AccessKeyMetadata).toEqual([
      {
        UserName: "alice",
        AccessKeyId: AccessKey?.AccessKeyId,
        Status: "Active",
        CreateDate: new Date(T0),
      },
    ]);
    expect(listed.AccessKeyMetadata?.[0]).not.toHaveProperty("SecretAccessKey");
  });

  it("allows two keys per user and refuses the third with LimitExceeded (409)", async () => {
    const { s, iam } = await sandboxWithClients({}, { maxAttempts: 1 });
    await iam.send(new CreateUserCommand({ UserName: "bob" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "bob" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "bob" }));
    const err = await caught(() => iam.send(new CreateAccessKeyCommand({ UserName: "bob" })));
    expect(err).toBeInstanceOf(LimitExceededException);
    expect(err.message).toBe("Cannot exceed quota for AccessKeysPerUser: 2");
    expect(err.$metadata.httpStatusCode).toBe(409);
    expect(s.users()[0]?.keys).toHaveLength(2);
  });

  it("deactivates, reactivates and deletes keys; unknown keys are NoSuchEntity", async () => {
    const { s, iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "carol" }));
    const id = (await iam.send(new CreateAccessKeyCommand({ UserName: "carol" }))).AccessKey
      ?.AccessKeyId as string;
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: "carol", AccessKeyId: id, Status: "Inactive" }),
    );
    expect(s.users()[0]?.keys[0]?.status).toBe("Inactive");
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: "carol", AccessKeyId: id, Status: "Active" }),
    );
    expect(s.users()[0]?.keys[0]?.status).toBe("Active");
    const badStatus = await caught(() =>
      iam.send(
        new UpdateAccessKeyCommand({
          UserName: "carol",
          AccessKeyId: id,
          Status: "Paused" as "Active",
        }),
      ),
    );
    expect(badStatus.name).toBe("ValidationError");
    await iam.send(new DeleteAccessKeyCommand({ UserName: "carol", AccessKeyId: id }));
    expect(s.users()[0]?.keys).toEqual([]);
    const again = await caught(() =>
      iam.send(new DeleteAccessKeyCommand({ UserName: "carol", AccessKeyId: id })),
    );
    expect(again).toBeInstanceOf(NoSuchEntityException);
    await iam.send(new CreateUserCommand({ UserName: "dave" }));
    const other = (await iam.send(new CreateAccessKeyCommand({ UserName: "dave" }))).AccessKey
      ?.AccessKeyId as string;
    const wrongUser = await caught(() =>
      iam.send(new DeleteAccessKeyCommand({ UserName: "carol", AccessKeyId: other })),
    );
    expect(wrongUser).toBeInstanceOf(NoSuchEntityException);
  });

  it("reports a never-used key with N/A and no LastUsedDate, as AWS does", async () => {
    const { iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "erin" }));
    const id = (await iam.send(new CreateAccessKeyCommand({ UserName: "erin" }))).AccessKey
      ?.AccessKeyId as string;
    const last = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id }));
    expect(last.UserName).toBe("erin");
    expect(last.AccessKeyLastUsed).toEqual({ ServiceName: "N/A", Region: "N/A" });
  });

  it("records last use (sandbox time, region, service) when a request is signed with a sandbox key", async () => {
    const { s, iam, s3 } = await sandboxWithClients({ region: "eu-west-1" });
    await iam.send(new CreateUserCommand({ UserName: "frank" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "frank" }))).AccessKey;
    const credentials = {
      accessKeyId: key?.AccessKeyId as string,
      secretAccessKey: key?.SecretAccessKey as string,
    };
    s.clock.advanceDays(3);
    const asFrank = new IAMClient({ ...s.clientConfig(), credentials });
    await asFrank.send(new ListUsersCommand({}));
    let last = await iam.send(
      new GetAccessKeyLastUsedCommand({ AccessKeyId: credentials.accessKeyId }),
    );
    expect(last.AccessKeyLastUsed).toEqual({
      LastUsedDate: new Date(Date.parse(T0) + 3 * 86_400_000),
      ServiceName: "iam",
      Region: "eu-west-1",
    });
    s.clock.advanceDays(1);
    await s3.send(new CreateBucketCommand({ Bucket: "frank-bucket" }));
    await new S3Client({ ...s.clientConfig(), credentials }).send(
      new ListObjectsV2Command({ Bucket: "frank-bucket" }),
    );
    last = await iam.send(
      new GetAccessKeyLastUsedCommand({ AccessKeyId: credentials.accessKeyId }),
    );
    expect(last.AccessKeyLastUsed?.ServiceName).toBe("s3");
    expect(last.AccessKeyLastUsed?.LastUsedDate).toEqual(new Date(Date.parse(T0) + 4 * 86_400_000));
    expect(s.users()[0]?.keys[0]?.lastUsed).toEqual({
      date: new Date(Date.parse(T0) + 4 * 86_400_000),
      region: "eu-west-1",
      service: "s3",
    });
  });

  it("acts on the signing user when UserName is omitted, and refuses that for admin credentials", async () => {
    const { s, iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "gina" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "gina" }))).AccessKey;
    const asGina = new IAMClient({
      ...s.clientConfig(),
      credentials: {
        accessKeyId: key?.AccessKeyId as string,
        secretAccessKey: key?.SecretAccessKey as string,
      },
    });
    expect((await asGina.send(new GetUserCommand({}))).User?.UserName).toBe("gina");
    const second = await asGina.send(new CreateAccessKeyCommand({}));
    expect(second.AccessKey?.UserName).toBe("gina");
    expect((await asGina.send(new ListAccessKeysCommand({}))).AccessKeyMetadata).toHaveLength(2);
    const admin = await caught(() => iam.send(new ListAccessKeysCommand({})));
    expect(admin.name).toBe("ValidationError");
    expect(admin.message).toBe("Must specify userName when calling with non-User credentials");
  });

  it("refuses requests signed with an inactive or deleted key (InvalidClientTokenId / InvalidAccessKeyId)", async () => {
    const { s, iam } = await sandboxWithClients();
    await iam.send(new CreateUserCommand({ UserName: "hank" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "hank" }))).AccessKey;
    const id = key?.AccessKeyId as string;
    const credentials = { accessKeyId: id, secretAccessKey: key?.SecretAccessKey as string };
    const asHank = new IAMClient({ ...s.clientConfig(), credentials, maxAttempts: 1 });
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: "hank", AccessKeyId: id, Status: "Inactive" }),
    );
    const inactive = await caught(() => asHank.send(new ListUsersCommand({})));
    expect(inactive.name).toBe("InvalidClientTokenId");
    expect(inactive.$metadata.httpStatusCode).toBe(403);
    expect(
      (await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id }))).AccessKeyLastUsed
        ?.ServiceName,
    ).toBe("N/A");
    await iam.send(new DeleteAccessKeyCommand({ UserName: "hank", AccessKeyId: id }));
    const s3AsHank = new S3Client({ ...s.clientConfig(), credentials, maxAttempts: 1 });
    const deleted = await caught(() =>
      s3AsHank.send(new ListObjectsV2Command({ Bucket: "any-bucket" })),
    );
    expect(deleted.name).toBe("InvalidAccessKeyId");
  });
});
