import calculateSlot from "cluster-key-slot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend, type RedisBackend, type RedisConnection } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON, startCluster } from "./redis-server";

// What the conformance suite leaves out: dead letters across queues (filters,
// paging, replay into another queue, which crosses slots on Cluster),
// queues(), stats("*"), and the events of sweeps and expiries.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

async function kill(b: RedisBackend, queue: string, payload: string, deadLetter: boolean): Promise<string> {
  const [r] = await b.enqueue([{ queue, payload }]);
  const [d] = await b.receive(queue, { max: 1, leaseMs: 60_000 });
  await b.nack(d!.receipt, deadLetter ? { deadLetter: true } : { maxAttempts: 1 });
  return r!.id;
}

function suite(name: string, connect: () => RedisConnection): void {
  describe(`redis extras: ${name}`, () => {
    let n = 0;
    const backends: RedisBackend[] = [];
    const open = async (): Promise<RedisBackend> => {
      const b = redisBackend({ connection: connect(), prefix: `x${++n}`, sweepIntervalMs: 100 });
      await b.open();
      backends.push(b);
      return b;
    };
    afterAll(async () => {
      for (const b of backends) await b.close();
    });

    it("names the call in errors: configureQueue settings and an empty unschedule name are refused, nothing changes", async () => {
      const b = await open();
      const bad = b.configureQueue("named", { maxAttempts: 0, capacity: -1 });
      await expect(bad).rejects.toMatchObject({ code: "MQ_INVALID_OPTIONS" });
      await expect(bad).rejects.toThrow(/^\[mq:configureQueue\]/);
      expect((await b.stats("named")).settings?.maxAttempts).toBe(5);
      await b.schedule("kept", { everyMs: 60_000, queue: "named", payload: 1 });
      await expect(b.unschedule("")).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT", message: expect.stringMatching(/^\[mq:unschedule\]/) });
      expect((await b.schedules()).map((s) => s.name)).toEqual(["kept"]);
      expect(await b.unschedule("kept")).toBe(true);
    });

    it("lists dead letters of every queue in the order they died, filters, pages stably, replays into another queue", async () => {
      const b = await open();
      const ids = [
        await kill(b, "alpha", "a1", true),
        await kill(b, "beta", "b1", false),
        await kill(b, "gamma", "g1", true),
        await kill(b, "alpha", "a2", false),
        await kill(b, "beta", "b2", true),
      ];
      const all = await b.deadLetters.list();
      expect(all.items.map((l) => l.message.id)).toEqual(ids);
      expect(all.nextCursor).toBeUndefined();
      expect((await b.deadLetters.list({ reason: "rejected" })).items.map((l) => l.message.payload)).toEqual(["a1", "g1", "b2"]);
      expect(await b.deadLetters.count({ reason: "max-retries" })).toBe(2);
      expect(await b.deadLetters.count({ queue: "alpha", reason: "rejected" })).toBe(1);

      // One at a time; a purge between pages skips nothing that stays.
      const p1 = await b.deadLetters.list({ limit: 2 });
      expect(p1.items.map((l) => l.message.id)).toEqual(ids.slice(0, 2));
      expect(await b.deadLetters.purge({ queue: "gamma" })).toBe(1);
      const p2 = await b.deadLetters.list({ limit: 2, cursor: p1.nextCursor! });
      expect(p2.items.map((l) => l.message.id)).toEqual([ids[3], ids[4]]);
      expect(p2.nextCursor).toBeUndefined();
      expect((await b.deadLetters.get(ids[1]!))?.queue).toBe("beta");
      expect(await b.deadLetters.get("nope")).toBeUndefined();

      // Different slots: on Cluster this replay takes the copy-then-delete path.
      expect(calculateSlot(b.keys.base("alpha"))).not.toBe(calculateSlot(b.keys.base("elsewhere")));
      const replayed = await b.deadLetters.replay({ queue: "alpha" }, { queue: "elsewhere" });
      expect(replayed.ids).toEqual([ids[0], ids[3]]);
      const got = await b.receive("elsewhere", { max: 10, leaseMs: 5_000 });
      expect(got.map((d) => [d.message.payload, d.message.queue, d.attempt])).toEqual([
        ["a1", "elsewhere", 1],
        ["a2", "elsewhere", 1],
      ]);
      await b.ack(got.map((d) => d.receipt));
      expect(await b.deadLetters.count()).toBe(2);
      expect(await b.queues()).toEqual(["alpha", "beta", "elsewhere", "gamma"]);
      const star = await b.stats("*");
      expect(star).toMatchObject({ queue: "*", ready: 0, inFlight: 0, deadLettered: 2 });
      expect(star.totals.acked).toBe(2);
      expect(star.totals.deadLettered).toBe(5);
    });

    it("emits leaseExpired, expired and deadLettered from its sweeps", async () => {
      const b = await open();
      const seen: string[] = [];
      b.events.on("leaseExpired", (e) => seen.push(`leaseExpired:${e.attempt}`));
      b.events.on("expired", (e) => seen.push(`expired:${e.queue}`));
      b.events.on("deadLettered", (e) => seen.push(`deadLettered:${e.reason}`));
      await b.configureQueue("short", { maxAttempts: 2 });
      await b.configureQueue("ttl", { onExpire: "dead-letter" });
      await b.enqueue([{ queue: "short", payload: 1 }, { queue: "ttl", payload: 2, ttlMs: 50 }]);
      await b.receive("short", { max: 1, leaseMs: 30 });
      await until(() => seen.includes("leaseExpired:1"));
      await until(async () => (await b.receive("short", { max: 1, leaseMs: 30 })).length === 1);
      await until(() => seen.includes("leaseExpired:2") && seen.includes("expired:ttl"));
      await until(() => seen.filter((s) => s.startsWith("deadLettered")).length === 2);
      expect(seen).toEqual(expect.arrayContaining(["deadLettered:max-retries", "deadLettered:expired"]));
      expect((await b.deadLetters.list({ queue: "short" })).items[0]?.error?.name).toBe("LeaseExpired");
      const s = await b.stats("short");
      expect([s.ready, s.inFlight, s.deadLettered, s.totals.delivered]).toEqual([0, 0, 1, 2]);
    });
  });
}

if (REDIS_SERVER === undefined) {
  describe("redis extras", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  let cluster: { nodes: RedisServer[]; destroy: () => Promise<void> };
  beforeAll(async () => {
    server = await RedisServer.start();
    cluster = await startCluster();
  });
  afterAll(async () => {
    await server?.destroy();
    await cluster?.destroy();
  });
  suite("single node", () => ({ host: "127.0.0.1", port: server.port }));
  suite("three-master cluster", () => ({ cluster: cluster.nodes.map((s) => ({ host: "127.0.0.1", port: s.port })) }));
}
