import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDemo, missingSandboxMessage } from "../src/demo/demoCommand.js";

/** The error Node itself throws when `@keyrotate/sandbox` is not installed, rebuilt here. */
const nodeMissingSandboxError = (): Error => {
  const dir = mkdtempSync(join(tmpdir(), "keyrotate-nosandbox-"));
  const out = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'import("@keyrotate/sandbox").then(() => console.log("{}"), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))',
    ],
    { cwd: dir, encoding: "utf8" },
  );
  const { code, message } = JSON.parse(out) as { code: string; message: string };
  return Object.assign(new Error(message), { code });
};

describe("the demo without @keyrotate/sandbox", () => {
  it("says what to install when Node cannot find the sandbox", async () => {
    // Prepare
    const error = nodeMissingSandboxError();

    // Act
    const loaded = await loadDemo(() => Promise.reject(error));

    // Assess
    expect(loaded).toContain("npm install @keyrotate/sandbox");
    expect(loaded).toContain("The other commands do not need it");
  });

  it("lets any other failure through as the bug it is", async () => {
    const other = Object.assign(new Error("Cannot find package 'left-pad'"), {
      code: "ERR_MODULE_NOT_FOUND",
    });

    await expect(loadDemo(() => Promise.reject(other))).rejects.toBe(other);
    expect(missingSandboxMessage(new TypeError("x is not a function"))).toBeUndefined();
  });

  it("loads the demo when the sandbox is there (the workspace)", async () => {
    const loaded = await loadDemo();

    expect(typeof loaded === "string" ? loaded : typeof loaded.runDemo).toBe("function");
  });
});
