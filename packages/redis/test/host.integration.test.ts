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
}
