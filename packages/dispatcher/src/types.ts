import type { Clock, Delivery, EnqueueOptions, ErrorInfo, Logger, Message, MqError } from "@mq/core";
import type { EventEmitter } from "eventemitter3";
import type { HandlerMiddleware } from "./middleware";

/** What a handler receives besides its payload. */
export interface HandlerContext<TPayload = unknown> {
  /** Aborted on timeout, on a lost lease, or when a stop's drain deadline passes. Pass it on to I/O. */
  readonly signal: AbortSignal;
  readonly message: Message<TPayload>;
  /** 1-based attempt number of this delivery. */
  readonly attempt: number;
  /** Lease token of this delivery. */
  readonly receipt: string;
  /** Extend the lease to end `ms` from now (rejects with `LeaseLostError` once the lease is gone). */
  extendLease(ms: number): Promise<void>;
  /**
   * Buffer a message to enqueue atomically with this message's ack. It copies
   * the correlation id, sets `causationId` to this message's id and carries
   * this message's headers under the explicit ones. Discarded if the handler fails.
   */
  publish(destination: string | { readonly topic: string }, payload: unknown, options?: EnqueueOptions): void;
  /**
   * Report progress (any msgpack-encodable value): emitted as the dispatcher's
   * `progress` event and kept on the message while it runs (`getMessage`).
   * Not durable. Ignored once the handler has finished.
   */
  progress(value: unknown): void;
  /**
   * Dead-letter this message at once, with `reason`, whatever attempts are
   * left: throws an `UnrecoverableError` to end the handler (rethrow it if you catch it).
   */
  deadLetter(reason: string): never;
  /**
   * Back off without failing (the handler saw HTTP 429, say): throws a
   * `RateLimitedError` to end the handler (rethrow it if you catch it); the
   * message goes back with its attempt unused, and its ordering group, or the
   * whole queue when it has no group, starts nothing for `ms`. Throwing
   * `new RateLimitedError(ms)` yourself does the same. On a backend without
   * `throttle` the message is retried after `ms` instead (the attempt counts,
   * but never toward dead-lettering).
   */
  rateLimited(ms: number): never;
  /** The dispatcher's logger (pino call order: `ctx.log.info({ ... }, "message")`), with queue, messageId and attempt on every line. */
  readonly log: Logger;
}

/**
 * A handler function: resolve to ack (the value is kept as the result when the
 * queue keeps completions), throw or reject to fail the attempt, throw
 * `UnrecoverableError` to dead-letter at once.
 */
export type HandlerFn<TPayload = unknown> = (payload: TPayload, ctx: HandlerContext<TPayload>) => unknown;

/** An object whose `handle` method is the handler (a class instance from a container, say). */
export interface HandlerObject<TPayload = unknown> {
  handle(payload: TPayload, ctx: HandlerContext<TPayload>): unknown;
}

/** A handler resolved per message through {@link DispatcherOptions.resolver}. */
export interface HandlerToken {
  readonly token: string;
}

/** What `handle()` accepts: a function, an object with `handle()`, or a token for the resolver. */
export type HandlerSpec<TPayload = unknown> = HandlerFn<TPayload> | HandlerObject<TPayload> | HandlerToken;

/** A handler a resolver may return; its payload type is the resolver's business (`never` parameters accept any). */
export type ResolvedHandler = ((payload: never, ctx: never) => unknown) | { handle(payload: never, ctx: never): unknown };

/** Turns a token into a handler for one delivery (a DI container such as awilix plugs in here). */
export interface HandlerResolver {
  resolve(token: string, delivery: Delivery): ResolvedHandler | Promise<ResolvedHandler>;
}

/** Retry delay policy after a failed attempt. A number is shorthand for a fixed delay. */
export type BackoffOption = number | { readonly type: "fixed" | "exponential"; readonly baseMs: number; readonly maxMs?: number; readonly jitter?: boolean };

/** Backoff after normalization. */
export interface BackoffPolicy {
  readonly type: "fixed" | "exponential";
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: boolean;
}

/** Per-queue handler options; see `DEFAULT_HANDLER_OPTIONS` for defaults. */
export interface HandlerOptions {
  /** Most concurrent invocations. @default 1 */
  readonly maxParallelism?: number;
  /** Lowest value `scale()` accepts. @default 1 (or maxParallelism when that is lower) */
  readonly minParallelism?: number;
  /** Per-invocation time limit. @default 30_000 */
  readonly timeoutMs?: number;
  /**
   * This handler's retry policy: after a failed attempt the message is
   * dead-lettered once it has had `maxRetries + 1` deliveries. Applied per
   * failure; the queue's stored `maxAttempts` is left alone and still bounds
   * deliveries whose lease ends without a verdict (crash loops).
   * @default the queue's `maxAttempts` − 1 (4 with the queue default of 5)
   */
  readonly maxRetries?: number;
  /** Delay before a retry. @default { type: "exponential", baseMs: 1_000, maxMs: 60_000, jitter: true } */
  readonly backoff?: BackoffOption;
  /** Heartbeat the lease while the handler runs. @default true */
  readonly autoExtend?: boolean;
  /** Lease length per delivery. @default 30_000 with autoExtend, else max(timeoutMs + 5_000, 30_000) */
  readonly leaseMs?: number;
  /**
   * Deliveries leased ahead beyond the free slots, so handlers never wait on a
   * receive round trip. A number fixes it; by default it adapts between 8 and
   * min(1,024, max(64, 8 × maxParallelism)) to the handler rate and the
   * receive latency (a durable backend's group commit). @default "auto"
   */
  readonly prefetch?: number | "auto";
  /**
   * Acks and nacks allowed in flight at once. A worker is free again as soon
   * as its handler settles, so a durable (fsync-bound) ack does not idle it;
   * this bounds how far handlers may run ahead of the acks. @default 1_000
   */
  readonly maxPendingAcks?: number;
}

/** Handler options with every default applied (exposed for admin views). */
export interface ResolvedHandlerOptions {
  readonly maxParallelism: number;
  readonly minParallelism: number;
  readonly timeoutMs: number;
  /** Absent when the handler follows the queue's `maxAttempts`. */
  readonly maxRetries?: number;
  readonly backoff: BackoffPolicy;
  readonly autoExtend: boolean;
  readonly leaseMs: number;
  readonly prefetch: number | "auto";
  readonly maxPendingAcks: number;
}

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** Where the dispatcher logs (pino-compatible: `warn(fields, message)`); also `ctx.log`. @default silentLogger */
  readonly logger?: Logger;
  /** Resolves `{ token }` handlers per message. */
  readonly resolver?: HandlerResolver;
  /** How long `stop()` waits for running handlers before aborting them. @default 25_000 */
  readonly drainTimeoutMs?: number;
  /** Source of randomness for backoff jitter. @default Math.random */
  readonly random?: () => number;
}

/** A registered handler. */
export interface HandlerRegistration {
  readonly queue: string;
  /** Options in force, with defaults applied. */
  readonly options: ResolvedHandlerOptions;
  /** Stop this queue's workers (draining like `stop()`) and remove the handler. */
  unregister(options?: { readonly drainTimeoutMs?: number }): Promise<void>;
}

/** Live counters for one queue's handler. */
export interface DispatcherQueueStats {
  readonly queue: string;
  /** Handlers running (each holds a worker slot). */
  readonly running: number;
  /** Acks and nacks in flight (no slot; bounded by `maxPendingAcks`). */
  readonly settling: number;
  /** Current maximum parallelism. */
  readonly parallelism: number;
  readonly paused: boolean;
  /** Deliveries leased ahead and waiting for a slot. */
  readonly buffered: number;
  /** Prefetch in force: fixed by the handler, or adapting (its current depth). */
  readonly prefetch: { readonly mode: "auto" | "fixed"; readonly depth: number };
  /**
   * Where a failed attempt's dead-letter limit comes from: the handler's
   * `maxRetries + 1`, or the queue's `maxAttempts` (read at each failure, so
   * `configureQueue` changes apply at once). Lease expiries always use the queue's.
   */
  readonly retryPolicy: { readonly from: "handler"; readonly maxAttempts: number } | { readonly from: "queue" };
  readonly succeeded: number;
  /** Failed attempts, timeouts included. */
  readonly failed: number;
  readonly timedOut: number;
  readonly retried: number;
  readonly deadLettered: number;
  /** Deliveries handed back unstarted (pause, scale down, stop): no attempt used, no retry counted. */
  readonly released: number;
  /** Handlers aborted at a stop's drain deadline: retried at once with the attempt counted, never dead-lettered for it. */
  readonly interrupted: number;
  /** Handlers that backed off with `ctx.rateLimited(ms)` or `throw new RateLimitedError(ms)`: no attempt used. */
  readonly rateLimited: number;
  /** Handlers that timed out or were aborted, ignored their signal and are still running (they hold no slot). */
  readonly abandoned: number;
}

interface InvocationEvent {
  readonly queue: string;
  readonly messageId: string;
  readonly attempt: number;
}

/** Events the dispatcher emits. Listeners must not throw (a throw is logged and ignored). */
export interface DispatcherEvents {
  started: (event: InvocationEvent & { readonly enqueuedAt: number }) => void;
  succeeded: (event: InvocationEvent & { readonly durationMs: number; readonly published: number }) => void;
  /** Any failed attempt (throw, rejection, timeout, failed ack). */
  failed: (event: InvocationEvent & { readonly durationMs: number; readonly error: ErrorInfo }) => void;
  retried: (event: InvocationEvent & { readonly error: ErrorInfo; readonly delayMs: number; readonly availableAt?: number }) => void;
  deadLettered: (event: InvocationEvent & { readonly error: ErrorInfo }) => void;
  timedOut: (event: InvocationEvent & { readonly durationMs: number; readonly timeoutMs: number }) => void;
  /** A handler backed off (`ctx.rateLimited(ms)` or a thrown `RateLimitedError`): the message is back, its attempt unused. */
  rateLimited: (event: InvocationEvent & { readonly retryAfterMs: number }) => void;
  /** A handler called `ctx.progress(value)`. */
  progress: (event: InvocationEvent & { readonly value: unknown }) => void;
  /** Trouble talking to the backend (receive, ack, nack, extend, release). Also logged; with no listener, at `error` level. */
  error: (event: { readonly queue: string; readonly operation: string; readonly error: MqError }) => void;
}

/** Runs handlers for queues of one backend: worker pools, timeouts, retries, scaling. */
export interface Dispatcher {
  /** Register the handler of `queue`; its workers start at once if the dispatcher is started. */
  handle<TPayload = unknown>(queue: string, handler: HandlerSpec<TPayload>, options?: HandlerOptions): HandlerRegistration;
  /** Start every registered queue's workers. Idempotent; call it after `backend.open()`. */
  start(): void;
  /** Wrap every handler invocation (outermost first, in order of use); returns a function that removes it. */
  use(middleware: HandlerMiddleware): () => void;
  /** Change a queue's parallelism at runtime; scaling down lets running handlers finish. */
  scale(queue: string, maxParallelism: number): void;
  /** Stop starting handlers for `queue` (running ones finish; leased-ahead ones are released). */
  pause(queue: string): void;
  resume(queue: string): void;
  /** Stop taking messages, wait for running handlers up to the drain deadline, release the rest, then resolve. */
  stop(options?: { readonly drainTimeoutMs?: number }): Promise<void>;
  /** Counters for one queue, or all. */
  stats(queue?: string): DispatcherQueueStats[];
  /** Registered handlers with their resolved options. */
  handlers(): HandlerRegistration[];
  readonly events: EventEmitter<DispatcherEvents>;
}
