import { afterEach, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../src/index.js";
import { thrown } from "./support.js";

const open: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

const receiver = async () => {
  const r = await startWebhookReceiver();
  open.push(r);
  return r;
};

const post = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hook-test": "1" },
    body: JSON.stringify(body),
    ...(signal !== undefined ? { signal } : {}),
  });

describe("the local webhook receiver", () => {
  it("listens on 127.0.0.1, answers 200 and records headers and JSON body of every POST", async () => {
    const r = await receiver();
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hook$/);
    const res = await post(r.url, { text: "keyrotate: 3 keys rotated" });
    expect(res.status).toBe(200);
    await post(`${r.url}/second`, { text: "two" });
    const got = r.requests();
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({
      seq: 1,
      path: "/hook",
      json: { text: "keyrotate: 3 keys rotated" },
      status: 200,
    });
    expect(got[0]?.headers["content-type"]).toBe("application/json");
    expect(got[0]?.headers["x-hook-test"]).toBe("1");
    expect(got[1]?.path).toBe("/hook/second");
  });

  it("answers the status it is told for the next K requests, then 200 again", async () => {
    const r = await receiver();
    r.respond({ count: 2, status: 500 });
    r.respond({ count: 1, status: 429 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(r.url, { i })).status);
    expect(statuses).toEqual([500, 500, 429, 200]);
    expect(r.requests().map((q) => q.status)).toEqual([500, 500, 429, 200]);
  });

  it("hangs for the delay it is told, so a caller's timeout can fire", async () => {
    const r = await receiver();
    r.respond({ count: 1, delayMs: 5_000 });
    const err = await post(r.url, { slow: true }, AbortSignal.timeout(50)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe("TimeoutError");
    expect(r.requests()).toHaveLength(1);
    expect((await post(r.url, { fast: true })).status).toBe(200);
  });

  it("records a body that is not JSON as text, and forgets everything on reset", async () => {
    const r = await receiver();
    await fetch(r.url, { method: "POST", body: "payload=plain" });
    expect(r.requests()[0]).toMatchObject({ text: "payload=plain", json: undefined });
    r.respond({ count: 1, status: 503 });
    r.reset();
    expect(r.requests()).toEqual([]);
    expect((await post(r.url, {})).status).toBe(200);
  });

  it("refuses a behaviour it cannot follow with an error naming the field", async () => {
    const hook = await receiver();
    expect(String(thrown(() => hook.respond({ count: 0 })))).toContain("count");
    expect(String(thrown(() => hook.respond({ count: 1, status: 99 })))).toContain("status");
    expect(String(thrown(() => hook.respond({ count: 1, delayMs: -1 })))).toContain("delayMs");
  });
});
