// Starts keyrotate's sandbox from the installed @keyrotate/sandbox package, seeded with a
// sender, a bucket and a few users, and writes the environment that points an SDK at it (one JSON
// line) to the file given as argument. Runs until it receives SIGTERM.
import { writeFileSync } from "node:fs";
import { startSandbox } from "@keyrotate/sandbox";

const sandbox = await startSandbox({
  randomSeed: 7,
  reportGenerationMs: 1,
  seed: {
    verifiedEmails: ["keyrotate@example.com"],
    buckets: ["creds-bucket"],
    users: [
      {
        name: "alice",
        tags: { email: "alice@example.com" },
        keys: [{ ageDays: 95, lastUsedDaysAgo: 1 }],
      },
      { name: "bob", tags: { email: "bob@example.com" }, keys: [{ ageDays: 40 }] },
      { name: "carol", keys: [{ ageDays: 3 }] },
    ],
  },
});
writeFileSync(process.argv[2], `${JSON.stringify(sandbox.env())}\n`);
process.on("SIGTERM", () => void sandbox.close().then(() => process.exit(0)));
