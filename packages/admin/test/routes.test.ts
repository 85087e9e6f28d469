import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminServer, type AdminServer } from "../src/index";
import { withFailingAppends } from "@mq/core/testing";
import { createMemoryPersistence, createQueueHost, PersistenceError, type QueueHost } from "@mq/host";
import { startHost, until } from "./support";

const TOKEN = "test-token-0123456789";
let host: QueueHost;
let server: AdminServer;

beforeAll(async () => {
  host = await startHost({ failOrders: (n) => n % 10 === 3 });
  server = await createAdminServer(host, { port: 0, token: TOKEN, liveIntervalMs: 200 });
  for (let i = 0; i < 20; i++) await host.enqueue("orders", i);
  await until(async () => (await host.deadLetters.count()) === 2 && (await host.stats("orders")).totals.acked === 18);
});
afterAll(async () => {
  await server?.close();
  await host?.stop({ drainTimeoutMs: 1_000 });
});

const get = (path: string): Promise<Response> => fetch(server.url + path);
const post = (path: string, body?: unknown, token: string | null = TOKEN): Promise<Response> =>
  fetch(server.url + path, {
    method: "POST",
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
// Response bodies are checked with toMatchObject; `any` keeps the assertions short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response, status: number): Promise<any> {
  const body: unknown = await res.json();
  expect({ status: res.status, body }).toMatchObject({ status });
  return body;
}

describe("createAdminServer", () => {
  it("listens on loopback by default and says where", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.dashboardUrl).toBe(`${server.url}/#token=${TOKEN}`);
    expect(server.token).toBe(TOKEN);
  });

  it("generates a token when none is given, and rejects bad options with every problem", async () => {
    const other = await createAdminServer(host, { dashboard: false });
    try {
      expect(other.token.length).toBeGreaterThanOrEqual(16);
      expect((await fetch(`${other.url}/`)).status).toBe(404);
    } finally {
      await other.close();
    }
    await expect(createAdminServer(host, { port: -1, token: "short", nope: 1 } as never)).rejects.toThrow(/port.*token.*nope/s);
  });
});

describe("health and metrics routes", () => {
  it("GET /healthz and /readyz answer 200 with the health report", async () => {
    expect(await json(await get("/healthz"), 200)).toMatchObject({ ok: true, status: "open", journal: { kind: "memory", state: "open" } });
    expect(await json(await get("/readyz"), 200)).toMatchObject({ ok: true, handlersRunning: true });
    expect(await json(await get("/api/health"), 200)).toMatchObject({ ok: true, handlers: [{ queue: "orders", parallelism: 2 }] });
  });

  it("GET /metrics speaks the Prometheus text format", async () => {
    const res = await get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain("# TYPE mq_messages_acked_total counter");
    expect(text).toMatch(/^mq_messages_acked_total\{queue="orders"\} 18$/m);
    expect(text).toMatch(/^mq_queue_ready\{queue="pull"\} 1$/m);
    expect(text).toMatch(/^mq_handler_parallelism\{queue="orders"\} 2$/m);
    expect(text).toMatch(/^mq_queue_wait_seconds\{queue="orders",quantile="0.99"\} [\d.e-]+$/m);
    expect(text).toMatch(/^mq_up 1$/m);
    // Every sample line is `name{labels} value` or `name value`.
    for (const line of text.trim().split("\n")) if (!line.startsWith("#")) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? (-?[\d.e+-]+|NaN|[+-]Inf)$/);
  });

  it("GET /api/metrics and /api/queues/:queue report depth, totals, rates and latency", async () => {
    const all = await json(await get("/api/metrics"), 200);
    expect(all.queues.map((q: { queue: string }) => q.queue)).toEqual(["orders", "pull"]);
    const orders = await json(await get("/api/queues/orders"), 200);
    expect(orders).toMatchObject({ queue: "orders", ready: 0, deadLettered: 2, totals: { enqueued: 20, acked: 18, failed: 2 }, handler: { parallelism: 2, paused: false } });
    expect(orders.latency.handlerMs.count).toBe(20);
    expect(orders.latency.waitMs.count).toBe(20);
    expect(typeof orders.rates.acked).toBe("number");
    expect(await json(await get("/api/queues"), 200)).toEqual(["orders", "pull"]);
  });

  it("unknown queue → 404 with a message; unknown route → 404", async () => {
    expect(await json(await get("/api/queues/nope"), 404)).toMatchObject({ code: "MQ_NOT_FOUND", message: expect.stringContaining('queue "nope" not found') });
    expect((await get("/api/queues")).status).toBe(200);
    expect(await json(await get("/nothing-here"), 404)).toMatchObject({ message: expect.stringContaining("no route GET /nothing-here") });
    // Asking about an unknown queue must not create it.
    expect(await host.queues()).toEqual(["orders", "pull"]);
  });

  it("serves an OpenAPI 3 document describing the routes, with bearer security on state changes", async () => {
    const doc = await json(await get("/openapi.json"), 200);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/metrics", "/api/handlers/{queue}/scale", "/api/dead-letters/{id}/replay", "/metrics", "/healthz"]));
    expect(doc.paths["/api/handlers/{queue}/scale"].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths["/api/handlers/{queue}/scale"].post.requestBody.content["application/json"].schema.required).toEqual(["parallelism"]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });
});

describe("bearer token", () => {
  it("every route that changes state (each non-GET in the OpenAPI document) answers 401 without the token and changes nothing", async () => {
    const doc = await json(await get("/openapi.json"), 200);
    const changing: [string, string][] = [];
    for (const [route, methods] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown }>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (method === "get" || method === "head") continue;
        changing.push([method, route]);
        expect(operation.security, `${method} ${route}`).toEqual([{ bearer: [] }]);
      }
    }
    expect(changing.length).toBeGreaterThanOrEqual(9);
    const before = { workers: host.workers(), dead: await host.deadLetters.count(), stats: await host.stats("*") };
    for (const [method, route] of changing) {
      const url = server.url + route.replace("{queue}", "orders").replace("{id}", "NOPE");
      const res = await fetch(url, { method: method.toUpperCase(), headers: { "content-type": "application/json" }, body: "{}" });
      expect({ route: `${method} ${route}`, status: res.status }).toEqual({ route: `${method} ${route}`, status: 401 });
    }
    expect(host.workers()).toEqual(before.workers);
    expect(await host.deadLetters.count()).toBe(before.dead);
    expect((await host.stats("*")).ready).toBe(before.stats.ready);
  });
});

describe("handler routes", () => {
  it("GET /api/handlers lists handlers", async () => {
    expect(await json(await get("/api/handlers"), 200)).toEqual([expect.objectContaining({ queue: "orders", parallelism: 2, paused: false })]);
  });

  it("scale: 401 without or with a wrong token, 400 for a bad body, 404 for no handler, 200 and applied otherwise", async () => {
    const missing = await json(await post("/api/handlers/orders/scale", { parallelism: 5 }, null), 401);
    expect(missing.message).toMatch(/Bearer/);
    await json(await post("/api/handlers/orders/scale", { parallelism: 5 }, "wrong-token-0123456789"), 401);
    expect((await json(await post("/api/handlers/orders/scale", { parallelism: 0 }), 400)).message).toMatch(/parallelism must be >= 1/);
    expect((await json(await post("/api/handlers/orders/scale", { parallelism: "many" }), 400)).message).toMatch(/parallelism must be integer/);
    expect((await json(await post("/api/handlers/orders/scale", {}), 400)).message).toMatch(/must have required property 'parallelism'/);
    expect((await json(await post("/api/handlers/orders/scale", { parallelism: 2, extra: 1 }), 400)).message).toMatch(/additional properties/);
    expect((await json(await post("/api/handlers/orders/scale", "{not json"), 400)).message).toMatch(/JSON/i);
    await json(await post("/api/handlers/pull/scale", { parallelism: 3 }), 404);
    expect(await json(await post("/api/handlers/orders/scale", { parallelism: 5 }), 200)).toMatchObject({ queue: "orders", parallelism: 5 });
    expect(host.workers("orders")[0]!.parallelism).toBe(5);
  });

  it("pause and resume", async () => {
    await json(await post("/api/handlers/orders/pause", undefined, null), 401);
    expect(await json(await post("/api/handlers/orders/pause"), 200)).toMatchObject({ paused: true });
    expect(host.workers("orders")[0]!.paused).toBe(true);
    await json(await post("/api/handlers/nope/pause"), 404);
    expect(await json(await post("/api/handlers/orders/resume"), 200)).toMatchObject({ paused: false });
    await json(await post("/api/handlers/nope/resume"), 404);
  });
});

describe("journal and queue routes", () => {
  it("POST /api/snapshot writes one (token required)", async () => {
    await json(await post("/api/snapshot", undefined, null), 401);
    expect(await json(await post("/api/snapshot"), 200)).toMatchObject({ lsn: expect.any(Number), items: expect.any(Number) });
  });

  it("peek and purge: 404 for unknown queues, 400 for bad limits, 401 without a token, then the real messages", async () => {
    await json(await get("/api/queues/nope/messages"), 404);
    expect((await json(await get("/api/queues/pull/messages?limit=0"), 400)).message).toMatch(/limit must be >= 1/);
    expect((await json(await get("/api/queues/pull/messages?limit=1001"), 400)).message).toMatch(/limit must be <= 1000/);
    await json(await post("/api/queues/pull/purge", undefined, null), 401);
    await json(await post("/api/queues/nope/purge"), 404);
    // Peeking leases nothing: the message is still ready afterwards.
    expect(await json(await get("/api/queues/pull/messages?limit=5"), 200)).toEqual([expect.objectContaining({ queue: "pull", payload: { hello: "world" }, attempts: 0 })]);
    expect((await host.stats("pull")).ready).toBe(1);
    expect(await json(await post("/api/queues/pull/purge"), 200)).toEqual({ purged: 1 });
    expect((await host.stats("pull")).ready).toBe(0);
    expect(await json(await get("/api/queues/pull/messages"), 200)).toEqual([]);
  });
});

describe("dead-letter routes", () => {
  it("list with filters and paging, get one, 404 for an unknown id, 400 for bad query", async () => {
    const page = await json(await get("/api/dead-letters?queue=orders&limit=1"), 200);
    expect(page).toMatchObject({ total: 2, items: [{ queue: "orders", reason: "max-retries", error: { message: expect.stringMatching(/declined/) } }] });
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = await json(await get(`/api/dead-letters?queue=orders&limit=1&cursor=${encodeURIComponent(page.nextCursor)}`), 200);
    expect(next.items[0].message.id).not.toBe(page.items[0].message.id);
    const one = await json(await get(`/api/dead-letters/${page.items[0].message.id}`), 200);
    expect(one.message.payload).toBe(page.items[0].message.payload);
    await json(await get("/api/dead-letters/NOPE"), 404);
    expect((await json(await get("/api/dead-letters?limit=abc"), 400)).message).toMatch(/limit must be integer/);
    expect((await json(await get("/api/dead-letters?color=red"), 400)).message).toMatch(/additional properties/);
  });

  it("replay one by id (401, 404, 400, then 200), then replay and purge by filter", async () => {
    const { items } = await json(await get("/api/dead-letters?queue=orders"), 200);
    const id = items[0].message.id as string;
    await json(await post(`/api/dead-letters/${id}/replay`, undefined, null), 401);
    await json(await post("/api/dead-letters/NOPE/replay"), 404);
    expect((await json(await post(`/api/dead-letters/${id}/replay`, { queue: 7 }), 400)).message).toMatch(/queue must be string/);
    // Into the pull queue, so it stays there (no handler) and is countable.
    expect(await json(await post(`/api/dead-letters/${id}/replay`, { queue: "pull" }), 200)).toMatchObject({ replayed: 1 });
    await until(async () => (await host.stats("pull")).ready === 2 || (await host.stats("pull")).ready === 1);
    expect(await host.deadLetters.count()).toBe(1);
    await json(await post("/api/dead-letters/replay", { queue: "orders" }, null), 401);
    expect((await json(await post("/api/dead-letters/replay", { queue: "" }), 400)).message).toMatch(/must NOT have fewer than 1 characters/);
    expect(await json(await post("/api/dead-letters/replay", { queue: "orders", toQueue: "pull" }), 200)).toMatchObject({ replayed: 1 });
    expect(await host.deadLetters.count()).toBe(0);
    // Make two more, then purge by filter.
    await host.enqueue("orders", 13);
    await host.enqueue("orders", 23);
    await until(async () => (await host.deadLetters.count()) === 2);
    await json(await post("/api/dead-letters/purge", {}, null), 401);
    expect((await json(await post("/api/dead-letters/purge", { queue: 1 }), 400)).message).toMatch(/queue must be string/);
    expect(await json(await post("/api/dead-letters/purge", { queue: "elsewhere" }), 200)).toEqual({ purged: 0 });
    expect(await json(await post("/api/dead-letters/purge"), 200)).toEqual({ purged: 2 });
  });
});

describe("live events", () => {
  it("GET /api/events streams metrics as Server-Sent Events", async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/events`, { signal: controller.signal });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    while (!/event: metrics\ndata: .*\n\n[\s\S]*event: metrics\ndata: /.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const first = JSON.parse(/data: (.*)\n/.exec(text)![1]!);
    expect(first).toMatchObject({ metrics: { queues: expect.any(Array) }, handlers: [expect.objectContaining({ queue: "orders" })], health: { ok: true } });
  });
});

describe("a host that stops", () => {
  it("readyz answers 503 once the host is closed, and routes needing it answer 503", async () => {
    const other = await startHost();
    const admin = await createAdminServer(other, { token: TOKEN });
    try {
      await other.stop();
      expect(await json(await fetch(`${admin.url}/readyz`), 503)).toMatchObject({ ok: false, status: "closed" });
      expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
      const res = await fetch(`${admin.url}/api/snapshot`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(await json(res, 503)).toMatchObject({ code: "MQ_HOST_CLOSED" });
    } finally {
      await admin.close();
    }
  });
});

describe("a host whose journal failed", () => {
  it("healthz and readyz answer 503 with the fail-stop reason; /metrics says so", async () => {
    // Fault injection: appends start failing, as on a full disk.
    const { persistence, failAppends } = withFailingAppends(createMemoryPersistence());
    const broken = createQueueHost({ persistence });
    await broken.start();
    const admin = await createAdminServer(broken, { token: TOKEN });
    try {
      failAppends(new PersistenceError("disk full", "ENOSPC"));
      await expect(broken.enqueue("q", 1)).rejects.toThrow(/disk full/);
      expect(await json(await fetch(`${admin.url}/healthz`), 503)).toMatchObject({ ok: false, status: "failed", failure: { code: "MQ_PERSISTENCE", message: expect.stringContaining("disk full") } });
      expect((await fetch(`${admin.url}/readyz`)).status).toBe(503);
      const text = await (await fetch(`${admin.url}/metrics`)).text();
      expect(text).toMatch(/^mq_journal_failed 1$/m);
      expect(text).toMatch(/^mq_up 0$/m);
    } finally {
      await admin.close();
      await broken.stop();
    }
  });
});

describe("a host whose backend cannot peek or purge", () => {
  it("peek and purge answer 501 with MQ_NOT_SUPPORTED and say the backend lacks them; bad input is still a 400", async () => {
    const owner = await startHost();
    // A custom backend without the optional peek and purge.
    const bare = new Proxy(owner.backend, {
      get(target, property) {
        if (property === "peek" || property === "purge") return undefined;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const guest = createQueueHost({ backend: bare });
    await guest.start();
    const admin = await createAdminServer(guest, { token: TOKEN });
    try {
      const peek = await json(await fetch(`${admin.url}/api/queues/pull/messages`), 501);
      expect(peek).toEqual({ statusCode: 501, code: "MQ_NOT_SUPPORTED", error: "Not Implemented", message: expect.stringMatching(/peek is not supported.*backend does not support/) });
      const purge = await json(await fetch(`${admin.url}/api/queues/pull/purge`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } }), 501);
      expect(purge).toEqual({ statusCode: 501, code: "MQ_NOT_SUPPORTED", error: "Not Implemented", message: expect.stringMatching(/purge is not supported.*backend does not support/) });
      expect((await owner.stats("pull")).ready).toBe(1);
      await json(await fetch(`${admin.url}/api/queues/pull/messages?limit=0`), 400);
      await json(await fetch(`${admin.url}/api/queues/nope/messages`), 404);
      const doc = await json(await fetch(`${admin.url}/openapi.json`), 200);
      expect(Object.keys(doc.paths["/api/queues/{queue}/messages"].get.responses)).toContain("501");
      expect(Object.keys(doc.paths["/api/queues/{queue}/purge"].post.responses)).toContain("501");
    } finally {
      await admin.close();
      await guest.stop();
      await owner.stop();
    }
  });
});
