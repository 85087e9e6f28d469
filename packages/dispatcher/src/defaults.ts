import type { BackoffPolicy } from "./types";

/**
 * Handler option defaults, as data. `leaseMs` depends on `autoExtend` and
 * `timeoutMs` (see {@link defaultLeaseMs}); `maxRetries` has none of its own:
 * without it the queue's `maxAttempts` applies.
 */
export const DEFAULT_HANDLER_OPTIONS = {
  /** @default 1 */
  maxParallelism: 1,
  /** @default 1 */
  minParallelism: 1,
  /** @default 30_000 */
  timeoutMs: 30_000,
  /** @default { type: "exponential", baseMs: 1_000, maxMs: 60_000, jitter: true } */
  backoff: { type: "exponential", baseMs: 1_000, maxMs: 60_000, jitter: true } satisfies BackoffPolicy as BackoffPolicy,
  /** @default true */
  autoExtend: true,
  /** @default "auto" */
  prefetch: "auto",
  /** @default 1_000 */
  maxPendingAcks: 1_000,
} as const;

/** Highest parallelism accepted; larger values are almost certainly typos. */
export const MAX_PARALLELISM = 10_000;

/** Default `stop()` drain deadline. @default 25_000 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

/**
 * Default lease: with heartbeats a short lease is safe and makes a crashed
 * worker's messages come back sooner; without them the lease must outlast the
 * timeout, or a slow but healthy handler loses its message to a redelivery.
 */
export function defaultLeaseMs(autoExtend: boolean, timeoutMs: number): number {
  return autoExtend ? 30_000 : Math.max(timeoutMs + 5_000, 30_000);
}
