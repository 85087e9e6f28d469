import { Queue, Worker } from "bullmq";
import { startConsumers, type StartedConsumers } from "../consumer-processes";
import { flushAll } from "../flush-redis";
import type { BenchPayload } from "../payload";
import type { Peer, PeerSession } from "../peer";
import type { RedisServer } from "../redis-server";
import { ALL_WORKLOADS } from "../workloads";

const QUEUE = "bench";
const JOB_NAME = "job";

/**
 * BullMQ with default Queue, Worker and job options except the Worker's
 * `concurrency`, against a redis-server the caller started (loopback,
 * private data folder, `appendonly yes`, `save ""`, its `appendfsync`) and
 * stops. Each workload starts on an emptied Redis (FLUSHALL).
 */
export function createBullmqPeer(server: RedisServer): Peer {
  const connection = { host: server.host, port: server.port };
  return {
    id: server.appendfsync === "always" ? "bullmq-always" : "bullmq-everysec",
    settings: `redis-server --appendonly yes --appendfsync ${server.appendfsync} --save "" (port ${server.port}); new Queue(name, { connection }); new Worker(name, noop, { connection, concurrency: <concurrency> }); 3 processes: one such Worker each`,
    workloads: ALL_WORKLOADS,
    openSession: () => openBullmqSession(server, connection),
    dispose: () => Promise.resolve(),
  };
}

async function openBullmqSession(server: RedisServer, connection: { host: string; port: number }): Promise<PeerSession> {
  await flushAll(server);
  const queue = new Queue<BenchPayload>(QUEUE, { connection });
  await queue.waitUntilReady();
  let worker: Worker<BenchPayload> | undefined;
  let consumers: StartedConsumers | undefined;
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
    async startConsumerProcesses(processes, concurrency, onDone, onStart) {
      consumers = await startConsumers(processes, { kind: "bullmq", port: server.port, queue: QUEUE, concurrency }, onDone, onStart);
      return consumers;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await consumers?.stop();
        await worker?.close();
      } finally {
        await queue.close();
      }
    },
  };
}
