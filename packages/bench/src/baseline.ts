import {
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  paginateListUsers,
  type Tag,
} from "@aws-sdk/client-iam";

/** The tag keys the original function reads (its defaults, which keyrotate keeps). */
export interface OriginalTagKeys {
  readonly email: string;
  readonly lastCheckDate: string;
  readonly lastCheckOldKey: string;
}

/** The original function's default tag keys. */
export const originalTagKeys: OriginalTagKeys = {
  email: "email",
  lastCheckDate: "last-check-date",
  lastCheckOldKey: "last-check-old-key",
};

/** How far a baseline read got. */
export interface BaselineRead {
  /** Users whose reading was finished. */
  readonly usersRead: number;
  /** Whether the whole account was read (false: the time limit cut it off). */
  readonly complete: boolean;
  readonly elapsedMs: number;
}

const tagValue = (tags: ReadonlyArray<Tag> | undefined, key: string): string | undefined =>
  tags?.find((t) => t.Key === key)?.Value;

/**
 * Reads the account the way the original Python function does, one user after the other: per
 * user a `GetUser` for each tag it reads (the email tag twice, to test and then to read it; the
 * last-check-date tag; for tracked users the old-key tag) and a `ListAccessKeys`. Unlike the
 * original, which reads only the first page of `ListUsers`, it follows every page (100 users
 * each, the original's page size) so that it sees every user. It only reads: the original's
 * writes for due users would come on top.
 *
 * Stops between two users once `deadline()` says so.
 */
export const readLikeOriginal = async (
  iam: IAMClient,
  deadline: () => boolean,
  keys: OriginalTagKeys = originalTagKeys,
): Promise<BaselineRead> => {
  const start = performance.now();
  let usersRead = 0;
  const tag = async (userName: string, key: string): Promise<string | undefined> =>
    tagValue((await iam.send(new GetUserCommand({ UserName: userName }))).User?.Tags, key);
  for await (const page of paginateListUsers({ client: iam, pageSize: 100 }, {})) {
    for (const user of page.Users ?? []) {
      if (deadline()) return { usersRead, complete: false, elapsedMs: performance.now() - start };
      const userName = user.UserName ?? "";
      if ((await tag(userName, keys.email)) !== undefined) {
        await tag(userName, keys.email);
        const lastCheck = await tag(userName, keys.lastCheckDate);
        if (lastCheck !== undefined) await tag(userName, keys.lastCheckOldKey);
        await iam.send(new ListAccessKeysCommand({ UserName: userName }));
      }
      usersRead += 1;
    }
  }
  return { usersRead, complete: true, elapsedMs: performance.now() - start };
};
