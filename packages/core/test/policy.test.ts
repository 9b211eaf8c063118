import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The repository keeps its own copy of the policy, so that a clone is self-contained; the team's
// shared contract lives beside the repository in ../shared when it is checked out there.
const inRepo = fileURLToPath(new URL("../../../docs/POLICY.md", import.meta.url));
const shared = fileURLToPath(new URL("../../../../shared/POLICY.md", import.meta.url));

describe("docs/POLICY.md", () => {
  it("is in the repository", () => {
    expect(readFileSync(inRepo, "utf8")).toContain("# The key rotation policy");
  });

  it.skipIf(!existsSync(shared))("is the shared POLICY.md, word for word", () => {
    // Prepare
    const copy = readFileSync(inRepo, "utf8");
    // Act
    const contract = readFileSync(shared, "utf8");
    // Assess
    expect(copy).toBe(contract);
  });
});
