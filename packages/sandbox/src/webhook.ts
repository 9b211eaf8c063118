import { createServer, type IncomingMessage } from "node:http";

/** One POST the receiver got. */
export interface WebhookRequest {
  /** Arrival order, from 1. */
  seq: number;
  path: string;
  headers: Readonly<Record<string, string>>;
  /** The body as text. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** The status the receiver answered (or would have, for a request it hung on). */
  status: number;
}

/** How the receiver answers the next `count` requests. */
export interface WebhookBehaviour {
  count: number;
  /** Status to answer (default 200). */
  status?: number;
  /** Wait this long before answering, in ms (default 0). */
  delayMs?: number;
  /** Body to answer with (default `ok` for 2xx, else a short error text). */
  body?: string;
}

/** A running local webhook receiver. */
export interface WebhookReceiver {
  /** Where to POST: `http://127.0.0.1:<port>/hook`. */
  url: string;
  port: number;
  /** Every POST received, oldest first. */
  requests(): readonly WebhookRequest[];
  /** Queues an answer for the next `count` requests; queued behaviours apply in order. */
  respond(behaviour: WebhookBehaviour): void;
  /** Forgets received requests and queued behaviours. */
  reset(): void;
  /** Stops the server and closes open connections. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

function checkBehaviour(b: WebhookBehaviour): void {
  if (!Number.isInteger(b.count) || b.count < 1)
    throw new RangeError(`count must be an integer >= 1, got ${b.count}`);
  if (b.status !== undefined && !(Number.isInteger(b.status) && b.status >= 200 && b.status <= 599))
    throw new RangeError(`status must be an HTTP status 200-599, got ${b.status}`);
  if (b.delayMs !== undefined && !(Number.isFinite(b.delayMs) && b.delayMs >= 0))
    throw new RangeError(`delayMs must be a number >= 0, got ${b.delayMs}`);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Starts an HTTP server on 127.0.0.1 (a free port) that records every POST, as a chat webhook
 * (Slack-compatible or other) would receive it, and answers 200 unless told to fail or hang.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: WebhookRequest[] = [];
  let queue: WebhookBehaviour[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const next = (): { status: number; delayMs: number; body?: string } => {
    const head = queue[0];
    if (head === undefined) return { status: 200, delayMs: 0 };
    head.count--;
    if (head.count <= 0) queue.shift();
    return {
      status: head.status ?? 200,
      delayMs: head.delayMs ?? 0,
      ...(head.body !== undefined ? { body: head.body } : {}),
    };
  };
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        if (req.method !== "POST") {
          res.writeHead(405, { allow: "POST", "content-type": "text/plain" });
          res.end("only POST");
          return;
        }
        if (body === undefined) {
          res.writeHead(413, { "content-type": "text/plain" });
          res.end("payload too large");
          return;
        }
        const answer = next();
        const text = body.toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
        received.push({
          seq: received.length + 1,
          path: req.url ?? "/",
          headers,
          text,
          json,
          status: answer.status,
        });
        const reply = () => {
          if (res.destroyed) return;
          const ok = answer.status < 300;
          res.writeHead(answer.status, { "content-type": "text/plain" });
          res.end(answer.body ?? (ok ? "ok" : `error ${answer.status} (webhook receiver)`));
        };
        if (answer.delayMs > 0) {
          const t = setTimeout(() => {
            timers.delete(t);
            reply();
          }, answer.delayMs);
          timers.add(t);
        } else reply();
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests: () => received,
    respond: (behaviour) => {
      checkBehaviour(behaviour);
      queue.push({ ...behaviour });
    },
    reset: () => {
      received.length = 0;
      queue = [];
    },
    close: () => {
      closed ??= new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
