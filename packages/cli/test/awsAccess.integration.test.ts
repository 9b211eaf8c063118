import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScenarioUser } from "@keyrotate/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { buildClients, readAwsConfig } from "../src/awsAccess.js";
import {
  alice,
  BUCKET,
  cli,
  deliverySets,
  failingEndpointForFile,
  sandboxPerTest,
} from "./harness.js";

const users: ScenarioUser[] = [alice(95)];

/** Sets `vars` in `process.env`, where the SDK reads them, and returns how to put them back. */
const setProcessEnv = (vars: Record<string, string>): (() => void) => {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    delete process.env.AWS_PROFILE; // buildClients selects --profile through it
  };
};

/** An AWS config file in a fresh folder, and an empty credentials file beside it. */
const awsFiles = (
  config: string,
): { AWS_CONFIG_FILE: string; AWS_SHARED_CREDENTIALS_FILE: string } => {
  const dir = mkdtempSync(join(tmpdir(), "keyrotate-aws-"));
  writeFileSync(join(dir, "config"), config);
  writeFileSync(join(dir, "credentials"), "");
  return {
    AWS_CONFIG_FILE: join(dir, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
  };
};

const failing = failingEndpointForFile();

describe("how the CLI reaches AWS", () => {
  const sandboxForTest = sandboxPerTest();
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it("lets AWS_ENDPOINT_URL_IAM, _S3 and _SES win over AWS_ENDPOINT_URL, as the SDK does", async () => {
    // Prepare: the general endpoint refuses everything; the per-service ones are the sandbox.
    const sandbox = await sandboxForTest(users);
    const env = {
      AWS_ENDPOINT_URL: failing.url,
      AWS_ENDPOINT_URL_IAM: sandbox.url,
      AWS_ENDPOINT_URL_S3: sandbox.url,
      AWS_ENDPOINT_URL_SES: sandbox.url,
    };
    restore = setProcessEnv(env);
    failing.reset();

    // Act
    const { code, stderr } = await cli(["run", "--yes", ...deliverySets], {
      sandbox,
      env,
      endpointUrlOption: false,
    });

    // Assess: a rotation's calls went to IAM, S3 (path-style) and SES of the sandbox alone.
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(failing.received()).toBe(0);
    expect(sandbox.objects(BUCKET)).toHaveLength(1);
    expect(sandbox.emails().map((e) => e.destinations.to[0])).toEqual(["alice@example.com"]);
  });

  it("reaches IAM, S3 and SES through a profile's endpoint_url", async () => {
    // Prepare: a profile that points at the sandbox; no endpoint in the environment.
    const sandbox = await sandboxForTest(users);
    const admin = sandbox.env();
    const files = awsFiles(
      `[profile sandbox]\nregion = us-east-1\nendpoint_url = ${sandbox.url}\naws_access_key_id = ${admin.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${admin.AWS_SECRET_ACCESS_KEY}\n`,
    );
    restore = setProcessEnv(files);

    // Act
    const { code, stderr } = await cli(["run", "--yes", "--profile", "sandbox", ...deliverySets], {
      sandbox,
      env: files,
      endpointUrlOption: false,
    });

    // Assess: the secret reached the bucket.
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(sandbox.objects(BUCKET)).toHaveLength(1);
  });

  it.each([
    ["its own endpoint_url", "[profile p]\nendpoint_url = http://s3.internal.example:9000\n"],
    [
      "its services section's s3 endpoint_url",
      "[profile p]\nservices = local\n[services local]\ns3 =\n  endpoint_url = http://s3.internal.example:9000\n",
    ],
  ])("switches S3 to path-style for a profile with %s", async (_, config) => {
    // Prepare: a host name, where S3 would otherwise address the bucket as a subdomain.
    const files = awsFiles(config);
    const settings = { sesRegion: "us-east-1" } as Parameters<typeof buildClients>[1];

    // Act
    const read = await readAwsConfig({ profile: "p" }, files);
    const pathStyle = buildClients({}, settings, files, [], read.config).s3.config.forcePathStyle;
    const plain = await readAwsConfig(
      { profile: "p" },
      awsFiles("[profile p]\nregion = us-east-1\n"),
    );
    const virtual = buildClients({}, settings, files, [], plain.config).s3.config.forcePathStyle;

    // Assess
    expect(read.problems).toEqual([]);
    expect(read.config.profileS3Endpoint).toBe(true);
    expect(pathStyle).toBe(true);
    expect(plain.config.profileS3Endpoint).toBe(false);
    expect(virtual).toBe(false);
  });

  it("names a --profile that no AWS file defines, before any call", async () => {
    const files = awsFiles("[profile other]\nregion = us-east-1\n");
    restore = setProcessEnv(files);
    failing.reset();

    const { code, stderr } = await cli(
      ["plan", "--profile", "nosuch", "--endpoint-url", failing.url, ...deliverySets],
      { env: files },
    );

    expect(code).toBe(2);
    expect(stderr).toContain(`--profile "nosuch": no such profile`);
    expect(stderr).toContain(files.AWS_CONFIG_FILE);
    expect(failing.received()).toBe(0);
  });

  it.each([
    ["2", 2],
    ["3", 3],
  ])("makes AWS_MAX_ATTEMPTS=%s attempts per call", async (value, attempts) => {
    failing.reset();

    const { code } = await cli(["plan", "--json", "--endpoint-url", failing.url, ...deliverySets], {
      env: { AWS_MAX_ATTEMPTS: value, AWS_RETRY_MODE: "standard" },
    });

    expect(code).toBe(1);
    expect(failing.received()).toBe(attempts);
  });

  it("rejects a bad AWS_MAX_ATTEMPTS or AWS_RETRY_MODE, naming them, before any call", async () => {
    failing.reset();

    const { code, stderr } = await cli(["plan", "--endpoint-url", failing.url, ...deliverySets], {
      env: { AWS_MAX_ATTEMPTS: "many", AWS_RETRY_MODE: "legacy" },
    });

    expect(code).toBe(2);
    expect(stderr).toContain(`AWS_MAX_ATTEMPTS "many": expected a whole number`);
    expect(stderr).toContain(`AWS_RETRY_MODE "legacy": expected standard or adaptive`);
    expect(failing.received()).toBe(0);
  });

  it("takes max_attempts from the profile when the environment does not set it", async () => {
    const files = awsFiles(
      "[profile slow]\nregion = us-east-1\nmax_attempts = 2\nretry_mode = standard\naws_access_key_id = AKIATESTNOTUSED00000\naws_secret_access_key = not-used\n",
    );
    restore = setProcessEnv(files);
    failing.reset();

    const { code } = await cli(
      ["plan", "--json", "--profile", "slow", "--endpoint-url", failing.url, ...deliverySets],
      { env: files },
    );

    expect(code).toBe(1);
    expect(failing.received()).toBe(2);
  });
});
