import path from "node:path";
import type { ResolvedQueueSettings } from "./engine/queue-state";

/** Data folder used when `dataDir` is not given: `.mq-data` in the current working directory. */
export function defaultDataDir(): string {
  return path.resolve(process.cwd(), ".mq-data");
}

/** Settings every queue starts from; `defaults` and `queues.<name>` override them. */
export const DEFAULT_QUEUE_SETTINGS: ResolvedQueueSettings = {
  /** @default 5 */
  maxAttempts: 5,
  /** @default 1_000_000 messages */
  capacity: 1_000_000,
  /** @default 1 GiB */
  maxBytes: 1024 ** 3,
  /** @default 1 MiB */
  maxPayloadBytes: 1024 ** 2,
  /** @default "replace" */
  dedupMode: "replace",
  /** @default 5 minutes (as SQS FIFO) */
  dedupWindowMs: 5 * 60_000,
  /** @default "drop" */
  onExpire: "drop",
  /** @default 30 seconds */
  defaultLeaseMs: 30_000,
  /** @default null (no queue rate limit) */
  rateLimit: null,
  /** @default null (no per-group rate limit) */
  groupRateLimit: null,
  /** @default null (no cap on messages in flight) */
  maxInFlight: null,
  /** @default "block" */
  groupOnFailure: "block",
};

/** Most dead letters kept before the oldest are dropped. @default 100_000 */
export const DEFAULT_MAX_DEAD_LETTERS = 100_000;
