import type { BenchPayload } from "./payload";
import type { WorkloadId } from "./workloads";

/** The systems compared, each in one durability setting. */
export const PEER_IDS = ["bullmq-everysec", "bullmq-always", "mq-redis-everysec", "mq-redis-always", "mq-batch", "mq-interval"] as const;
export type PeerId = (typeof PEER_IDS)[number];

/** Human labels for tables and charts. */
export const PEER_LABELS: Record<PeerId, string> = {
  "bullmq-everysec": "BullMQ everysec",
  "bullmq-always": "BullMQ always",
  "mq-redis-everysec": "@mq/redis everysec",
  "mq-redis-always": "@mq/redis always",
  "mq-batch": "@mq batch",
  "mq-interval": "@mq interval",
};

/** The products (`--only` filters on them): @mq embedded, @mq on Redis, BullMQ. */
export const PRODUCTS = ["mq", "mq-redis", "bullmq"] as const;
export type Product = (typeof PRODUCTS)[number];

/** Which product a peer belongs to. */
export function productOf(id: PeerId): Product {
  return id.startsWith("mq-redis-") ? "mq-redis" : id.startsWith("mq-") ? "mq" : "bullmq";
}

/** Whether the peer runs on a redis-server this app starts. */
export function runsOnRedis(id: PeerId): boolean {
  return productOf(id) !== "mq";
}

/**
 * Consumer processes started by a session, idle until `go()` (so the timed
 * drain starts when every process is connected and the queue is full).
 */
export interface ConsumerProcesses {
  /** Register the handlers in every process. */
  go(): void;
}

/**
 * One system under test, as a workload sees it. Each workload opens a fresh
 * session (new data folder for @mq, an emptied Redis for BullMQ) and closes it.
 * @remarks Deliberately the smallest surface both products share: no
 * priorities, delays, retries or dedup, which the workloads do not use.
 */
export interface PeerSession {
  /** Enqueue one message; resolves when the system says it is stored (durably, per its setting). */
  enqueue(payload: BenchPayload): Promise<void>;
  /** Enqueue many messages in one call (`enqueueBatch` / `addBulk`). */
  enqueueBatch(payloads: readonly BenchPayload[]): Promise<void>;
  /**
   * Start a no-op handler at `concurrency`. `onStart` runs first thing in the
   * handler; `onDone` runs once the system reports the message's completion as
   * recorded (@mq: the ack resolved, i.e. durable; BullMQ: the job is stored
   * as completed). Resolves when the consumer is ready.
   */
  consume(concurrency: number, onStart: (payload: BenchPayload) => void, onDone: () => void): Promise<void>;
  /**
   * Only on Redis peers: start `processes` child processes, each a consumer
   * at `concurrency` on this session's queue; `onDone(n)` reports `n` more
   * completions recorded (the same event as `consume`'s `onDone`);
   * `onStart(i, ms)` a handler start on a payload stamped with `t` (its
   * enqueue → start time, measured in the child). Resolves
   * once every process is connected; they take work after `go()`. `close()`
   * stops them.
   */
  startConsumerProcesses?(processes: number, concurrency: number, onDone: (count: number) => void, onStart?: (i: number, ms: number) => void): Promise<ConsumerProcesses>;
  /** Stop consumers and release everything the session holds. */
  close(): Promise<void>;
}

/** A factory for sessions of one peer. */
export interface Peer {
  readonly id: PeerId;
  /** The options changed from the product's defaults, for the report. */
  readonly settings: string;
  /** The workloads it runs (the multi-process drain only on Redis peers). */
  readonly workloads: readonly WorkloadId[];
  openSession(): Promise<PeerSession>;
  /** Release what the peer holds across sessions (the redis-server). */
  dispose(): Promise<void>;
}
