import { defineConfig } from "vitest/config";

// The workspace packages export their built `dist/` to the world and their TypeScript sources
// under the "@keyrotate/source" condition: tests run from the sources, with no build first.
const source = "@keyrotate/source";
// After ours, Vite's default server conditions without "module" (the SDK's "module" build is not
// Node ESM; Node itself never picks it).
const viteServerConditions = ["node", "development|production"];

export default defineConfig({
  ssr: { resolve: { conditions: [source, ...viteServerConditions] } },
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/*.chaos.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
