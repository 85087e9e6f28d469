import type { DeadLetterApi, Message, QueueSettings, QueueStats, SnapshotInfo } from "@mq/core";

/** Percentiles of one latency over the last minute, in ms (as `@mq/host` reports them). */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Worker counters of one handled queue (the dispatcher's `stats()`). */
export interface HandlerStats {
  readonly queue: string;
  readonly running: number;
  readonly parallelism: number;
  readonly paused: boolean;
  readonly buffered: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly retried: number;
  readonly deadLettered: number;
}

/** What `host.health()` returns; admin passes it through and reads `ok` and `status`. */
export interface HealthLike {
  readonly ok: boolean;
  readonly status: string;
  readonly durability: string;
  readonly journal: { readonly kind: string; readonly state: string; readonly lastLsn: number; readonly durableLsn?: number; readonly syncLagMs?: number };
  readonly failure?: { readonly code: string; readonly message: string; readonly at: number };
  readonly handlersRunning: boolean;
}

/**
 * The host surface admin needs: `QueueHost` from `@mq/host` has all of it.
 * Declared here, structurally, so `@mq/admin` does not depend on `@mq/host`
 * (the host may take admin as an optional peer without a cycle).
 *
 * @remarks `peek` and `purge` of ready messages are optional: a host without
 * them, or one whose backend rejects them (`InvalidArgumentError` on the
 * argument `backend`, as `@mq/host` does), answers those admin calls with
 * `NotSupportedError` (HTTP 501).
 */
export interface AdminHost {
  queues(): Promise<string[]>;
  stats(queue?: string): Promise<QueueStats>;
  workers(queue?: string): readonly HandlerStats[];
  scale(queue: string, maxParallelism: number): void;
  pause(queue: string): void;
  resume(queue: string): void;
  snapshot(): Promise<SnapshotInfo>;
  health(): HealthLike;
  latency(queue: string): { readonly waitMs: LatencySummary; readonly handlerMs: LatencySummary; readonly windowMs: number };
  rates(queue: string): Readonly<Record<RateName, number>> & { readonly windowMs: number };
  observe?(): void;
  readonly deadLetters: DeadLetterApi;
  /** Ready messages of `queue` in delivery order, without leasing them. */
  peek?(queue: string, limit: number): Promise<readonly Message[]>;
  /** Deletes the ready and delayed messages of `queue`; resolves with how many. */
  purge?(queue: string): Promise<number>;
  /** Applies settings to a queue at runtime (merged over the current ones); admin's `setLimits` needs it. */
  configureQueue?(queue: string, settings: QueueSettings): Promise<void>;
}

/** The rates `host.rates(queue)` reports, per second over the last minute. */
export type RateName = "enqueued" | "delivered" | "acked" | "failed" | "retried" | "deadLettered" | "expired";
