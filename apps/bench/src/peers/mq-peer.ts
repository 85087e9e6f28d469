import { createQueueHost, type QueueHost } from "@mq/host";
import type { BenchPayload } from "../payload";
import type { Peer, PeerSession } from "../peer";
import { makeTempDir, removeTempDir } from "../temp-dir";
import { EMBEDDED_WORKLOADS } from "../workloads";

const QUEUE = "bench";

/**
 * @mq through its public API (`createQueueHost`, `enqueue`, `enqueueBatch`,
 * `handle`) with default options except `dataDir` (a new temp folder per
 * workload), `durability` and, for concurrency above 1, the handler's
 * `maxParallelism`.
 */
export function createMqPeer(durability: "batch" | "interval"): Peer {
  return {
    id: durability === "batch" ? "mq-batch" : "mq-interval",
    settings: `createQueueHost({ dataDir: <new temp folder>, durability: "${durability}" }); handle(queue, noop, { maxParallelism: <concurrency> })`,
    workloads: EMBEDDED_WORKLOADS,
    openSession: () => openMqSession(durability),
    dispose: () => Promise.resolve(),
  };
}

async function openMqSession(durability: "batch" | "interval"): Promise<PeerSession> {
  const dataDir = makeTempDir(`mq-${durability}`);
  const host: QueueHost = createQueueHost({ dataDir, durability });
  try {
    await host.start();
  } catch (error) {
    removeTempDir(dataDir);
    throw error;
  }
  let closed = false;
  return {
    async enqueue(payload) {
      await host.enqueue(QUEUE, payload);
    },
    async enqueueBatch(payloads) {
      await host.enqueueBatch(payloads.map((payload) => ({ queue: QUEUE, payload })));
    },
    consume(concurrency, onStart, onDone) {
      // `succeeded` is emitted after the ack resolved, i.e. once it is durable
      // in this durability mode (see @mq/dispatcher's invocation and README).
      host.dispatcher.events.on("succeeded", onDone);
      host.handle<BenchPayload>(
        QUEUE,
        async (payload) => {
          onStart(payload);
          await Promise.resolve();
        },
        concurrency > 1 ? { maxParallelism: concurrency } : {},
      );
      return Promise.resolve();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await host.stop();
      } finally {
        removeTempDir(dataDir);
      }
    },
  };
}
