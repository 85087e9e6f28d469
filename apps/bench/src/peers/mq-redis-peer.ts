import { createQueueHost, type QueueHost } from "@mq/host";
import { redisBackend } from "@mq/redis";
import { startConsumers, type StartedConsumers } from "../consumer-processes";
import { MQ_REDIS_QUEUE } from "../consumer-protocol";
import { flushAll } from "../flush-redis";
import type { BenchPayload } from "../payload";
import type { Peer, PeerSession } from "../peer";
import type { RedisServer } from "../redis-server";
import { ALL_WORKLOADS } from "../workloads";

/** Key prefix of the @mq/redis peer (FLUSHALL empties it between workloads anyway). */
const PREFIX = "mqbench";

/**
 * @mq on Redis: `createQueueHost({ backend: redisBackend({ connection, prefix }) })`
 * with default options except, for concurrency above 1, the handler's
 * `maxParallelism`, against a redis-server the caller started and stops
 * (the same one BullMQ runs on). Each workload starts on an emptied Redis.
 */
export function createMqRedisPeer(server: RedisServer, backendModule?: string): Peer {
  return {
    id: server.appendfsync === "always" ? "mq-redis-always" : "mq-redis-everysec",
    settings: `redis-server --appendonly yes --appendfsync ${server.appendfsync} --save "" (port ${server.port}); createQueueHost({ backend: redisBackend({ connection: { host, port }, prefix: "${PREFIX}" }) }); handle(queue, noop, { maxParallelism: <concurrency> }); 3 processes: one such host each`,
    workloads: ALL_WORKLOADS,
    openSession: () => openMqRedisSession(server, backendModule),
    dispose: () => Promise.resolve(),
  };
}

/** `backendModule`: another build of @mq/redis (diagnostics, src/redis-focus.ts); its consumer processes use it too. */
async function openMqRedisSession(server: RedisServer, backendModule?: string): Promise<PeerSession> {
  await flushAll(server);
  const make = backendModule === undefined ? redisBackend : ((await import(backendModule)) as { redisBackend: typeof redisBackend }).redisBackend;
  const host: QueueHost = createQueueHost({ backend: make({ connection: { host: server.host, port: server.port }, prefix: PREFIX }) });
  await host.start();
  let consumers: StartedConsumers | undefined;
  let closed = false;
  return {
    async enqueue(payload) {
      await host.enqueue(MQ_REDIS_QUEUE, payload);
    },
    async enqueueBatch(payloads) {
      await host.enqueueBatch(payloads.map((payload) => ({ queue: MQ_REDIS_QUEUE, payload })));
    },
    consume(concurrency, onStart, onDone) {
      // `succeeded` is emitted after the ack resolved, i.e. once Redis replied.
      host.dispatcher.events.on("succeeded", onDone);
      host.handle<BenchPayload>(
        MQ_REDIS_QUEUE,
        async (payload) => {
          onStart(payload);
          await Promise.resolve();
        },
        concurrency > 1 ? { maxParallelism: concurrency } : {},
      );
      return Promise.resolve();
    },
    async startConsumerProcesses(processes, concurrency, onDone, onStart) {
      // Children inherit the environment: point them at the same build, only while they start.
      if (backendModule !== undefined) process.env.MQ_BENCH_REDIS_MODULE = backendModule;
      try {
        consumers = await startConsumers(processes, { kind: "mq-redis", port: server.port, queue: PREFIX, concurrency }, onDone, onStart);
      } finally {
        delete process.env.MQ_BENCH_REDIS_MODULE;
      }
      return consumers;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await consumers?.stop();
      } finally {
        await host.stop();
      }
    },
  };
}
