import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { BenchPayload } from "../payload";
import type { Peer, PeerSession } from "../peer";
import { startRedisServer, type AppendFsync, type RedisServer } from "../redis-server";

const QUEUE = "bench";
const JOB_NAME = "job";

/**
 * BullMQ with default Queue, Worker and job options except the Worker's
 * `concurrency`, against a redis-server this process starts (loopback,
 * private data folder, `appendonly yes`, `save ""`, the given `appendfsync`).
 * Each workload starts on an emptied Redis (FLUSHALL).
 */
export async function createBullmqPeer(appendfsync: AppendFsync): Promise<Peer> {
  const server = await startRedisServer(appendfsync);
  const connection = { host: server.host, port: server.port };
  return {
    id: appendfsync === "always" ? "bullmq-always" : "bullmq-everysec",
    settings: `redis-server --appendonly yes --appendfsync ${appendfsync} --save "" (port ${server.port}); new Queue(name, { connection }); new Worker(name, noop, { connection, concurrency: <concurrency> })`,
    openSession: () => openBullmqSession(server, connection),
    dispose: () => server.stop(),
  };
}

async function openBullmqSession(server: RedisServer, connection: { host: string; port: number }): Promise<PeerSession> {
  await flushAll(server);
  const queue = new Queue<BenchPayload>(QUEUE, { connection });
  await queue.waitUntilReady();
  let worker: Worker<BenchPayload> | undefined;
  let closed = false;
  return {
    async enqueue(payload) {
      await queue.add(JOB_NAME, payload);
    },
    async enqueueBatch(payloads) {
      await queue.addBulk(payloads.map((data) => ({ name: JOB_NAME, data })));
    },
    async consume(concurrency, onStart, onDone) {
      worker = new Worker<BenchPayload>(
        QUEUE,
        async (job) => {
          onStart(job.data);
          await Promise.resolve();
        },
        concurrency > 1 ? { connection, concurrency } : { connection },
      );
      // 'completed' fires after the job was moved to the completed set in Redis.
      worker.on("completed", onDone);
      worker.on("error", () => undefined); // a failed command surfaces as a workload timeout, not a crash
      await worker.waitUntilReady();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await worker?.close();
      } finally {
        await queue.close();
      }
    },
  };
}

/** Empty Redis between workloads so each starts alike (and memory stays bounded). */
async function flushAll(server: RedisServer): Promise<void> {
  const client = new Redis({ host: server.host, port: server.port, lazyConnect: true, maxRetriesPerRequest: 3 });
  try {
    await client.connect();
    await client.flushall();
  } finally {
    client.disconnect();
  }
}
