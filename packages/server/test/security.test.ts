import { createMemoryPersistence, createQueueHost } from "@mq/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../src/index";
import { call, startServer } from "./support";

// Rows of reliability-anchors §7 (security checklist), each over real sockets.
const tokens = {
  producer: { produce: ["orders"] },
  consumer: { consume: ["orders"] },
  both: { produce: ["orders", "events-*"], consume: ["*"] },
  admin: { admin: true },
};
let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  s = await startServer({ tokens, rateLimitPerSecond: 1_000, rateLimitBurst: 1_000, maxLongPollsPerToken: 2 });
});
afterAll(async () => {
  await s.stop();
});
const as = (token: string | undefined) => (token === undefined ? {} : { authorization: `Bearer ${token}` });

describe("authentication (A1-A6)", () => {
  it("A1: no Authorization is 401 with WWW-Authenticate, whether the queue exists or not", async () => {
    for (const q of ["orders", "never-existed"]) {
      const r = await call(s.url, "POST", `/v1/queues/${q}/messages`, { payload: 1 });
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toBe('Bearer realm="mq"');
      expect(r.body.error).toMatchObject({ code: "MQ_ACCESS_DENIED", reason: "unauthenticated" });
    }
  });

  it("A2/A3: wrong scheme, empty, malformed and unknown tokens are 401; the scheme is case-insensitive", async () => {
    for (const h of ["Basic cHJvZHVjZXI=", "Bearer ", "Bearer a b", "Bearer wrong"]) expect((await call(s.url, "GET", "/v1/queues/orders/stats", undefined, { authorization: h })).status).toBe(401);
    expect((await call(s.url, "GET", "/v1/queues/orders/stats", undefined, { authorization: "bEaReR producer" })).status).toBe(200);
  });

  it("A5: a token in the query string is refused", async () => {
    expect((await call(s.url, "GET", "/v1/queues/orders/stats?token=producer")).status).toBe(400);
  });

  it("A6: refuses to listen on a non-loopback address without tokens", async () => {
    const host = createQueueHost({ persistence: createMemoryPersistence() });
    expect(() => createServer(host, { host: "0.0.0.0" })).toThrow(/without any token/);
    expect(() => createServer(host, { host: "0.0.0.0", tokens })).not.toThrow();
  });

  it("A3: failed logins are rate-limited per client address", async () => {
    const host = createQueueHost({ persistence: createMemoryPersistence() });
    await host.start();
    const server = createServer(host, { port: 0, tokens });
    const { url } = await server.listen();
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await call(url, "GET", "/v1/stats", undefined, { authorization: "Bearer guess" + i })).status);
    expect(statuses.slice(0, 10).every((x) => x === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    await server.close();
    await host.stop();
  });
});

describe("authorization (AZ1-AZ3, AZ7)", () => {
  it("AZ1: a produce-only token cannot receive, ack, nack, extend or release", async () => {
    expect((await call(s.url, "POST", "/v1/queues/orders/messages", { payload: 1 }, as("producer"))).status).toBe(201);
    expect((await call(s.url, "POST", "/v1/queues/orders/receive", { max: 1 }, as("producer"))).status).toBe(403);
    const [m] = (await call(s.url, "POST", "/v1/queues/orders/receive", { max: 1 }, as("consumer"))).body.messages;
    for (const [path, body] of [["/v1/ack", { receipts: [m.receipt] }], ["/v1/nack", { receipt: m.receipt }], ["/v1/extend", { receipt: m.receipt, visibilityTimeoutMs: 1_000 }], ["/v1/release", { receipts: [m.receipt] }]] as const) {
      const r = await call(s.url, "POST", path, body, as("producer"));
      expect(r.status).toBe(403);
      expect(r.body.error).toMatchObject({ code: "MQ_ACCESS_DENIED", reason: "forbidden" });
    }
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [m.receipt] }, as("consumer"))).status).toBe(204);
  });

  it("AZ2: a token scoped to one queue gets the same 403 on another, existing or not", async () => {
    await call(s.url, "POST", "/v1/queues/payments/messages", { payload: 1 }, as("admin"));
    const a = await call(s.url, "POST", "/v1/queues/payments/messages", { payload: 1 }, as("producer"));
    const b = await call(s.url, "POST", "/v1/queues/nonexistent/messages", { payload: 1 }, as("producer"));
    expect([a.status, b.status]).toEqual([403, 403]);
    expect(a.body.error.message.replace("payments", "Q")).toBe(b.body.error.message.replace("nonexistent", "Q"));
  });

  it("AZ3: consume tokens cannot purge, replay or purge dead letters, read all stats or bind topics", async () => {
    for (const [method, path, body] of [
      ["POST", "/v1/queues/orders/purge?confirm=true", undefined],
      ["POST", "/v1/dead-letters/replay", { queue: "orders" }],
      ["POST", "/v1/dead-letters/purge?confirm=true", { queue: "orders" }],
      ["GET", "/v1/stats", undefined],
      ["PUT", "/v1/topics/t/bindings/orders", undefined],
      ["PUT", "/v1/queues/orders/settings", { maxAttempts: 2 }],
    ] as const)
      expect((await call(s.url, method, path, body, as("both"))).status, path).toBe(403);
    expect((await call(s.url, "GET", "/v1/stats", undefined, as("admin"))).status).toBe(200);
  });

  it("AZ7: a mixed batch with one item the token may not produce to is refused whole", async () => {
    const before = (await call(s.url, "GET", "/v1/queues/orders/stats", undefined, as("admin"))).body.ready;
    const r = await call(s.url, "POST", "/v1/messages", { items: [{ queue: "orders", payload: 1 }, { queue: "payments", payload: 2 }] }, as("producer"));
    expect(r.status).toBe(403);
    expect((await call(s.url, "GET", "/v1/queues/orders/stats", undefined, as("admin"))).body.ready).toBe(before);
  });

  it("prefix patterns grant what they name", async () => {
    expect((await call(s.url, "POST", "/v1/queues/events-eu/messages", { payload: 1 }, as("both"))).status).toBe(201);
    expect((await call(s.url, "POST", "/v1/queues/eventsx/messages", { payload: 1 }, as("both"))).status).toBe(403);
  });
});

describe("input hygiene and limits (V13, DS6, DS7, PP4)", () => {
  it("V13: __proto__ in payload, headers or top level never pollutes the server", async () => {
    for (const body of ['{"payload":{"__proto__":{"polluted":1}}}', '{"payload":1,"headers":{"__proto__":"x"}}', '{"__proto__":{"polluted":1},"payload":1}']) {
      const r = await call(s.url, "POST", "/v1/queues/orders/messages", body, as("producer"));
      expect([400, 422]).toContain(r.status);
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("DS6: concurrent long polls past the per-token cap get 429 with Retry-After", async () => {
    const polls = [0, 1].map(() => call(s.url, "POST", "/v1/queues/empty-q/receive", { waitMs: 1_500 }, as("both")));
    await new Promise((r) => setTimeout(r, 200));
    const third = await call(s.url, "POST", "/v1/queues/empty-q/receive", { waitMs: 1_500 }, as("both"));
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).not.toBeNull();
    expect((await Promise.all(polls)).map((r) => r.status)).toEqual([200, 200]);
  });

  it("DS7: a token over its request rate gets 429 with Retry-After; others are unaffected", async () => {
    const host = createQueueHost({ persistence: createMemoryPersistence() });
    await host.start();
    const server = createServer(host, { port: 0, tokens, rateLimitPerSecond: 5, rateLimitBurst: 5 });
    const { url } = await server.listen();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await call(url, "GET", "/v1/queues/orders/stats", undefined, as("producer"))).status);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThan(0);
    const limited = await call(url, "GET", "/v1/queues/orders/stats", undefined, as("producer"));
    expect(limited.body.error.code).toBe("MQ_RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await call(url, "GET", "/v1/queues/orders/stats", undefined, as("consumer"))).status).toBe(200);
    await server.close();
    await host.stop();
  });

  it("PP4/MP7: error bodies carry no stack, path or decoder text", async () => {
    const r = await fetch(`${s.url}/v1/queues/orders/messages`, { method: "POST", headers: { "content-type": "application/msgpack", ...as("producer") }, body: Buffer.from([0x82, 0xa7, 0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64, 0xa6, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74]) });
    const text = await r.text();
    expect(r.status).toBe(400);
    expect(text).not.toMatch(/secret|\/work|at .*\.ts|node_modules/);
  });
});
