import { createDispatcher, type Dispatcher } from "@mq/dispatcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend, type RedisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

// Ordering groups with two consumers sharing one Redis (two backends: two
// connections and origins, as two processes would have): each group's
// messages run one at a time in enqueue order, groups in parallel, and a
// failing head under "block" holds its group back until its retry succeeds;
// maxInFlight caps leases across both.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

if (REDIS_SERVER === undefined) {
  describe("redis ordering groups", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  const backends: RedisBackend[] = [];
  const dispatchers: Dispatcher[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    for (const d of dispatchers) await d.stop({ drainTimeoutMs: 2_000 }).catch(() => undefined);
    for (const b of backends) await b.close().catch(() => undefined);
    await server?.destroy();
  });

  it("runs each group in order and one at a time across two consumers, groups in parallel", async () => {
    const GROUPS = 12;
    const PER_GROUP = 10;
    const handled = new Map<string, number[]>();
    const running = new Set<string>();
    let overlaps = 0;
    let maxParallel = 0;
    let failedOnce = false;
    for (let k = 0; k < 2; k++) {
      const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "groups", sweepIntervalMs: 100 });
      await b.open();
      backends.push(b);
      const d = createDispatcher(b);
      dispatchers.push(d);
      d.handle<{ g: string; n: number }>(
        "orders",
        async ({ g, n }) => {
          if (running.has(g)) overlaps++;
          running.add(g);
          maxParallel = Math.max(maxParallel, running.size);
          await sleep(2 + (n % 3));
          running.delete(g);
          // One head fails once: under "block" nothing after it in its group may run first.
          if (g === "g3" && n === 4 && !failedOnce) {
            failedOnce = true;
            throw new Error("transient");
          }
          handled.set(g, [...(handled.get(g) ?? []), n]);
        },
        { maxParallelism: 8, backoff: { type: "fixed", baseMs: 50 } },
      );
      d.start();
    }
    const items = [];
    for (let n = 0; n < PER_GROUP; n++) for (let g = 0; g < GROUPS; g++) items.push({ queue: "orders", payload: { g: `g${g}`, n }, group: `g${g}` });
    await backends[0]!.enqueue(items);
    await until(() => [...handled.values()].reduce((sum, l) => sum + l.length, 0) === GROUPS * PER_GROUP);
    for (let g = 0; g < GROUPS; g++) expect(handled.get(`g${g}`)).toEqual(Array.from({ length: PER_GROUP }, (_, n) => n));
    expect(overlaps).toBe(0);
    expect(failedOnce).toBe(true);
    expect(maxParallel).toBeGreaterThan(1);
    const stats = await backends[1]!.stats("orders");
    expect(stats.groups).toEqual({ ready: 0, blocked: 0, active: 0, throttled: 0 });
    expect([stats.ready, stats.inFlight, stats.delayed]).toEqual([0, 0, 0]);
  });

  it("caps leased messages of a queue across two consumers with maxInFlight", async () => {
    const prefix = "cap";
    let running = 0;
    let peak = 0;
    let done = 0;
    for (let k = 0; k < 2; k++) {
      const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix, sweepIntervalMs: 100 });
      await b.open();
      backends.push(b);
      if (k === 0) await b.configureQueue("jobs", { maxInFlight: 3 });
      const d = createDispatcher(b);
      dispatchers.push(d);
      d.handle("jobs", async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        running--;
        done++;
      }, { maxParallelism: 8 });
      d.start();
    }
    await backends.at(-1)!.enqueue(Array.from({ length: 60 }, (_, i) => ({ queue: "jobs", payload: i })));
    await until(() => done === 60);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(0);
  });

  it("backs a group off with ctx.rateLimited through throttle, its attempt unused, the other groups going on", async () => {
    const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "throttle", sweepIntervalMs: 100 });
    await b.open();
    backends.push(b);
    const d = createDispatcher(b);
    dispatchers.push(d);
    const order: string[] = [];
    let limited = false;
    d.handle<string>("calls", (p, ctx) => {
      if (p === "a1" && !limited) {
        limited = true;
        ctx.rateLimited(300); // the API said 429: group "a" waits, nothing fails
      }
      order.push(`${p}@${ctx.attempt}`);
    }, { maxParallelism: 4 });
    d.start();
    await b.enqueue([
      { queue: "calls", payload: "a1", group: "a" },
      { queue: "calls", payload: "a2", group: "a" },
      { queue: "calls", payload: "b1", group: "b" },
    ]);
    await until(() => order.length === 3);
    expect(order.filter((o) => o.startsWith("a"))).toEqual(["a1@1", "a2@1"]);
    expect(order).toContain("b1@1");
    expect((await b.stats("calls")).totals.retried).toBe(0);
  });
}
