import fc from "fast-check";
import { Packr } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES as DOCUMENTED } from "../src/index";
import { call, startServer } from "./support";

// Z3: random bodies (JSON and msgpack), query strings and paths at every route. The
// server never answers 5xx (501 for purge is designed), stays up, and the fuzzed
// queue's stats match a model built from the 201 answers it gave.
const runs = process.env.MQ_LONG === "1" ? 2_000 : 150;
let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  s = await startServer({ maxBodyBytes: 32 * 1024, rateLimitPerSecond: 0 });
});
afterAll(async () => {
  await s.stop();
});

const ROUTES: readonly [string, string][] = [
  ["POST", "/v1/queues/fz/messages"],
  ["POST", "/v1/messages"],
  ["POST", "/v1/topics/fz-topic/messages"],
  ["POST", "/v1/queues/fz/receive"],
  ["POST", "/v1/ack"],
  ["POST", "/v1/nack"],
  ["POST", "/v1/extend"],
  ["POST", "/v1/release"],
  ["GET", "/v1/queues"],
  ["GET", "/v1/stats"],
  ["GET", "/v1/queues/fz/stats"],
  ["PUT", "/v1/queues/fz-settings/settings"],
  ["POST", "/v1/queues/fz/purge"],
  ["PUT", "/v1/topics/fz-topic/bindings/fz-bound"],
  ["DELETE", "/v1/topics/fz-topic/bindings/fz-bound"],
  ["GET", "/v1/dead-letters"],
  ["GET", "/v1/dead-letters/count"],
  ["GET", "/v1/dead-letters/some-id"],
  ["POST", "/v1/dead-letters/replay"],
  ["POST", "/v1/dead-letters/purge"],
  ["GET", "/v1/queues/fz/messages/some-id"],
  ["DELETE", "/v1/queues/fz-cancel/messages/some-id"],
  ["POST", "/v1/progress"],
  ["GET", "/v1/results/some-id"],
  ["GET", "/v1/schedules"],
  ["GET", "/v1/schedules/fz-sched"],
  ["PUT", "/v1/schedules/fz-sched"],
  ["DELETE", "/v1/schedules/fz-sched"],
  ["GET", "/v1/queues/fz/peek"],
  ["GET", "/v1/topics/fz-topic/bindings"],
  ["POST", "/v1/throttle"],
  ["GET", "/v1/capabilities"],
  ["GET", "/v1/queues/fz/limits"],
  ["PUT", "/v1/queues/fz-settings/limits"],
];

// Near-valid bodies reach the validators' inner branches; plain JSON values and raw bytes reach the decoders.
const field = fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.double(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }));
const message = fc.record({ payload: fc.jsonValue({ maxDepth: 3 }), priority: field, delayMs: field, ttlMs: field, key: field, headers: field }, { requiredKeys: ["payload"] });
const nearValid = fc.record(
  { payload: fc.jsonValue({ maxDepth: 3 }), messages: fc.array(message, { maxLength: 4 }), items: fc.array(fc.record({ queue: fc.constantFrom("fz", "fz-b", "", "../x"), payload: fc.jsonValue({ maxDepth: 2 }) }), { maxLength: 3 }), max: field, waitMs: fc.integer({ min: -1, max: 30 }), visibilityTimeoutMs: field, receipt: field, receipts: fc.array(fc.string(), { maxLength: 3 }), id: field, queue: field, maxAttempts: field, capacity: field },
  { requiredKeys: [] },
);
const validish = fc.record({ payload: fc.jsonValue({ maxDepth: 3 }), priority: fc.integer({ min: -1, max: 10 }), key: fc.constantFrom("a", "b", "c"), delayMs: fc.integer({ min: 0, max: 50 }) }, { requiredKeys: ["payload"] });
const body = fc.oneof(
  validish.map((b) => ({ type: "application/json", data: JSON.stringify(b) })),
  fc.array(validish, { minLength: 1, maxLength: 5 }).map((messages) => ({ type: "application/msgpack", data: new Packr({ useRecords: false }).pack({ messages }) })),
  nearValid.map((b) => ({ type: "application/json", data: JSON.stringify(b) })),
  fc.jsonValue().map((b) => ({ type: "application/json", data: JSON.stringify(b) })),
  fc.string({ maxLength: 200 }).map((b) => ({ type: "application/json", data: b })),
  nearValid.map((b) => ({ type: "application/msgpack", data: new Packr({ useRecords: false }).pack(b) })),
  fc.uint8Array({ maxLength: 200 }).map((b) => ({ type: "application/msgpack", data: Buffer.from(b) })),
  fc.constantFrom({ type: "text/plain", data: "hi" }, { type: "application/json", data: "" }),
);
const query = fc.oneof(fc.constant(""), fc.constant("?confirm=true"), fc.string({ maxLength: 30 }).map((q) => `?${encodeURIComponent(q)}=${encodeURIComponent(q)}`), fc.constant("?limit=100000"), fc.constant("?queue=fz&limit=2"));

describe("fuzzing every route (Z3)", () => {
  it("the fuzz list covers every documented /v1 route and method (a new route cannot be left out)", () => {
    const fuzzed = ROUTES.map(([method, path]) => `${method} ${path}`);
    for (const [template, ops] of Object.entries(DOCUMENTED)) {
      if (!template.startsWith("/v1/") || template === "/v1/ws") continue;
      const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`);
      for (const method of Object.keys(ops)) expect(fuzzed.some((f) => f.startsWith(`${method.toUpperCase()} `) && pattern.test(f.split(" ")[1]!)), `${method.toUpperCase()} ${template}`).toBe(true);
    }
  });

  it(`answers ${runs} random requests per route with 2xx/4xx only, and its stats match the model`, async () => {
    let created = 0;
    const statuses = new Map<number, number>();
    for (const [method, path] of ROUTES) {
      await fc.assert(
        fc.asyncProperty(body, query, async (b, q) => {
          const res = await fetch(`${s.url}${path}${q}`, { method, headers: method === "GET" || method === "DELETE" ? {} : { "content-type": b.type }, ...(method === "GET" || method === "DELETE" ? {} : { body: b.data }) });
          const text = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) throw new Error(`${method} ${path}${q} answered ${res.status}: ${text.slice(0, 300)}`);
          if (res.status >= 400) expect(JSON.parse(text).error.code).toMatch(/^MQ_/);
          // A success is JSON (an object) or, for 204, empty.
          if (res.status === 204) expect(text).toBe("");
          else if (res.status < 300) expect(typeof JSON.parse(text)).toBe("object");
          if (res.status === 201 && path === "/v1/queues/fz/messages") {
            const parsed = JSON.parse(text) as { status?: string; results?: { status: string }[] };
            created += (parsed.results ?? [parsed]).filter((r) => r.status === "created").length;
          }
          if (res.status === 201 && path === "/v1/messages") created += (JSON.parse(text) as { results: { queue: string; status: string }[] }).results.filter((r) => r.queue === "fz" && r.status === "created").length;
        }),
        { numRuns: runs },
      );
    }
    expect((await call(s.url, "GET", "/healthz")).status).toBe(200);
    const stats = (await call(s.url, "GET", "/v1/queues/fz/stats")).body;
    // Purges (fuzzed with confirm=true) remove messages, so the live count is only bounded.
    expect(stats.totals.enqueued).toBe(created);
    expect(stats.ready + stats.delayed + stats.inFlight).toBeLessThanOrEqual(created);
    console.log(`fuzz: ${runs * ROUTES.length} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${created} messages created in "fz"`);
    // Thousands of real requests (more with every route): sized for a loaded 2-core CI machine, not a speed bound.
  }, 240_000);
});
