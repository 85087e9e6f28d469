import { createDispatcher, type Dispatcher } from "@mq/dispatcher";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend, type RedisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

// Sweeps are an hour apart here, so every delivery below comes from a wake-up, never from a sweep.
const SWEEP_MS = 3_600_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(10);
  }
}

if (REDIS_SERVER === undefined) {
  describe("redis wake-ups", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  let admin: Redis;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    server = await RedisServer.start({ appendfsync: "everysec" });
    admin = new Redis(server.port);
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    admin.disconnect();
    await server.destroy();
  });

  /** A consumer as a host runs one: its own backend (connections) and dispatcher. */
  async function consumer(prefix: string, queue: string, handled: string[], name: string): Promise<{ backend: RedisBackend; dispatcher: Dispatcher; readies: () => number }> {
    const backend = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix, sweepIntervalMs: SWEEP_MS });
    await backend.open();
    let readies = 0;
    backend.events.on("ready", (q) => void (q === queue && readies++));
    const dispatcher = createDispatcher(backend);
    dispatcher.handle<string>(queue, (p) => void handled.push(`${name}:${p}`));
    dispatcher.start();
    cleanups.push(async () => {
      await dispatcher.stop({ drainTimeoutMs: 1_000 });
      await backend.close();
    });
    return { backend, dispatcher, readies: () => readies };
  }

  /** Waits until `n` consumers of the queue found it empty and wait for a wake-up. */
  async function idle(prefix: string, queue: string, n: number): Promise<void> {
    await until(async () => (await admin.zcard(`{${prefix}:${queue}}:idle`)) === n, 10_000);
  }

  describe("redis wake-ups", () => {
    it("wakes one waiting consumer per message that became ready, not every process", async () => {
      const handled: string[] = [];
      const cs = [await consumer("w1", "q", handled, "a"), await consumer("w1", "q", handled, "b"), await consumer("w1", "q", handled, "c")];
      const producer = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "w1", sweepIntervalMs: SWEEP_MS });
      await producer.open();
      cleanups.push(() => producer.close());
      await idle("w1", "q", 3);
      // Each backend sweeps once right after open; a sweep that finds a message ready says "ready" too
      // (the bound on a lost wake-up). Let those first sweeps finish, so only wake-ups are counted below.
      await sleep(300);
      const before = cs.map((c) => c.readies());
      await producer.enqueue([{ queue: "q", payload: "m1" }]);
      await until(() => handled.length === 1, 10_000);
      await idle("w1", "q", 3); // the one that took it waits again
      const woken = cs.map((c, i) => c.readies() - before[i]!);
      expect(woken.filter((n) => n > 0)).toHaveLength(1);
      // Ten more, one at a time: each goes to one consumer; over all of them the longest idle goes first.
      for (let i = 2; i <= 10; i++) {
        await producer.enqueue([{ queue: "q", payload: `m${i}` }]);
        await until(() => handled.length === i, 10_000);
        await idle("w1", "q", 3);
      }
      expect(new Set(handled.map((h) => h.split(":")[0])).size).toBe(3);
      // A batch wakes as many as it made ready (here every consumer).
      await producer.enqueue(Array.from({ length: 30 }, (_, i) => ({ queue: "q", payload: `b${i}` })));
      await until(() => handled.length === 40, 10_000);
      expect(handled.filter((h) => h.includes(":b"))).toHaveLength(30);
    });

    it("passes a wake-up on when the consumer it went to does not lease (paused), so another one takes the message", async () => {
      const handled: string[] = [];
      const a = await consumer("w2", "q", handled, "a");
      await idle("w2", "q", 1);
      await sleep(5); // a waits longer, so the next wake-up goes to a
      const b = await consumer("w2", "q", handled, "b");
      await idle("w2", "q", 2);
      a.dispatcher.pause("q");
      await b.backend.enqueue([{ queue: "q", payload: "x" }]);
      // a is paused and leases nothing: it wakes everyone instead, and b takes the message long before a sweep.
      await until(() => handled.length === 1, 10_000);
      expect(handled).toEqual(["b:x"]);
      a.dispatcher.resume("q");
    });

    it("keeps the idle list out of the AOF: a lease that finds nothing writes nothing to it", async () => {
      const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "w4", sweepIntervalMs: SWEEP_MS });
      await b.open();
      cleanups.push(() => b.close());
      await b.receive("q", { max: 1, leaseMs: 1_000 }); // registers the queue (a write) and joins the idle list
      const aofSize = async (): Promise<number> => Number(/aof_current_size:(\d+)/.exec(await admin.info("persistence"))?.[1]);
      const before = await aofSize();
      for (let i = 0; i < 5; i++) expect(await b.receive("q", { max: 1, leaseMs: 1_000 })).toEqual([]);
      expect(await admin.zcard("{w4:q}:idle")).toBe(1);
      expect(await aofSize()).toBe(before);
      // The idle consumer is woken through the list, which is not in the AOF either: only the enqueue is.
      await b.enqueue([{ queue: "q", payload: 1 }]);
      expect(await admin.zcard("{w4:q}:idle")).toBe(0);
      expect(await aofSize()).toBeGreaterThan(before);
    });

    it("skips a waiting consumer whose process is gone", async () => {
      const handled: string[] = [];
      const alive = await consumer("w3", "q", handled, "alive");
      // A consumer that registers as waiting and then vanishes without closing (its connections just drop).
      const gone = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "w3", sweepIntervalMs: SWEEP_MS });
      await gone.open();
      await idle("w3", "q", 1);
      await sleep(5); // registered later than `alive`, so it would come second
      expect(await gone.receive("q", { max: 1, leaseMs: 1_000 })).toEqual([]);
      await idle("w3", "q", 2);
      // Put the gone one first in line; closing leaves its place there, as a crash would.
      await admin.zadd("{w3:q}:idle", 0, (await admin.zrange("{w3:q}:idle", 1, 1))[0]!);
      await gone.close();
      const producer = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "w3", sweepIntervalMs: SWEEP_MS });
      await producer.open();
      cleanups.push(() => producer.close());
      await producer.enqueue([{ queue: "q", payload: "y" }]);
      await until(() => handled.length === 1, 10_000);
      expect(handled).toEqual(["alive:y"]);
      expect(alive.readies()).toBeGreaterThan(0);
    });
  });
}
