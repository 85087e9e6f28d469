import { request } from "node:http";
import { connect as netConnect } from "node:net";
import { PersistenceError } from "@mq/core";
import { withFailingAppends } from "@mq/core/testing";
import { createMemoryPersistence, createQueueHost } from "@mq/host";
import { Packr } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createServer, ROUTES } from "../src/index";
import { call, sleep, startServer } from "./support";

// The rows of reliability-anchors §7 that the other files do not already name,
// each over real sockets on 127.0.0.1 (see the README's security table).
const tokens = { a: { produce: ["q-a"], consume: ["q-a"] }, b: { produce: ["q-b"], consume: ["q-b"] }, admin: { admin: true } };
const as = (token: string) => ({ authorization: `Bearer ${token}` });
let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  s = await startServer({ tokens, maxBodyBytes: 64 * 1024, rateLimitPerSecond: 0 });
});
afterAll(async () => {
  await s.stop();
});
const send = (queue: string, body: unknown, token = "admin", headers: Record<string, string> = {}) => call(s.url, "POST", `/v1/queues/${queue}/messages`, body, { ...as(token), ...headers });
const sendMsgpack = (queue: string, bytes: Uint8Array) => fetch(`${s.url}/v1/queues/${queue}/messages`, { method: "POST", headers: { "content-type": "application/msgpack", ...as("admin") }, body: bytes });

describe("input validation (V2, V3, V5, V7, V9, V14)", () => {
  it("V2: NaN, Infinity and 64-bit integers as priority (msgpack can carry them) are 422 with the field path", async () => {
    const packr = new Packr({ useRecords: false });
    for (const priority of [Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 53 + 2]) {
      const r = await sendMsgpack("v-fields", packr.pack({ payload: 1, priority }));
      expect(r.status, String(priority)).toBe(422);
      expect(((await r.json()) as { error: { message: string } }).error.message).toContain("priority");
    }
    // A BigInt (msgpack uint64) is no JavaScript number: refused too, never a 500.
    const big = new Packr({ useRecords: false, useBigIntExtension: false }).pack({ payload: 1, priority: 2n ** 63n });
    expect([400, 422]).toContain((await sendMsgpack("v-fields", big)).status);
    expect((await call(s.url, "GET", "/v1/queues/v-fields/stats", undefined, as("admin"))).body.ready).toBe(0);
  });

  it("V3: non-integer and over-cap durations are 422", async () => {
    for (const body of [{ payload: 1, delayMs: 1.5 }, { payload: 1, ttlMs: 0 }, { payload: 1, ttlMs: -1 }]) expect((await send("v-fields", body)).status, JSON.stringify(body)).toBe(422);
    expect((await call(s.url, "POST", "/v1/queues/v-fields/receive", { waitMs: 1.5 }, as("admin"))).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/extend", { receipt: "x", visibilityTimeoutMs: 43_200_001 }, as("admin"))).status).toBe(422);
  });

  it("V5: a header value over 1 KiB or with NUL is 422", async () => {
    expect((await send("v-fields", { payload: 1, headers: { a: "x".repeat(1025) } })).status).toBe(422);
    expect((await send("v-fields", { payload: 1, headers: { a: "x\u0000y" } })).status).toBe(422);
    expect((await send("v-fields", { payload: 1, headers: { a: "x".repeat(1024) } })).status).toBe(201);
  });

  it("V7: a dedup key with non-printable characters is 422", async () => {
    for (const key of ["tab\there", "bell\u0007", "é-accent", ""]) expect((await send("v-fields", { payload: 1, key })).status, JSON.stringify(key)).toBe(422);
  });

  it("V9: a body without Content-Type, or with a non-UTF-8 charset, is refused (415/400)", async () => {
    const bare = await fetch(`${s.url}/v1/queues/v-fields/messages`, { method: "POST", headers: as("admin"), body: new Uint8Array(Buffer.from('{"payload":1}')) });
    expect(bare.status).toBe(415);
    const latin1 = await fetch(`${s.url}/v1/queues/v-fields/messages`, { method: "POST", headers: { ...as("admin"), "content-type": "application/json; charset=iso-8859-1" }, body: Buffer.from([0x7b, 0x22, 0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]) });
    expect([400, 415]).toContain(latin1.status);
  });

  it("V14: with duplicate keys the last one wins and is validated", async () => {
    expect((await send("v-dup", '{"payload":1,"priority":1,"priority":10}')).status).toBe(422);
    expect((await send("v-dup", '{"payload":1,"priority":10,"priority":3}')).status).toBe(201);
    const [d] = (await call(s.url, "POST", "/v1/queues/v-dup/receive", { max: 1 }, as("admin"))).body.messages;
    expect(d.message.priority).toBe(3);
  });
});

describe("authorization of receipts and browsers (AZ4, AZ9, AZ10)", () => {
  it("AZ4: a receipt of a queue the token may not consume is 403; an edited queue in the receipt is 409", async () => {
    await send("q-b", { payload: 1 }, "b");
    const [d] = (await call(s.url, "POST", "/v1/queues/q-b/receive", { max: 1 }, as("b"))).body.messages;
    for (const [path, body] of [["/v1/ack", { receipts: [d.receipt] }], ["/v1/nack", { receipt: d.receipt }], ["/v1/extend", { receipt: d.receipt, visibilityTimeoutMs: 1_000 }]] as const) {
      const r = await call(s.url, "POST", path, body, as("a"));
      expect(r.status, path).toBe(403);
      expect(r.body.error.reason).toBe("forbidden");
    }
    // Moving the receipt to a queue token a may consume breaks its MAC: the lease is unknown, nothing changes.
    const b64 = (q: string) => Buffer.from(q).toString("base64url");
    const moved = (d.receipt as string).replace(`.${b64("q-b")}.`, `.${b64("q-a")}.`);
    expect(moved).not.toBe(d.receipt);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [moved] }, as("a"))).status).toBe(409);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [d.receipt] }, as("b"))).status).toBe(204);
  });

  it("AZ9/AZ10: no CORS headers (preflight included), nosniff and no-store on every answer", async () => {
    const origin = { origin: "https://evil.example" };
    const ok = await call(s.url, "GET", "/v1/queues/q-a/stats", undefined, { ...as("a"), ...origin });
    const denied = await call(s.url, "GET", "/v1/queues/q-a/stats", undefined, origin);
    const preflight = await call(s.url, "OPTIONS", "/v1/queues/q-a/messages", undefined, { ...origin, "access-control-request-method": "POST" });
    for (const r of [ok, denied, preflight]) {
      expect(r.headers.get("access-control-allow-origin")).toBeNull();
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect([ok.status, denied.status]).toEqual([200, 401]);
    // A preflight carries no token: refused like any other unauthenticated call, never allowed.
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    expect(ok.headers.get("cache-control")).toBe("no-store");
  });
});

describe("resource limits (DS1, DS4, DS7, DS8)", () => {
  it("DS1: a chunked body over maxBodyBytes is 413 and the connection is closed", async () => {
    const { status, closed } = await new Promise<{ status: number; closed: boolean }>((resolve, reject) => {
      const req = request(`${s.url}/v1/queues/ds1/messages`, { method: "POST", headers: { ...as("admin"), "content-type": "application/json", "transfer-encoding": "chunked" } });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, closed: res.headers.connection === "close" }));
      });
      req.on("error", reject);
      req.write('{"payload":"');
      const chunk = "x".repeat(8 * 1024);
      // Keep writing until the server answers; it must not wait for the end of the body.
      let sent = 0;
      const pump = (): void => {
        if (req.destroyed || sent > 40) return;
        sent++;
        req.write(chunk, () => setImmediate(pump));
      };
      pump();
    });
    expect(status).toBe(413);
    expect(closed).toBe(true);
    expect((await call(s.url, "GET", "/v1/queues/ds1/stats", undefined, as("admin"))).body.ready).toBe(0);
  });

  it("DS4: 32 KiB of request headers is 431, and the server keeps serving", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(s.server.address!.port, "127.0.0.1");
      let text = "";
      socket.on("data", (d) => (text += d.toString()));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 512 }, (_, i) => `x-h${i}: ${"v".repeat(60)}\r\n`).join("")}\r\n`);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    expect((await call(s.url, "GET", "/healthz")).status).toBe(200);
  });

  it("DS7: /healthz and /readyz answer while a token is rate-limited", async () => {
    const limited = await startServer({ tokens, rateLimitPerSecond: 1, rateLimitBurst: 1 });
    try {
      await call(limited.url, "GET", "/v1/queues/q-a/stats", undefined, as("a"));
      expect((await call(limited.url, "GET", "/v1/queues/q-a/stats", undefined, as("a"))).status).toBe(429);
      expect((await call(limited.url, "GET", "/healthz")).status).toBe(200);
      expect((await call(limited.url, "GET", "/readyz")).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it("DS8: a full queue is 429 MQ_QUEUE_FULL with Retry-After; nothing of the batch is kept", async () => {
    expect((await call(s.url, "PUT", "/v1/queues/ds8/settings", { capacity: 2 }, as("admin"))).status).toBe(204);
    expect((await send("ds8", { payload: 1 })).status).toBe(201);
    const r = await send("ds8", { messages: [{ payload: 2 }, { payload: 3 }] });
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe("MQ_QUEUE_FULL");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await call(s.url, "GET", "/v1/queues/ds8/stats", undefined, as("admin"))).body.ready).toBe(1);
  });
});

describe("DS9: a fail-stopped journal", () => {
  it("answers writes 503 MQ_PERSISTENCE, never 200, and /readyz goes 503 while /healthz stays up", async () => {
    // The fault is injected under the real memory journal: appends start failing as a disk would.
    const { persistence, failAppends } = withFailingAppends(createMemoryPersistence());
    const host = createQueueHost({ persistence });
    await host.start();
    const server = createServer(host, { port: 0 });
    const { url } = await server.listen();
    try {
      expect((await call(url, "GET", "/readyz")).body).toEqual({ ok: true, status: "open" });
      expect((await call(url, "POST", "/v1/queues/ds9/messages", { payload: 1 })).status).toBe(201);
      failAppends(new PersistenceError("write failed (injected)", "EIO"), { emitError: true });
      const r = await call(url, "POST", "/v1/queues/ds9/messages", { payload: 2 });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe("MQ_PERSISTENCE");
      expect(JSON.stringify(r.body)).not.toMatch(/injected|\/tmp|\/work/);
      const again = await call(url, "POST", "/v1/queues/ds9/messages", { payload: 3 });
      expect(again.status).toBe(503);
      const ready = await call(url, "GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ ok: false, status: "failed" });
      expect((await call(url, "GET", "/healthz")).status).toBe(200);
    } finally {
      await server.close();
      await host.stop().catch(() => undefined);
    }
  });
});

describe("WebSocket limits (DS11, DS13)", () => {
  const wsUrl = () => s.url.replace("http", "ws") + "/v1/ws";

  it("DS11: compression is never negotiated, and thousands of 1-byte fragments are taken or refused without harm", async () => {
    const ws = new WebSocket(wsUrl(), "mq.v1", { headers: as("admin"), perMessageDeflate: true });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    expect(ws.extensions).toBe("");
    const frames: { op: string; ref?: number }[] = [];
    ws.on("message", (d: Buffer) => frames.push(JSON.parse(d.toString("utf8")) as { op: string }));
    const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
    // 4,000 one-byte fragments (a JSON frame padded with spaces), then the final one.
    const text = `{"op":"subscribe","queue":"ds11","credit":1,"ref":7}${" ".repeat(4_000)}`;
    for (let i = 0; i < text.length - 1; i++) ws.send(text[i]!, { fin: false });
    ws.send(text.at(-1)!, { fin: true });
    await send("ds11", { payload: "after fragments" });
    const end = Date.now() + 10_000;
    while (!frames.some((f) => f.op === "message") && ws.readyState === WebSocket.OPEN && Date.now() < end) await sleep(50);
    // Either outcome keeps the server healthy: delivered through the reassembled frame, or the socket refused.
    if (ws.readyState === WebSocket.OPEN) expect(frames.some((f) => f.op === "message")).toBe(true);
    else expect([1008, 1009]).toContain(await closed);
    ws.close();
    expect((await call(s.url, "GET", "/healthz")).status).toBe(200);
  });

  it("DS13: a reader that stops reading gets nothing more once its buffer is full; the rest stays ready", async () => {
    const big = await startServer({ maxCredit: 1_000, maxBodyBytes: 1_048_576, maxMessageBytes: 262_144 });
    try {
      // 60 × 200 KiB = 12 MiB, far more than the socket buffers plus the server's 1 MiB threshold.
      const payload = "x".repeat(200 * 1024);
      for (let i = 0; i < 60; i += 4) expect((await call(big.url, "POST", "/v1/queues/ds13/messages", { messages: Array.from({ length: 4 }, () => ({ payload })) })).status).toBe(201);
      const ws = new WebSocket(big.url.replace("http", "ws") + "/v1/ws", "mq.v1");
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      // Stop reading from the socket: the kernel buffers fill, then the server's bufferedAmount grows.
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      ws.send(JSON.stringify({ op: "subscribe", queue: "ds13", credit: 60, visibilityTimeoutMs: 60_000 }));
      let inFlight = -1;
      for (let i = 0; i < 30; i++) {
        await sleep(100);
        const now = (await call(big.url, "GET", "/v1/queues/ds13/stats")).body.inFlight as number;
        if (now === inFlight && now > 0) break;
        inFlight = now;
      }
      const stats = (await call(big.url, "GET", "/v1/queues/ds13/stats")).body;
      expect(stats.inFlight).toBeGreaterThan(0);
      expect(stats.inFlight).toBeLessThan(60);
      expect(stats.ready).toBe(60 - stats.inFlight);
      ws.terminate();
    } finally {
      await big.stop();
    }
  });
});

it("PP3: no route takes a filesystem path (export, backup or file parameters do not exist)", () => {
  for (const path of Object.keys(ROUTES)) expect(path).not.toMatch(/file|path|export|backup|dir/i);
});
