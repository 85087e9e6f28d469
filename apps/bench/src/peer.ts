import type { BenchPayload } from "./payload";

/** The systems compared, each in one durability setting. */
export const PEER_IDS = ["bullmq-everysec", "bullmq-always", "mq-batch", "mq-interval"] as const;
export type PeerId = (typeof PEER_IDS)[number];

/** Human labels for tables and charts. */
export const PEER_LABELS: Record<PeerId, string> = {
  "bullmq-everysec": "BullMQ everysec",
  "bullmq-always": "BullMQ always",
  "mq-batch": "@mq batch",
  "mq-interval": "@mq interval",
};

/** Which product a peer belongs to (`--only` filters on it). */
export function productOf(id: PeerId): "mq" | "bullmq" {
  return id.startsWith("mq-") ? "mq" : "bullmq";
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
  /** Stop consumers and release everything the session holds. */
  close(): Promise<void>;
}

/** A factory for sessions of one peer. */
export interface Peer {
  readonly id: PeerId;
  /** The options changed from the product's defaults, for the report. */
  readonly settings: string;
  openSession(): Promise<PeerSession>;
  /** Release what the peer holds across sessions (the redis-server). */
  dispose(): Promise<void>;
}
