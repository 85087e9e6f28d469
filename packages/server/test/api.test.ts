import { Packr, Unpackr } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, sleep, startServer } from "./support";

// The HTTP API end to end over real sockets: good and bad input for every route.
let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  s = await startServer({ maxBodyBytes: 64 * 1024, maxMessageBytes: 8 * 1024, maxBatch: 10 });
});
afterAll(async () => {
  await s.stop();
});

const send = (queue: string, body: unknown) => call(s.url, "POST", `/v1/queues/${queue}/messages`, body);
const receive = (queue: string, body: unknown = {}) => call(s.url, "POST", `/v1/queues/${queue}/receive`, body);

describe("send", () => {
  it("sends one message with every option and reads it back", async () => {
    const r = await send("api-one", { payload: { n: 1 }, key: "k1", priority: 7, ttlMs: 60_000, headers: { traceparent: "00-abc-def-01" }, correlationId: "c-1" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ queue: "api-one", status: "created", version: 1 });
    const got = await receive("api-one", { max: 10, visibilityTimeoutMs: 5_000 });
    expect(got.status).toBe(200);
    expect(got.body.messages[0].message).toMatchObject({ id: r.body.id, payload: { n: 1 }, key: "k1", priority: 7, headers: { traceparent: "00-abc-def-01" }, correlationId: "c-1" });
    expect(got.body.messages[0].attempt).toBe(1);
  });

  it("a dedup key: the default mode replaces the waiting message, dedupMode drop keeps the first (alone or in a batch)", async () => {
    const waiting = await send("api-replace", { payload: { v: 1 }, key: "order-7" });
    expect((await send("api-replace", { payload: { v: 2 }, key: "order-7" })).body).toMatchObject({ id: waiting.body.id, status: "replaced" });
    expect((await receive("api-replace", { max: 10 })).body.messages.map((m: { message: { payload: unknown } }) => m.message.payload)).toEqual([{ v: 2 }]);
    expect((await call(s.url, "PUT", "/v1/queues/api-dedup/settings", { dedupMode: "drop" })).status).toBe(204);
    const first = await send("api-dedup", { payload: { v: 1 }, key: "order-7" });
    expect(first.body).toMatchObject({ status: "created" });
    const again = await send("api-dedup", { payload: { v: 2 }, key: "order-7" });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, status: "duplicate" });
    const batch = await send("api-dedup", { messages: [{ payload: 3, key: "order-7" }, { payload: 4, key: "order-8" }] });
    expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(["duplicate", "created"]);
    const got = await receive("api-dedup", { max: 10 });
    expect(got.body.messages.map((m: { message: { payload: unknown } }) => m.message.payload)).toEqual([{ v: 1 }, 4]);
  });

  it("delivers higher priorities first, and a message past its TTL never", async () => {
    await send("api-prio", { messages: [{ payload: "low", priority: 1 }, { payload: "expiring", priority: 9, ttlMs: 1 }, { payload: "high", priority: 8 }] });
    await sleep(50);
    const got = await receive("api-prio", { max: 10 });
    expect(got.body.messages.map((m: { message: { payload: unknown } }) => m.message.payload)).toEqual(["high", "low"]);
  });

  it("sends a batch atomically: one bad item rejects all", async () => {
    const bad = await send("api-batch", { messages: [{ payload: 1 }, { payload: 2, priority: 10 }] });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("MQ_INVALID_ARGUMENT");
    expect(bad.body.error.message).toContain("priority");
    expect((await call(s.url, "GET", "/v1/queues/api-batch/stats")).body.ready).toBe(0);
    const ok = await send("api-batch", { messages: [{ payload: 1 }, { payload: 2, delayMs: 60_000 }] });
    expect(ok.status).toBe(201);
    expect(ok.body.results).toHaveLength(2);
    const stats = (await call(s.url, "GET", "/v1/queues/api-batch/stats")).body;
    expect([stats.ready, stats.delayed]).toEqual([1, 1]);
  });

  it.each([
    ["a priority of 10", { payload: 1, priority: 10 }],
    ["a priority of 1.5", { payload: 1, priority: 1.5 }],
    ["a priority as a string", { payload: 1, priority: "5" }],
    ["a negative delay", { payload: 1, delayMs: -1 }],
    ["a delay over 15 minutes", { payload: 1, delayMs: 900_001 }],
    ["a server-owned field", { payload: 1, id: "x" }],
    ["attempts set by the client", { payload: 1, attempts: 3 }],
    ["no payload", { key: "k" }],
    ["a header with CR/LF", { payload: 1, headers: { a: "x\r\ny" } }],
    ["a header with a bad name", { payload: 1, headers: { "a b": "x" } }],
    ["33 headers", { payload: 1, headers: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`h${i}`, "v"])) }],
    ["a non-string header", { payload: 1, headers: { a: 1 } }],
    ["a 129-character key", { payload: 1, key: "k".repeat(129) }],
    ["an empty batch", { messages: [] }],
    ["a payload nested 100 deep", { payload: JSON.parse("[".repeat(100) + "]".repeat(100)) }],
  ])("refuses %s with 422", async (_name, body) => {
    const r = await send("api-bad", body);
    expect(r.status).toBe(422);
    expect(["MQ_INVALID_ARGUMENT", "MQ_INVALID_PAYLOAD"]).toContain(r.body.error.code);
    expect(r.body.error.message.length).toBeGreaterThan(10);
  });

  it.each([["../x"], ["a%2Fb"], ["%2e%2e%2f"], ["x".repeat(81)], ["a%7Bb%7D"], ["%00"]])("refuses the queue name %s with 422 (or 404 when it is no route)", async (name) => {
    const r = await send(name, { payload: 1 });
    expect([404, 422]).toContain(r.status);
  });

  it("refuses a batch over maxBatch (422) and a message over maxMessageBytes (413) whole", async () => {
    const many = await send("api-limits", { messages: Array.from({ length: 11 }, (_, i) => ({ payload: i })) });
    expect(many.status).toBe(422);
    const big = await send("api-limits", { messages: [{ payload: "ok" }, { payload: "x".repeat(9_000) }] });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe("MQ_PAYLOAD_TOO_LARGE");
    expect((await call(s.url, "GET", "/v1/queues/api-limits/stats")).body.ready).toBe(0);
  });

  it("refuses a body over maxBodyBytes with 413 before reading it all", async () => {
    const r = await send("api-limits", { payload: "x".repeat(70_000) });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("MQ_PAYLOAD_TOO_LARGE");
  });

  it("refuses malformed JSON, invalid UTF-8, other media types and compressed bodies", async () => {
    expect((await send("api-bad", "{nope")).status).toBe(400);
    const utf = await fetch(`${s.url}/v1/queues/api-bad/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.from([0x7b, 0x22, 0x70, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) });
    expect(utf.status).toBe(400);
    expect((await call(s.url, "POST", "/v1/queues/api-bad/messages", "payload=1", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect((await call(s.url, "POST", "/v1/queues/api-bad/messages", { payload: 1 }, { "content-encoding": "gzip" })).status).toBe(415);
  });

  it("speaks msgpack both ways when asked, with binary payloads intact", async () => {
    const packr = new Packr({ useRecords: false });
    const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
    const res = await fetch(`${s.url}/v1/queues/api-mp/messages`, { method: "POST", headers: { "content-type": "application/msgpack", accept: "application/msgpack" }, body: packr.pack({ payload: { bin: Buffer.from([1, 2, 3]) } }) });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toContain("application/msgpack");
    const got = await fetch(`${s.url}/v1/queues/api-mp/receive`, { method: "POST", headers: { "content-type": "application/msgpack", accept: "application/msgpack" }, body: packr.pack({ max: 1 }) });
    const body = unpackr.unpack(new Uint8Array(await got.arrayBuffer())) as { messages: { message: { payload: { bin: Uint8Array } } }[] };
    expect([...body.messages[0]!.message.payload.bin]).toEqual([1, 2, 3]);
    const record = await fetch(`${s.url}/v1/queues/api-mp/messages`, { method: "POST", headers: { "content-type": "application/msgpack" }, body: new Packr({ useRecords: true }).pack({ payload: [{ a: 1 }, { a: 2 }] }) });
    expect(record.status).toBe(422);
  });
});

describe("receive, ack, nack, extend, release", () => {
  it("long-polls and is woken by a send", async () => {
    const started = Date.now();
    const waiting = receive("api-lp", { max: 1, waitMs: 10_000 });
    await sleep(100);
    await send("api-lp", { payload: "late" });
    const got = await waiting;
    expect(got.body.messages.map((m: { message: { payload: unknown } }) => m.message.payload)).toEqual(["late"]);
    expect(Date.now() - started).toBeLessThan(9_000);
    const empty = await receive("api-lp", { max: 1, waitMs: 50 });
    expect(empty.body.messages).toEqual([]);
  });

  it.each([
    [{ max: 0 }],
    [{ max: 101 }],
    [{ waitMs: 20_001 }],
    [{ visibilityTimeoutMs: 0 }],
    [{ visibilityTimeoutMs: 43_200_001 }],
    [{ max: 1, extra: true }],
  ])("refuses receive %j with 422", async (body) => {
    expect((await receive("api-lp", body)).status).toBe(422);
  });

  it("acks with an atomic publish, nacks with a delay, extends and releases", async () => {
    await send("api-flow", { messages: [{ payload: "a" }, { payload: "b" }, { payload: "c" }, { payload: "d" }] });
    const [a, b, c, d] = (await receive("api-flow", { max: 4, visibilityTimeoutMs: 60_000 })).body.messages;
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [a.receipt], publish: [{ queue: "api-next", payload: "child" }] })).status).toBe(204);
    expect((await call(s.url, "GET", "/v1/queues/api-next/stats")).body.ready).toBe(1);
    const nacked = await call(s.url, "POST", "/v1/nack", { receipt: b.receipt, delayMs: 60_000, reason: { name: "Error", message: "later" } });
    expect(nacked.body.action).toBe("retried");
    expect((await call(s.url, "POST", "/v1/extend", { receipt: c.receipt, visibilityTimeoutMs: 120_000 })).status).toBe(204);
    expect((await call(s.url, "POST", "/v1/release", { receipts: [d.receipt] })).status).toBe(204);
    const stats = (await call(s.url, "GET", "/v1/queues/api-flow/stats")).body;
    expect([stats.ready, stats.delayed, stats.inFlight]).toEqual([1, 1, 1]);
    // The used receipts are fenced: 409 and nothing changes.
    const stale = await call(s.url, "POST", "/v1/ack", { receipts: [a.receipt] });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("MQ_LEASE_LOST");
  });

  it("answers 409 for forged or tampered receipts and 422 for malformed ack bodies", async () => {
    await send("api-forge", { payload: 1 });
    const [m] = (await receive("api-forge", { max: 1 })).body.messages;
    const tampered = m.receipt.replace(/.$/, (ch: string) => (ch === "A" ? "B" : "A"));
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [tampered] })).status).toBe(409);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: ["nope"] })).status).toBe(409);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: "nope" })).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/nack", { receipt: m.receipt, delayMs: -5 })).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/extend", { receipt: m.receipt })).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/release", {})).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [m.receipt] })).status).toBe(204);
  });
});

it("answers waiting long polls with 503 and Retry-After when the server closes", async () => {
  const other = await startServer();
  const waiting = call(other.url, "POST", "/v1/queues/api-shut/receive", { waitMs: 15_000 });
  await sleep(200);
  const closed = other.server.close();
  const r = await waiting;
  expect(r.status).toBe(503);
  expect(r.headers.get("retry-after")).toBe("1");
  await closed;
  await other.host.stop();
});

describe("queues, topics and dead letters", () => {
  it("sets queue settings, lists queues and sums stats", async () => {
    expect((await call(s.url, "PUT", "/v1/queues/api-set/settings", { maxAttempts: 1, capacity: 5 })).status).toBe(204);
    expect((await call(s.url, "PUT", "/v1/queues/api-set/settings", { maxAttempts: 0 })).status).toBe(422);
    expect((await call(s.url, "PUT", "/v1/queues/api-set/settings", { colour: "red" })).status).toBe(422);
    await send("api-set", { payload: 1 });
    expect((await call(s.url, "GET", "/v1/queues")).body.queues).toContain("api-set");
    expect((await call(s.url, "GET", "/v1/stats")).body.queue).toBe("*");
  });

  it("purges ready and delayed messages with confirm=true (422 without), leaving in-flight ones", async () => {
    await send("api-purge", { messages: [{ payload: 1 }, { payload: 2 }, { payload: 3, delayMs: 60_000 }] });
    const [m] = (await receive("api-purge", { max: 1 })).body.messages;
    expect((await call(s.url, "POST", "/v1/queues/api-purge/purge")).status).toBe(422);
    const r = await call(s.url, "POST", "/v1/queues/api-purge/purge?confirm=true");
    expect(r.status).toBe(200);
    expect(r.body.purged).toBe(2);
    const stats = (await call(s.url, "GET", "/v1/queues/api-purge/stats")).body;
    expect([stats.ready, stats.delayed, stats.inFlight]).toEqual([0, 0, 1]);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [m.receipt] })).status).toBe(204);
  });

  it("binds, publishes with fan-out and unbinds", async () => {
    expect((await call(s.url, "PUT", "/v1/topics/api-t/bindings/api-t1", undefined)).status).toBe(204);
    expect((await call(s.url, "PUT", "/v1/topics/api-t/bindings/api-t2", undefined)).status).toBe(204);
    const pub = await call(s.url, "POST", "/v1/topics/api-t/messages", { payload: { x: 1 } });
    expect(pub.status).toBe(201);
    expect(pub.body.copies.map((c: { queue: string }) => c.queue).sort()).toEqual(["api-t1", "api-t2"]);
    expect((await call(s.url, "DELETE", "/v1/topics/api-t/bindings/api-t2")).status).toBe(204);
    expect((await call(s.url, "POST", "/v1/topics/api-t/messages", { payload: 2 })).body.copies).toHaveLength(1);
    expect((await call(s.url, "POST", "/v1/topics/a%2Fb/messages", { payload: 2 })).status).toBe(422);
    const mixed = await call(s.url, "POST", "/v1/messages", { items: [{ queue: "api-m1", payload: 1 }, { topic: "api-t", payload: 2 }] });
    expect(mixed.status).toBe(201);
    expect((await call(s.url, "POST", "/v1/messages", { items: [{ queue: "api-m1", topic: "api-t", payload: 1 }] })).status).toBe(422);
  });

  it("lists, counts, gets, replays and purges dead letters", async () => {
    await call(s.url, "PUT", "/v1/queues/api-dlq/settings", { maxAttempts: 1 });
    const sent = await send("api-dlq", { messages: [{ payload: 1 }, { payload: 2 }] });
    const got = (await receive("api-dlq", { max: 2 })).body.messages;
    for (const m of got) await call(s.url, "POST", "/v1/nack", { receipt: m.receipt, deadLetter: true, reason: { name: "Error", message: "bad" } });
    const list = await call(s.url, "GET", "/v1/dead-letters?queue=api-dlq&limit=1");
    expect(list.body.items).toHaveLength(1);
    expect(list.body.nextCursor).toBeDefined();
    expect((await call(s.url, "GET", "/v1/dead-letters?queue=api-dlq&limit=5000")).status).toBe(422);
    expect((await call(s.url, "GET", "/v1/dead-letters/count?queue=api-dlq")).body.count).toBe(2);
    const id = sent.body.results[0].id;
    expect((await call(s.url, "GET", `/v1/dead-letters/${id}`)).body.reason).toBe("rejected");
    expect((await call(s.url, "GET", "/v1/dead-letters/nope")).status).toBe(404);
    expect((await call(s.url, "POST", "/v1/dead-letters/replay", { id })).body.replayed).toBe(1);
    expect((await call(s.url, "POST", "/v1/dead-letters/replay", { id: "missing" })).status).toBe(404);
    expect((await call(s.url, "POST", "/v1/dead-letters/purge", { queue: "api-dlq" })).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/dead-letters/purge?confirm=true", { queue: "api-dlq" })).body.purged).toBe(1);
  });

  it("serves OpenAPI, health, and a 404 naming the route", async () => {
    const doc = await call(s.url, "GET", "/openapi.json");
    expect(doc.body.openapi).toBe("3.1.0");
    expect(Object.keys(doc.body.paths)).toContain("/v1/queues/{queue}/messages");
    expect((await call(s.url, "GET", "/healthz")).body).toEqual({ ok: true });
    const missing = await call(s.url, "GET", "/v1/nothing-here");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("/v1/nothing-here");
  });
});
