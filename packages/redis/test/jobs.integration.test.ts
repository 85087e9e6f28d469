import { MQ_ERROR_CODES, MqError, type Delivery } from "@mq/core";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { redisBackend, type RedisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON, startCluster } from "./redis-server";

// The job features' Redis-specific parts: retention bounds under a flood,
// events across processes (two backends = two origins), schedule fires that
// survive a crash between their two steps, cron, and per-message limits on
// the sweeper's path. The shared behaviour is in the conformance suite.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

if (REDIS_SERVER === undefined) {
  describe("redis jobs", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  let cluster: { nodes: RedisServer[]; destroy: () => Promise<void> } | undefined;
  let n = 0;
  const open: RedisBackend[] = [];
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await RedisServer.start({ appendfsync: "everysec" });
  });
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close().catch(() => undefined);
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await server?.destroy();
    await cluster?.destroy();
  });

  const backend = async (prefix: string, options: { client?: Redis; cluster?: number[] } = {}): Promise<RedisBackend> => {
    const b = redisBackend({
      ...(options.client !== undefined ? { client: options.client } : options.cluster !== undefined ? { connection: { cluster: options.cluster.map((port) => ({ host: "127.0.0.1", port })) } } : { connection: { host: "127.0.0.1", port: server.port } }),
      prefix,
      sweepIntervalMs: 100,
    });
    await b.open();
    open.push(b);
    return b;
  };
  const fresh = (): string => `jobs${++n}`;

  it("keeps completions bounded by count under a flood, and drops them by age", async () => {
    const b = await backend(fresh());
    await b.configureQueue("flood", { keepCompleted: { count: 50 } });
    const ids: string[] = [];
    for (let round = 0; round < 10; round++) {
      const res = await b.enqueue(Array.from({ length: 200 }, (_, i) => ({ queue: "flood", payload: round * 200 + i })));
      ids.push(...res.map((r) => r.id));
      const got = await b.receive("flood", { max: 200, leaseMs: 60_000 });
      await b.ack(got.map((g) => g.receipt), [], { results: got.map((g) => g.message.payload) });
    }
    const keys = b.keys.base("flood");
    const c = new Redis(server.port, "127.0.0.1");
    clients.push(c);
    expect(await c.zcard(`${keys}:cd`)).toBe(50);
    expect(await c.hlen(`${keys}:cv`)).toBe(50);
    expect((await b.completion(ids.at(-1)!))?.result).toBe(1_999);
    expect(await b.completion(ids[0]!)).toBeUndefined();

    // One ack of 5,000 into a queue that keeps 1: the trim drops thousands in one call.
    await b.configureQueue("tiny", { keepCompleted: { count: 1 } });
    await b.enqueue(Array.from({ length: 5_000 }, (_, i) => ({ queue: "tiny", payload: i })));
    const many = await b.receive("tiny", { max: 5_000, leaseMs: 60_000 });
    await b.ack(many.map((g) => g.receipt), [], { results: many.map((g) => g.message.payload) });
    expect(await c.zcard(`${b.keys.base("tiny")}:cd`)).toBe(1);

    await b.configureQueue("aged", { keepCompleted: { ageMs: 300 } });
    const [r] = await b.enqueue([{ queue: "aged", payload: 1 }]);
    const [d] = await b.receive("aged", { max: 1, leaseMs: 60_000 });
    await b.ack([d!.receipt], [], { results: [{ ok: true }] });
    expect(await b.getMessage("aged", r!.id)).toMatchObject({ state: "completed", result: { ok: true } });
    await sleep(400);
    expect(await b.completion(r!.id)).toBeUndefined();
    expect((await b.getMessage("aged", r!.id)).state).toBe("unknown");
  });

  it("tells every process sharing the Redis of completions and dead letters on kept queues", async () => {
    const prefix = fresh();
    const worker = await backend(prefix);
    const watcher = await backend(prefix);
    await worker.configureQueue("kept", { keepCompleted: {}, maxAttempts: 1 });
    const seen: string[] = [];
    watcher.events.on("completed", (e) => seen.push(`completed:${e.id}:${JSON.stringify(e.result)}`));
    watcher.events.on("deadLettered", (e) => seen.push(`dead:${e.id}:${e.reason}`));
    const local: string[] = [];
    worker.events.on("completed", (e) => local.push(`completed:${e.id}`));
    worker.events.on("deadLettered", (e) => local.push(`dead:${e.id}`));
    const [ok, bad] = await watcher.enqueue([
      { queue: "kept", payload: "ok" },
      { queue: "kept", payload: "bad" },
    ]);
    const got = await worker.receive("kept", { max: 2, leaseMs: 60_000 });
    const byPayload = new Map(got.map((g) => [g.message.payload, g] as [unknown, Delivery]));
    await worker.ack([byPayload.get("ok")!.receipt], [], { results: [{ total: 42 }] });
    await worker.nack(byPayload.get("bad")!.receipt, { reason: { name: "Error", message: "no" } });
    await until(() => seen.length === 2);
    expect(seen.sort()).toEqual([`completed:${ok!.id}:{"total":42}`, `dead:${bad!.id}:max-retries`].sort());
    // Each process hears each event once: its own from the script's reply, others' from the announcement.
    await sleep(100);
    expect(local.sort()).toEqual([`completed:${ok!.id}`, `dead:${bad!.id}`].sort());
  });

  it("sends handler results only for queues that keep completions, learning of one configured by another process", async () => {
    const prefix = fresh();
    const worker = await backend(prefix);
    const admin = await backend(prefix);
    const ackOnce = async (): Promise<unknown> => {
      const [r] = await worker.enqueue([{ queue: "later-kept", payload: 1 }]);
      const [d] = await worker.receive("later-kept", { max: 1, leaseMs: 60_000 });
      await worker.ack([d!.receipt], [], { results: ["value"] });
      return (await worker.completion(r!.id))?.result;
    };
    expect(await ackOnce()).toBeUndefined(); // not kept: nothing stored (and no result encoded or sent)
    await admin.configureQueue("later-kept", { keepCompleted: { count: 10 } });
    // The worker hears of it by announcement (or at its next schedule look-up).
    let result: unknown;
    await until(async () => (result = await ackOnce()) !== undefined, 10_000);
    expect(result).toBe("value");
  });

  it("keeps progress while a delivery runs, clears it on a retry, and keeps the retry's error", async () => {
    const b = await backend(fresh());
    const [r] = await b.enqueue([{ queue: "p", payload: 1, maxAttempts: 3, backoff: { type: "fixed", baseMs: 5 } }]);
    const [d] = await b.receive("p", { max: 1, leaseMs: 60_000 });
    expect(d!.message).toMatchObject({ maxAttempts: 3, backoff: { type: "fixed", baseMs: 5 } });
    const events: unknown[] = [];
    b.events.on("progress", (e) => events.push(e.value));
    await b.progress(d!.receipt, { step: 1 });
    await b.progress(d!.receipt, { step: 2 });
    expect(events).toEqual([{ step: 1 }, { step: 2 }]);
    expect(await b.getMessage("p", r!.id)).toMatchObject({ state: "in-flight", attempts: 1, progress: { step: 2 } });
    await b.nack(d!.receipt, { delayMs: 60_000, reason: { name: "Error", message: "flaky" } });
    const info = await b.getMessage("p", r!.id);
    expect(info).toMatchObject({ state: "delayed", attempts: 1, lastError: { message: "flaky" } });
    expect(info.progress).toBeUndefined();
    expect(info.availableAt).toBeGreaterThan(info.enqueuedAt!);
  });

  it("dead-letters on an expired lease by the message's own maxAttempts", async () => {
    const b = await backend(fresh());
    const [r] = await b.enqueue([{ queue: "l", payload: 1, maxAttempts: 1 }]);
    await b.receive("l", { max: 1, leaseMs: 50 });
    await until(async () => (await b.getMessage("l", r!.id)).state === "dead-lettered");
    expect(await b.getMessage("l", r!.id)).toMatchObject({ deadLetterReason: "max-retries", attempts: 1, lastError: { name: "LeaseExpired" } });
  });

  it("fires a schedule once per fire time when the process dies between enqueuing a fire and moving the schedule on", async () => {
    const prefix = fresh();
    const client = new Redis(server.port, "127.0.0.1");
    clients.push(client);
    const b = await backend(prefix, { client });
    // Fault injection: the first advance of the schedule is lost, as if the process died right after the fire.
    const fn = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const real = fn.mqOp_sadvBuffer!.bind(client);
    let dropped = 0;
    fn.mqOp_sadvBuffer = (...args: unknown[]) => {
      if (dropped === 0) {
        dropped++;
        return Promise.reject(new Error("connection lost (injected)"));
      }
      return real(...args);
    };
    const errors: string[] = [];
    b.events.on("error", (e) => errors.push(e.message));
    const info = await b.schedule("once", { everyMs: 300, queue: "fired", payload: "tick", catchUp: "all" });
    await until(async () => (await b.schedules())[0]!.lastFireAt !== undefined);
    expect(dropped).toBe(1);
    await b.unschedule("once");
    const got = await b.receive("fired", { max: 100, leaseMs: 60_000 });
    const times = got.map((g) => Number(g.message.headers!["mq-fire-at"]));
    expect(times[0]).toBe(info.nextFireAt);
    expect(new Set(times).size).toBe(times.length);
    expect(errors.some((m) => m.includes("injected"))).toBe(true);
  });

  it("fires cron schedules on the pattern's times, and validates specs like the embedded engine", async () => {
    const b = await backend(fresh());
    const info = await b.schedule("every-second", { cron: "* * * * * *", queue: "cron", payload: { n: 1 }, options: { priority: 3 } });
    expect(info.nextFireAt % 1000).toBe(0);
    await until(async () => (await b.stats("cron")).ready >= 2);
    const got = await b.receive("cron", { max: 10, leaseMs: 60_000 });
    const times = got.map((g) => Number(g.message.headers!["mq-fire-at"]));
    expect(times.every((t) => t % 1000 === 0)).toBe(true);
    expect(got[0]!.message.priority).toBe(3);
    const code = async (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: unknown) => (MqError.isInstance(e) ? e.code : String(e)));
    expect(await code(b.schedule("bad", { cron: "not a cron", queue: "x", payload: 1 }))).toBe(MQ_ERROR_CODES.INVALID_ARGUMENT);
    expect(await code(b.schedule("bad", { everyMs: 10, cron: "* * * * *", queue: "x", payload: 1 }))).toBe(MQ_ERROR_CODES.INVALID_ARGUMENT);
    expect(await code(b.schedule("bad", { everyMs: 10, queue: "x", payload: 1, options: { nope: 1 } as never }))).toBe(MQ_ERROR_CODES.INVALID_ARGUMENT);
    expect(await b.unschedule("missing")).toBe(false);
  });

  it("on a Redis Cluster: finds completions in any slot and fires schedules into another slot than theirs", async () => {
    cluster = await startCluster();
    const ports = cluster.nodes.map((s) => s.port);
    const prefix = fresh();
    const b = await backend(prefix, { cluster: ports });
    const queues = ["alpha", "beta", "gamma", "delta"];
    for (const q of queues) await b.configureQueue(q, { keepCompleted: { count: 10 } });
    const ids: string[] = [];
    for (const q of queues) {
      const [r] = await b.enqueue([{ queue: q, payload: q }]);
      ids.push(r!.id);
      const [d] = await b.receive(q, { max: 1, leaseMs: 60_000 });
      await b.ack([d!.receipt], [], { results: [`${q}!`] });
    }
    for (let i = 0; i < queues.length; i++) expect(await b.completion(ids[i]!)).toMatchObject({ queue: queues[i], result: `${queues[i]}!` });
    await b.schedule("c", { everyMs: 200, queue: "gamma", payload: "s" });
    await until(async () => (await b.stats("gamma")).ready >= 1);
    await b.unschedule("c");
  });
}
