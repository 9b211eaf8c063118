import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../scenarios/example.json", import.meta.url));
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function cli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  return child;
}

async function finish(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = cli(args);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, stdout, stderr };
}

describe("the sandbox CLI", () => {
  it("prints usage with --help", async () => {
    const { code, stdout } = await finish(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: pnpm sandbox [options]");
    expect(stdout).toContain("--seed FILE");
  });

  it("exits 2 with a clear message on bad arguments", async () => {
    const badPort = await finish(["--port", "http"]);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain(
      'sandbox: --port must be an integer from 0 to 65535, got "http"',
    );
    const unknown = await finish(["--verbose"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--verbose");
    const badNow = await finish(["--now", "tomorrow"]);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toContain("--now must be an ISO 8601 date-time");
    const missing = await finish(["--seed", "/nonexistent/scenario.json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--seed: cannot read /nonexistent/scenario.json");
    const dir = mkdtempSync(join(tmpdir(), "sandbox-cli-"));
    const invalid = join(dir, "bad.json");
    writeFileSync(invalid, JSON.stringify({ users: [{ name: "x", keys: [{ ageDays: "old" }] }] }));
    const badSeed = await finish(["--seed", invalid]);
    expect(badSeed.code).toBe(2);
    expect(badSeed.stderr).toContain("$.users[0].keys[0].ageDays: must be a number >= 0");
  });

  it("starts with a seed and a frozen clock, prints its URL and env, and stops cleanly on SIGTERM", async () => {
    const child = cli(["--port", "0", "--now", "2026-01-01T00:00:00Z", "--seed", EXAMPLE]);
    let stdout = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m && stdout.includes("Ctrl+C")) resolve(m[1] as string);
      });
      child.on("exit", (code) => reject(new Error(`exited early with ${code}: ${stdout}`)));
    });
    expect(stdout).toContain(`export AWS_ENDPOINT_URL=${url}`);
    expect(stdout).toContain("export AWS_ACCESS_KEY_ID=AKIASANDBOXADMIN0001");
    const clock = (await (await fetch(`${url}/_sandbox/clock`)).json()) as { now: string };
    expect(clock.now).toBe("2026-11-23T09:00:00.000Z"); // the scenario's now wins over --now
    const iam = (await (await fetch(`${url}/_sandbox/iam`)).json()) as { users: unknown[] };
    expect(iam.users).toHaveLength(4);
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stdout).toContain("SIGTERM received, stopping");
  });
});
