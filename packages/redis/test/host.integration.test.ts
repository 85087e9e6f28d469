import { MQ_ERROR_CODES, MqError, UnrecoverableError } from "@mq/core";
import { createQueueHost, type QueueHost } from "@mq/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

// createQueueHost({ backend: redisBackend(...) }): the same handlers, chaining,
// retries and dead letters as on the embedded engine, with two hosts sharing
// the queues.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

if (REDIS_SERVER === undefined) {
  describe("createQueueHost on redis", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  const hosts: QueueHost[] = [];
  beforeAll(async () => {
    server = await RedisServer.start({ appendfsync: "everysec" });
  });
  afterAll(async () => {
    for (const h of hosts) await h.stop().catch(() => undefined);
    await server?.destroy();
  });

  it("runs handlers, chaining and dead-lettering unchanged, with two hosts sharing the work", async () => {
    const handledBy = new Map<number, string>();
    const emails: { order: number; causationId: string | undefined; correlationId: string | undefined }[] = [];
    const makeHost = async (name: string): Promise<QueueHost> => {
      const host = createQueueHost({ backend: redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "host" }), queues: { orders: { maxAttempts: 2 } } });
      hosts.push(host);
      host.handle<{ order: number }>(
        "orders",
        (p, ctx) => {
          if (p.order < 0) throw new Error("refused");
          handledBy.set(p.order, name);
          ctx.publish("emails", { order: p.order });
        },
        { maxParallelism: 4, backoff: { type: "fixed", baseMs: 10 } },
      );
      host.handle<{ order: number }>("emails", (p, ctx) => void emails.push({ order: p.order, causationId: ctx.message.causationId, correlationId: ctx.message.correlationId }));
      await host.start();
      return host;
    };
    const a = await makeHost("a");
    const b = await makeHost("b");
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).enqueue("orders", { order: i }, { correlationId: `c-${i}` })));
    const bad = await a.enqueue("orders", { order: -1 });
    await until(() => emails.length === 40);
    expect([...handledBy.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const e of emails) {
      expect(e.causationId).toBe(results[e.order]!.id);
      expect(e.correlationId).toBe(`c-${e.order}`);
    }
    await until(async () => (await a.backend.deadLetters.get(bad.id)) !== undefined);
    const letter = await b.backend.deadLetters.get(bad.id);
    expect(letter).toMatchObject({ queue: "orders", reason: "max-retries", error: { message: "refused" } });
    expect(letter?.attemptTimestamps).toHaveLength(2);
    const stats = await a.backend.stats("*");
    expect([stats.ready, stats.inFlight]).toEqual([0, 0]);
  });

  it("gives the host's job API over Redis: schedules, lookup, cancel, progress, results and waitForResult across hosts", async () => {
    const connection = { host: "127.0.0.1", port: server.port };
    const queues = { reports: { keepCompleted: { count: 100 } } };
    // The producer handles nothing; the worker (another backend, as another process would be) runs the handler.
    const producer = createQueueHost({ backend: redisBackend({ connection, prefix: "jobs-api", sweepIntervalMs: 100 }), queues });
    const worker = createQueueHost({ backend: redisBackend({ connection, prefix: "jobs-api", sweepIntervalMs: 100 }), queues });
    hosts.push(producer, worker);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    worker.handle<{ n: number; gate?: boolean; fail?: boolean }>("reports", async (p, ctx) => {
      ctx.progress({ started: p.n });
      if (p.gate === true) await gate;
      if (p.fail === true) throw new UnrecoverableError("bad report");
      return { doubled: p.n * 2 };
    });
    await producer.start();
    await worker.start();

    // Results and waitForResult, with the handler in the other host.
    const one = await producer.enqueue("reports", { n: 21 });
    await expect(producer.waitForResult(one.id, { timeoutMs: 15_000 })).resolves.toMatchObject({ id: one.id, queue: "reports", result: { doubled: 42 } });
    expect(await producer.result(one.id)).toMatchObject({ result: { doubled: 42 } });
    expect(await producer.getMessage("reports", one.id)).toMatchObject({ state: "completed", result: { doubled: 42 } });
    const failing = await producer.enqueue("reports", { n: 0, fail: true });
    const rejected = await producer.waitForResult(failing.id, { timeoutMs: 15_000 }).then(() => undefined, (e: unknown) => e);
    expect(MqError.isInstance(rejected) && rejected.code).toBe(MQ_ERROR_CODES.UNRECOVERABLE);
    expect(await producer.getMessage("reports", failing.id)).toMatchObject({ state: "dead-lettered", deadLetterReason: "rejected", lastError: { message: "bad report" } });

    // Progress is visible from the producer while the worker runs; an in-flight message cannot be cancelled.
    const held = await producer.enqueue("reports", { n: 5, gate: true });
    await until(async () => (await producer.getMessage("reports", held.id)).progress !== undefined);
    expect(await producer.getMessage("reports", held.id)).toMatchObject({ state: "in-flight", attempts: 1, progress: { started: 5 } });
    const refused = await producer.cancel("reports", held.id).then(() => undefined, (e: unknown) => e);
    expect(MqError.isInstance(refused) && refused.code).toBe(MQ_ERROR_CODES.IN_FLIGHT);
    const later = await producer.enqueue("reports", { n: 6 }, { delayMs: 600_000 });
    expect((await producer.getMessage("reports", later.id)).state).toBe("delayed");
    await producer.cancel("reports", later.id);
    expect((await producer.getMessage("reports", later.id)).state).toBe("unknown");
    release();
    await expect(producer.waitForResult(held.id, { timeoutMs: 15_000 })).resolves.toMatchObject({ result: { doubled: 10 } });

    // A schedule made through one host fires through the handler of the other.
    const info = await producer.schedule("nightly", { everyMs: 200, queue: "reports", payload: { n: 100 } });
    expect((await worker.schedules()).map((s) => s.name)).toEqual(["nightly"]);
    await until(async () => (await producer.schedules())[0]?.lastFireAt !== undefined && (await worker.stats("reports")).totals.acked >= 3);
    expect(await producer.unschedule("nightly")).toBe(true);
    expect(await producer.schedules()).toEqual([]);
    expect(info.nextFireAt).toBeGreaterThan(0);
  });
}
