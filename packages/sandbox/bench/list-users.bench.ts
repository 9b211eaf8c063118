/**
 * Measures the sandbox at 100,000 users: seeding, a full SDK-paginated ListUsers (MaxItems 1000),
 * and generating + downloading the credential report. Run with `pnpm --filter @keyrotate/sandbox bench`.
 * Prints figures only; nothing here asserts a timing.
 */
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  paginateListUsers,
} from "@aws-sdk/client-iam";
import { startSandbox } from "../src/index.js";

const USERS = Number(process.env.BENCH_USERS ?? 100_000);

function ms(since: number): string {
  return `${(performance.now() - since).toFixed(0)} ms`;
}

const sandbox = await startSandbox({
  now: "2026-11-23T10:00:00Z",
  randomSeed: 1,
  reportGenerationMs: 0,
});
try {
  const users = Array.from({ length: USERS }, (_, i) => ({
    name: `user-${(i * 7919) % USERS}`,
    tags: { team: `team-${i % 50}` },
    keys:
      i % 3 === 0
        ? [{ ageDays: (i % 400) + 10, lastUsedDaysAgo: i % 10 }, { ageDays: i % 10 }]
        : [{ ageDays: i % 400, lastUsedDaysAgo: i % 5 === 0 ? null : 1 }],
  }));
  let t = performance.now();
  sandbox.seed({ users });
  console.log(
    `seed ${USERS} users (${users.reduce((n, u) => n + u.keys.length, 0)} keys): ${ms(t)}`,
  );
  console.log(
    `heap used after seeding: ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MiB`,
  );

  const iam = new IAMClient(sandbox.clientConfig());
  t = performance.now();
  let pages = 0;
  let listed = 0;
  for await (const page of paginateListUsers({ client: iam, pageSize: 1000 }, {})) {
    pages++;
    listed += page.Users?.length ?? 0;
  }
  console.log(`paginated ListUsers: ${listed} users in ${pages} pages: ${ms(t)}`);
  if (listed !== USERS) throw new Error(`listed ${listed} users, expected ${USERS}`);

  t = performance.now();
  await iam.send(new GenerateCredentialReportCommand({}));
  console.log(`GenerateCredentialReport (renders the CSV snapshot): ${ms(t)}`);
  t = performance.now();
  const report = await iam.send(new GetCredentialReportCommand({}));
  const csv = Buffer.from(report.Content ?? new Uint8Array());
  console.log(
    `GetCredentialReport download: ${(csv.length / 1024 / 1024).toFixed(1)} MiB, ${csv.toString("utf8").split("\n").length - 1} rows: ${ms(t)}`,
  );
  t = performance.now();
  const rawResponse = await fetch(sandbox.url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=${sandbox.clientConfig().credentials.accessKeyId}/20261123/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: "Action=GetCredentialReport&Version=2010-05-08",
  });
  const xml = await rawResponse.text();
  console.log(
    `the same download over plain fetch (no SDK XML parsing): ${(xml.length / 1024 / 1024).toFixed(1)} MiB of XML: ${ms(t)}`,
  );
} finally {
  await sandbox.close();
}
