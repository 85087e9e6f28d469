import type { EventEmitter } from "eventemitter3";
import type { DeadLetterApi } from "./dead-letter-api";
import type { ErrorInfo } from "./errors/to-mq-error";
import type { ScheduleInfo, ScheduleSpec } from "./schedule";
import type { MqError } from "./errors/mq-error";
import type { CompletedMessage, DeadLetterReason, Delivery, EnqueueItem, EnqueueResult, EnqueueStatus, Message, MessageInfo, NackOutcome, QueueStats } from "./message";

/** Events every backend emits. Listeners must not throw. */
export interface BackendEvents {
  /** A message became ready in `queue` (enqueued, delay elapsed, lease expired, retried). */
  ready: (queue: string) => void;
  enqueued: (event: { queue: string; id: string; status: EnqueueStatus }) => void;
  delivered: (event: { queue: string; id: string; attempt: number; enqueuedAt: number }) => void;
  acked: (event: { queue: string; id: string }) => void;
  nacked: (event: { queue: string; id: string; attempt: number; action: NackOutcome["action"] }) => void;
  expired: (event: { queue: string; id: string }) => void;
  deadLettered: (event: { queue: string; id: string; reason: DeadLetterReason }) => void;
  leaseExpired: (event: { queue: string; id: string; attempt: number }) => void;
  /** A running handler reported progress (kept on the message while it runs). */
  progress: (event: { queue: string; id: string; value: unknown }) => void;
  /** A message completed on a queue that keeps completions (`keepCompleted`); `result` is the handler's return value. */
  completed: (event: { queue: string; id: string; result: unknown }) => void;
  error: (error: MqError) => void;
}

/** Options for {@link QueueBackend.receive}. */
export interface ReceiveOptions {
  /** Most messages to lease at once. */
  readonly max: number;
  /** Lease length; the message is redelivered if not acked, nacked or extended in time. */
  readonly leaseMs: number;
  /** Long poll: wait up to this long for a message when none is ready. @default 0 */
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
}

/** Options for {@link QueueBackend.nack}. */
export interface NackOptions {
  /** Delay before the message is ready again. @default 0 */
  readonly delayMs?: number;
  /** Why the attempt failed; kept with the dead letter. */
  readonly reason?: ErrorInfo;
  /** Dead-letter when attempts reach this (overrides the queue's setting for this nack). */
  readonly maxAttempts?: number;
  /** Dead-letter now, whatever the attempt count. */
  readonly deadLetter?: boolean;
}

/** Settings a backend applies to one queue. */
export interface QueueSettings {
  /** Deliveries before dead-lettering. @default 5 */
  readonly maxAttempts?: number;
  /** Most messages held (ready + delayed + in flight). */
  readonly capacity?: number;
  /** Most encoded payload bytes held. */
  readonly maxBytes?: number;
  /** Largest single encoded payload. */
  readonly maxPayloadBytes?: number;
  readonly dedupMode?: "replace" | "drop";
  /** For `drop` mode: how long a key blocks duplicates. */
  readonly dedupWindowMs?: number;
  /** What happens to a message whose TTL passes. @default "drop" */
  readonly onExpire?: "drop" | "dead-letter";
  /** Lease length when a caller does not give one. */
  readonly defaultLeaseMs?: number;
  /**
   * Keep completions (with the handler's return value) for lookup: at most
   * `count` per queue, none older than `ageMs`. Off by default, so acks pay nothing.
   */
  readonly keepCompleted?: KeepCompleted;
  /**
   * Token bucket on starts (leases) for the whole queue: at most `max` starts
   * per `perMs`, bursts up to `max`. `null` removes it. @default null
   */
  readonly rateLimit?: RateLimit | null;
  /** The same bucket per ordering group (each group its own). `null` removes it. @default null */
  readonly groupRateLimit?: RateLimit | null;
  /**
   * Most messages of the queue leased at once, across every consumer of the
   * backend (all `handle()` pools and `receive()` callers). `null`: no cap. @default null
   */
  readonly maxInFlight?: number | null;
  /**
   * What a failed attempt does to its ordering group: `"block"` retries the
   * failed head before anything after it (the group waits through the retry
   * delay until it is acked or dead-lettered); `"skip"` puts the retry at the
   * back of the group and lets the next message proceed. @default "block"
   */
  readonly groupOnFailure?: GroupFailureMode;
}

/** A token bucket: at most `max` starts per `perMs` milliseconds (refilled continuously). */
export interface RateLimit {
  /** Starts per window, and the largest burst (integer ≥ 1). */
  readonly max: number;
  /** Window length in ms (≥ 1). */
  readonly perMs: number;
}

/** See {@link QueueSettings.groupOnFailure}. */
export type GroupFailureMode = "block" | "skip";

/**
 * Optional features a backend implements; the conformance suite runs their
 * tests only when the flag is set, so adapters opt in one feature at a time.
 */
export interface BackendCapabilities {
  /** `group` on enqueue items, `groupOnFailure`, and `stats().groups`. */
  readonly groups?: boolean;
  /** `rateLimit` and `groupRateLimit` settings, and `stats().throttled`. */
  readonly rateLimits?: boolean;
  /** The `maxInFlight` setting. */
  readonly maxInFlight?: boolean;
  /** {@link QueueBackend.throttle}. */
  readonly throttle?: boolean;
}

/** Retention of completed messages; see {@link QueueSettings.keepCompleted}. */
export interface KeepCompleted {
  /** Most completions kept per queue (oldest dropped first). @default 1_000 */
  readonly count?: number;
  /** Completions older than this are dropped. @default unbounded (count bounds them) */
  readonly ageMs?: number;
}

/** Options for {@link QueueBackend.ack}. */
export interface AckOptions {
  /**
   * The handlers' return values, one per receipt (same order). Stored only
   * when the message's queue keeps completions; ignored otherwise.
   */
  readonly results?: readonly unknown[];
}

/** Identifies this contract's revision; adapters declare which one they implement. */
export type QueueBackendContractVersion = 1;

/**
 * The narrow waist: everything above it (dispatcher, admin, otel, server)
 * speaks only this. Delivery is at-least-once.
 *
 * @remarks It deliberately leaves out handlers, worker pools and retries with
 * backoff (the dispatcher's job), and how state is stored (an adapter's job).
 * A receipt from an expired or superseded lease is fenced: using it fails with
 * `LeaseLostError` and changes nothing. Ordering groups, rate limits, a
 * global in-flight cap and `throttle` are optional features, announced in
 * {@link QueueBackend.capabilities}.
 */
export interface QueueBackend {
  readonly contractVersion: QueueBackendContractVersion;
  /** Optional features this backend implements (absent: none of them). */
  readonly capabilities?: BackendCapabilities;
  /** Recover state and start serving. */
  open(): Promise<void>;
  /** Stop serving; with `drain`, wait for in-flight leases to settle first. */
  close(options?: { readonly drain?: boolean }): Promise<void>;
  /** Enqueue items atomically: all are stored or none. One result per item. */
  enqueue(items: readonly EnqueueItem[], options?: { readonly signal?: AbortSignal; readonly waitIfFull?: boolean }): Promise<EnqueueResult[]>;
  /**
   * Lease up to `max` ready messages, highest priority first, FIFO within a
   * priority. With ordering groups, only a group's head can be leased, at most
   * one per group at a time, and ready groups are served round robin; a
   * long poll waits while limits (`rateLimit`, `maxInFlight`, `throttle`) hold
   * starts back and wakes when one frees.
   */
  receive(queue: string, options: ReceiveOptions): Promise<Delivery[]>;
  /** Acknowledge deliveries and, atomically with them, enqueue `publish`. */
  ack(receipts: readonly string[], publish?: readonly EnqueueItem[], options?: AckOptions): Promise<void>;
  /** Report a failed attempt: retry after `delayMs`, or dead-letter when attempts are used up. */
  nack(receipt: string, options?: NackOptions): Promise<NackOutcome>;
  /**
   * Back off without failing (a handler saw HTTP 429): the delivery goes back
   * to ready with its attempt count restored (like `release`), and its
   * ordering group, or the whole queue when the message has no group, starts
   * nothing for `ms`. Durable: the pause outlives a restart. A stale receipt
   * fails with `LeaseLostError`. Optional (capability `throttle`).
   */
  throttle?(receipt: string, ms: number): Promise<void>;
  /** Extend a lease to end `leaseMs` from now. */
  extend(receipt: string, leaseMs: number): Promise<void>;
  /**
   * Hand back deliveries whose handler never ran (pause, scale down, stop):
   * each message is ready again at once with its attempt count back to what it
   * was before that lease, and no retried/nacked counter or event moves. A
   * stale receipt fails with `LeaseLostError` and nothing in the call changes.
   */
  release(receipts: readonly string[]): Promise<void>;
  /**
   * Remove every ready and delayed message of a queue (in-flight ones are left
   * to finish) and resolve with how many were removed. Optional: a backend
   * that cannot do it leaves it out, and callers say so.
   */
  purge?(queue: string): Promise<number>;
  /**
   * Look a message up by id: where it is, its attempts and timestamps, its
   * last error, progress, or result. Optional; absent, callers say so.
   */
  getMessage?(queue: string, id: string): Promise<MessageInfo>;
  /**
   * Remove one ready or delayed message. Rejects with `MessageInFlightError`
   * while a consumer holds it and `NotFoundError` when there is no such
   * pending message. Optional.
   */
  cancel?(queue: string, id: string): Promise<void>;
  /** Record a running delivery's progress (kept on the message while it runs, not durable). Optional. */
  progress?(receipt: string, value: unknown): Promise<void>;
  /** A kept completion by message id (queues with `keepCompleted`), or undefined. Optional. */
  completion?(id: string): Promise<CompletedMessage | undefined>;
  /**
   * Create or replace a durable schedule that enqueues `spec.payload` to
   * `spec.queue` at each fire time, once per fire time even across a crash. Optional.
   */
  schedule?(name: string, spec: ScheduleSpec): Promise<ScheduleInfo>;
  /** Remove a schedule; false when there was none. Optional. */
  unschedule?(name: string): Promise<boolean>;
  /** Every stored schedule, by name. Optional. */
  schedules?(): Promise<ScheduleInfo[]>;
  /** Up to `limit` ready messages in delivery order, without leasing them or counting an attempt. Optional. */
  peek?(queue: string, limit: number): Promise<Message[]>;
  /** Apply settings to a queue (merged over the current ones). */
  configureQueue(queue: string, settings: QueueSettings): Promise<void>;
  /** Route a topic to a queue: publishing to the topic enqueues a copy there. */
  bind(topic: string, queue: string): Promise<void>;
  unbind(topic: string, queue: string): Promise<void>;
  /** Queues currently bound to `topic` (empty for an unknown topic). Optional. */
  bindings?(topic: string): Promise<string[]>;
  readonly deadLetters: DeadLetterApi;
  /** Stats for one queue, or summed over all queues (`queue: "*"`). */
  stats(queue?: string): Promise<QueueStats>;
  /** Names of the queues the backend knows. */
  queues(): Promise<string[]>;
  readonly events: EventEmitter<BackendEvents>;
}
