import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend, type RedisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

// Rate limits on Redis in real time, with two backends (two connections and
// origins, as two processes would have) sharing one queue: the token buckets
// live in Redis, so the bound holds for their combined starts. Only upper
// bounds are asserted (the bucket's), never how fast anything ran.
const sleep = (ms: number): Promise<void> =>
  new Promise((r) => setTimeout(r, ms));
const LEASE = 60_000;

if (REDIS_SERVER === undefined) {
  describe("redis rate limits", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  let n = 0;
  const opened: RedisBackend[] = [];
  const open = async (prefix: string): Promise<RedisBackend> => {
    const b = redisBackend({
      connection: { host: "127.0.0.1", port: server.port },
      prefix,
      sweepIntervalMs: 200,
    });
    await b.open();
    opened.push(b);
    return b;
  };
  const pair = async (): Promise<[RedisBackend, RedisBackend]> => {
    const prefix = `rl${++n}`;
    return [await open(prefix), await open(prefix)];
  };
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    for (const b of opened) await b.close().catch(() => undefined);
    await server?.destroy();
  });

  /** Receives and acks on `b` until `endAt`, recording each start's group (or "-"). */
  async function consume(
    b: RedisBackend,
    queue: string,
    endAt: number,
    starts: string[]
  ): Promise<void> {
    while (Date.now() < endAt) {
      const got = await b.receive(queue, {
        max: 10,
        leaseMs: LEASE,
        waitMs: Math.max(1, Math.min(250, endAt - Date.now())),
      });
      for (const d of got) starts.push(d.message.group ?? "-");
      if (got.length > 0) await b.ack(got.map((d) => d.receipt));
    }
  }

  it("a queue rate limit holds across two backends sharing the queue", async () => {
    const [a, b] = await pair();
    await a.configureQueue("q", { rateLimit: { max: 20, perMs: 1_000 } });
    await a.enqueue(
      Array.from({ length: 300 }, (_, i) => ({ queue: "q", payload: i }))
    );
    const starts: string[] = [];
    const began = Date.now();
    const endAt = began + 3_000;
    await Promise.all([
      consume(a, "q", endAt, starts),
      consume(b, "q", endAt, starts),
    ]);
    const windows = Math.ceil((Date.now() - began) / 1_000);
    expect(starts.length).toBeGreaterThan(0);
    // A full bucket (burst of max) plus max per elapsed window, for both backends together.
    expect(starts.length).toBeLessThanOrEqual(20 * windows + 20);
    const s = await b.stats("q");
    expect(s.throttled?.rateLimit).toBeGreaterThan(0);
    expect(s.settings?.rateLimit).toEqual({ max: 20, perMs: 1_000 });
  });

  it("an empty bucket holds starts back and is counted; a group's head waits as throttled", async () => {
    const [a] = await pair();
    await a.configureQueue("q", { rateLimit: { max: 2, perMs: 60_000 }, groupRateLimit: { max: 1, perMs: 60_000 } });
    await a.enqueue(Array.from({ length: 4 }, (_, i) => ({ queue: "q", payload: i })));
    expect(await a.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(2);
    expect(await a.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(0);
    const s = await a.stats("q");
    expect(s.throttled?.rateLimit).toBeGreaterThan(0);
    expect(s.settings).toMatchObject({ rateLimit: { max: 2, perMs: 60_000 }, groupRateLimit: { max: 1, perMs: 60_000 }, maxInFlight: null, maxAttempts: 5 });

    await a.configureQueue("g", { groupRateLimit: { max: 1, perMs: 60_000 } });
    await a.enqueue([
      { queue: "g", payload: "a1", group: "a" },
      { queue: "g", payload: "a2", group: "a" },
      { queue: "g", payload: "b1", group: "b" },
    ]);
    const first = await a.receive("g", { max: 10, leaseMs: LEASE });
    expect(first.map((d) => d.message.payload).sort()).toEqual(["a1", "b1"]);
    await a.ack(first.map((d) => d.receipt));
    expect(await a.receive("g", { max: 10, leaseMs: LEASE })).toEqual([]);
    const held = await a.stats("g");
    expect(held.groups?.throttled).toBe(1);
    expect(held.throttled?.groupRateLimit).toBeGreaterThan(0);
    expect((await a.stats("*")).throttled?.rateLimit).toBeGreaterThan(0);
  });

  it("a group rate limit holds each group across two consumers", async () => {
    const [a, b] = await pair();
    await a.configureQueue("q", { groupRateLimit: { max: 2, perMs: 1_000 } });
    await a.enqueue(
      ["x", "y"].flatMap((group) =>
        Array.from({ length: 30 }, (_, i) => ({
          queue: "q",
          payload: i,
          group,
        }))
      )
    );
    const starts: string[] = [];
    const began = Date.now();
    const endAt = began + 2_500;
    await Promise.all([
      consume(a, "q", endAt, starts),
      consume(b, "q", endAt, starts),
    ]);
    const windows = Math.ceil((Date.now() - began) / 1_000);
    for (const group of ["x", "y"]) {
      const count = starts.filter((g) => g === group).length;
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(2 * windows + 2);
    }
    expect((await a.stats("q")).throttled?.groupRateLimit).toBeGreaterThan(0);
  });

  it("a long poll held back by the rate limit wakes when the bucket refills, without polling Redis", async () => {
    // A private server, so the command count sees only this backend.
    const own = await RedisServer.start();
    const a = redisBackend({
      connection: { host: "127.0.0.1", port: own.port },
      prefix: "poll",
      sweepIntervalMs: 200,
    });
    await a.open();
    try {
      await a.configureQueue("q", { rateLimit: { max: 1, perMs: 1_500 } });
      await a.enqueue([
        { queue: "q", payload: 1 },
        { queue: "q", payload: 2 },
      ]);
      expect(await a.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(1);
      const calls = async (): Promise<number> => {
        const info = await a.client.info("commandstats");
        return [
          ...info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g),
        ].reduce((sum, m) => sum + Number(m[1]), 0);
      };
      const before = await calls();
      const got = await a.receive("q", {
        max: 10,
        leaseMs: LEASE,
        waitMs: 30_000,
      });
      expect(got.map((d) => d.message.payload)).toEqual([2]);
      // ~1.5 s of waiting: a few leases and scheduler sweeps, not a busy loop.
      expect((await calls()) - before).toBeLessThan(60);
    } finally {
      await a.close();
      await own.destroy();
    }
  });

  it("lifting the limit at runtime wakes a receive waiting in another backend", async () => {
    const [a, b] = await pair();
    await a.configureQueue("q", { rateLimit: { max: 1, perMs: 600_000 } });
    await a.enqueue(
      Array.from({ length: 3 }, (_, i) => ({ queue: "q", payload: i }))
    );
    expect(await a.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(1);
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(0);
    const waiting = b.receive("q", { max: 10, leaseMs: LEASE, waitMs: 30_000 });
    await sleep(100);
    await a.configureQueue("q", { rateLimit: null });
    expect(await waiting).toHaveLength(2);
    expect((await b.stats("q")).settings?.rateLimit).toBeNull();
  });

  it("group buckets expire once refilled, so many groups leave no keys behind", async () => {
    const [a] = await pair();
    await a.configureQueue("q", { groupRateLimit: { max: 1, perMs: 300 } });
    await a.enqueue(
      Array.from({ length: 200 }, (_, i) => ({
        queue: "q",
        payload: i,
        group: `g${i}`,
      }))
    );
    let leased = 0;
    for (let k = 0; k < 20 && leased < 200; k++)
      leased += (await a.receive("q", { max: 100, leaseMs: LEASE })).length;
    expect(leased).toBe(200);
    const bucketKeys = async (): Promise<number> =>
      (await a.client.keys(`${a.keys.base("q")}:gb:*`)).length;
    expect(await bucketKeys()).toBe(200);
    await sleep(800);
    expect(await bucketKeys()).toBe(0);
  });
}
