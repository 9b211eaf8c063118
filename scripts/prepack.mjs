// Runs before a workspace package is packed. Only `pnpm pack` / `pnpm publish` may pack: they
// rewrite the `workspace:*` dependency ranges into versions, while `npm pack` would publish them
// as they are and the tarball would not install. The package must also be built: its exports
// point at `dist/`.
import { existsSync, readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const agent = process.env.npm_config_user_agent ?? "";
if (!agent.startsWith("pnpm/")) {
  console.error(
    `${pkg.name}: pack it with "pnpm pack" (or publish with "pnpm publish"), not ${agent.split(" ")[0] || "this tool"}: only pnpm rewrites the workspace:* dependencies into versions.`,
  );
  process.exit(1);
}
const entries = Object.values(pkg.exports ?? {}).flatMap((e) =>
  typeof e === "string" ? [e] : [e.default, e.types].filter((p) => typeof p === "string"),
);
const missing = entries.filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.error(
    `${pkg.name}: not built (${missing.join(", ")} missing): run "pnpm -r build" at the repository root first.`,
  );
  process.exit(1);
}
