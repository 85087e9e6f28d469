import {
  assertDuration,
  assertKnownKeys,
  assertName,
  NACK_OPTION_KEYS,
  RECEIVE_OPTION_KEYS,
  guardLogger,
  HostClosedError,
  InvalidArgumentError,
  NotSupportedError,
  newId,
  silentLogger,
  systemClock,
  type Logger,
  type Message,
  type BackendEvents,
  type Clock,
  type CompletedMessage,
  type MessageInfo,
  type ScheduleInfo,
  type ScheduleSpec,
  type DeadLetterApi,
  type Delivery,
  type EnqueueItem,
  type EnqueueOptions,
  type EnqueueResult,
  type NackOptions,
  type NackOutcome,
  type Persistence,
  type QueueBackend,
  type QueueSettings,
  type QueueStats,
  type RecoveryReport,
  type SnapshotInfo,
} from "@mq/core";
import {
  createDispatcher,
  type Dispatcher,
  type DispatcherQueueStats,
  type HandlerOptions,
  type HandlerRegistration,
  type HandlerResolver,
  type HandlerSpec,
} from "@mq/dispatcher";
import type { EventEmitter } from "eventemitter3";
import { checkedDeadLetters } from "./checked-dead-letters";
import { createPersistence } from "./create-persistence";
import { DEFAULT_QUEUE_SETTINGS } from "./defaults";
import { Engine } from "./engine/engine";
import { HealthTracker, type HostHealth } from "./health";
import { QueueObserver, type QueueLatency, type QueueRates } from "./metrics/queue-observer";
import type { ResolvedQueueSettings } from "./engine/queue-state";
import { resolveHostOptions, type QueueHostOptions, type ResolvedHostOptions } from "./options";
import { createTransaction, type Transaction } from "./transaction";
import { waitForResult, type WaitForResultOptions } from "./wait-for-result";

/** Options of {@link QueueHost.enqueue}: the message options plus how to behave when the queue is full. */
export interface HostEnqueueOptions extends EnqueueOptions {
  /** Wait for room instead of failing with QueueFullError. */
  readonly waitIfFull?: boolean;
  /** Cancels a waiting enqueue. */
  readonly signal?: AbortSignal;
}

/** Options of {@link QueueHost.receive}; `max` defaults to 1 and `leaseMs` to the queue's `defaultLeaseMs`. */
export interface HostReceiveOptions {
  readonly max?: number;
  readonly leaseMs?: number;
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * An embedded queue host: the engine, its persistence and a dispatcher
 * behind one object. Create it with {@link createQueueHost}.
 */
export class QueueHost {
  /** The backend the host runs on (the embedded engine unless `backend` was given), for code that takes any backend. */
  readonly backend: QueueBackend;
  /** Validated options with defaults filled in. */
  readonly options: ResolvedHostOptions;
  /** The embedded engine; undefined when the host runs on a custom backend. */
  readonly #engine: Engine | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #logger: Logger;
  readonly #clock: Clock;
  /** The embedded engine's persistence; undefined on a custom backend. */
  readonly #persistence: Persistence | undefined;
  readonly #health: HealthTracker;
  readonly #observer: QueueObserver;
  readonly #deadLetters: DeadLetterApi;
  #started = false;
  #stopping = false;

  /** Same options as {@link createQueueHost}; the `resolver` argument is kept for compatibility (prefer `options.resolver`). */
  constructor(options: QueueHostOptions = {}, resolver?: HandlerResolver) {
    this.options = resolveHostOptions(options);
    const resolved = this.options;
    const clock = options.clock ?? systemClock;
    this.#clock = clock;
    this.#logger = options.logger === undefined ? silentLogger : guardLogger(options.logger);
    if (options.backend === undefined) {
      this.#persistence = createPersistence(options, resolved);
      this.#engine = new Engine({
        persistence: this.#persistence,
        clock,
        newId,
        settingsFor: (queue, configured) => this.#settingsFor(queue, configured),
        deadLetterLimit: resolved.maxDeadLetters,
        knownQueues: Object.keys(resolved.queues),
        logger: this.#logger,
        // The file journal the host creates logs its fail-stop (cause, errno, folder) to this logger itself.
        persistenceLogsFailure: options.persistence === undefined && resolved.durability !== "none" && options.logger !== undefined,
      });
    }
    this.backend = this.#engine ?? options.backend!;
    // The engine checks its own arguments; a custom backend's get the same checks here.
    this.#deadLetters = this.#engine?.deadLetters ?? checkedDeadLetters(() => this.backend.deadLetters);
    this.#health = new HealthTracker(this.#persistence, clock);
    const handlerResolver = options.resolver ?? resolver;
    this.#dispatcher = createDispatcher(this.backend, {
      clock,
      drainTimeoutMs: resolved.drainTimeoutMs,
      logger: this.#logger,
      ...(handlerResolver === undefined ? {} : { resolver: handlerResolver }),
    });
    // The engine emits "error" only when it fails and stops (a listener costs nothing per message).
    if (this.#engine !== undefined) this.#engine.events.on("error", (error) => this.#health.fail(error));
    this.#observer = new QueueObserver({
      engine: this.backend.events,
      dispatcher: this.#dispatcher.events,
      clock,
      handledQueues: () => this.#dispatcher.handlers().map((h) => h.queue),
    });
    // Tests and leak checks read the engine's internals through @mq/host/testing; not part of the public type.
    Object.defineProperty(this, INTERNALS, { value: () => this.#engine?.internals(), enumerable: false });
  }

  /** Backend events: ready, enqueued, delivered, acked, nacked, expired, deadLettered, leaseExpired, error. */
  get events(): EventEmitter<BackendEvents> {
    return this.backend.events;
  }

  /** Handler events (started, succeeded, failed, retried, deadLettered, timedOut) and worker stats. */
  get dispatcher(): Dispatcher {
    return this.#dispatcher;
  }

  /** Inspect, replay and purge dead letters. */
  get deadLetters(): DeadLetterApi {
    return this.#deadLetters;
  }

  /** What recovery found when the host started (embedded engine only). */
  get recovery(): RecoveryReport | undefined {
    return this.#engine?.recovery;
  }

  /** Recovers state from the data folder (or connects the custom backend) and starts handlers. */
  async start(): Promise<RecoveryReport | undefined> {
    await this.backend.open();
    if (this.#engine === undefined) {
      // A shared backend keeps its own settings; the ones given in code are written to it at start.
      for (const [queue, settings] of Object.entries(this.options.queues)) await this.backend.configureQueue(queue, { ...this.options.defaults, ...settings });
    }
    this.#started = true;
    this.#dispatcher.start();
    return this.#engine?.recovery;
  }

  /** Stops handlers (waiting up to `drainTimeoutMs`), writes a final snapshot and closes the journal. */
  async stop(options: { readonly drainTimeoutMs?: number } = {}): Promise<void> {
    assertKnownKeys("stop", "options", options, STOP_OPTION_KEYS);
    this.#stopping = true;
    if (this.#started) await this.#dispatcher.stop(options.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: options.drainTimeoutMs });
    await this.backend.close();
  }

  /** Enqueues one message to a queue. */
  async enqueue<TPayload>(queue: string, payload: TPayload, options: HostEnqueueOptions = {}): Promise<EnqueueResult> {
    const { waitIfFull, signal, ...message } = options;
    const [result] = await this.backend.enqueue([{ ...message, queue, payload }], waitOptions(waitIfFull, signal));
    return result!;
  }

  /** Enqueues many messages atomically: all are stored or none. */
  enqueueBatch(items: readonly EnqueueItem[], options: { readonly waitIfFull?: boolean; readonly signal?: AbortSignal } = {}): Promise<EnqueueResult[]> {
    return checked(
      () => assertKnownKeys("enqueueBatch", "options", options, BATCH_OPTION_KEYS),
      () => this.backend.enqueue(items, waitOptions(options.waitIfFull, options.signal)),
    );
  }

  /** Enqueues a copy into every queue bound to `topic`, atomically; `result.copies` has one result per queue. */
  async publish<TPayload>(topic: string, payload: TPayload, options: HostEnqueueOptions = {}): Promise<EnqueueResult> {
    const { waitIfFull, signal, ...message } = options;
    const [result] = await this.backend.enqueue([{ ...message, topic, payload }], waitOptions(waitIfFull, signal));
    return result!;
  }

  /** Routes `topic` to `queue`. */
  bind(topic: string, queue: string): Promise<void> {
    return this.backend.bind(topic, queue);
  }

  unbind(topic: string, queue: string): Promise<void> {
    return this.backend.unbind(topic, queue);
  }

  /** Queues currently bound to `topic`. */
  bindings(topic: string): Promise<string[]> {
    const backend = this.backend;
    if (backend.bindings === undefined) return Promise.reject(new NotSupportedError("bindings", "its backend does not list a topic's bindings"));
    return backend.bindings(topic);
  }

  /** Runs `fn`, then commits its enqueues, publishes and acks as one atomic change. Nothing commits if `fn` throws. */
  async transaction<T>(fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    const { tx, items, receipts, seal } = createTransaction();
    const value = await fn(tx);
    seal();
    if (items.length > 0 || receipts.length > 0) await this.backend.ack(receipts, items);
    return value;
  }

  /** Leases up to `max` messages; with `waitMs`, waits for one to arrive. */
  receive<TPayload = unknown>(queue: string, options: HostReceiveOptions = {}): Promise<Delivery<TPayload>[]> {
    if (typeof options !== "object" || options === null) return Promise.reject(new InvalidArgumentError("receive", "options", "must be an object"));
    // The engine checks the keys itself (once, on the hot path); a custom backend may not.
    if (this.#engine === undefined) {
      return checked(
        () => assertKnownKeys("receive", "options", options, RECEIVE_OPTION_KEYS),
        () => this.backend.receive(queue, { ...options, max: options.max ?? 1, leaseMs: options.leaseMs ?? this.#defaultLeaseMs(queue) }) as Promise<Delivery<TPayload>[]>,
      );
    }
    const leaseMs = options.leaseMs ?? this.#defaultLeaseMs(queue);
    return this.backend.receive(queue, { ...options, max: options.max ?? 1, leaseMs }) as Promise<Delivery<TPayload>[]>;
  }

  /** Acknowledges deliveries; `publish` items commit atomically with the ack. */
  ack(receipts: string | readonly string[], publish: readonly EnqueueItem[] = []): Promise<void> {
    return this.backend.ack(typeof receipts === "string" ? [receipts] : receipts, publish);
  }

  /** Reports a failed attempt: retried after `delayMs`, or dead-lettered when attempts are used up. */
  nack(receipt: string, options?: NackOptions): Promise<NackOutcome> {
    if (this.#engine === undefined && options !== undefined) return checked(() => assertKnownKeys("nack", "options", options, NACK_OPTION_KEYS), () => this.backend.nack(receipt, options));
    return this.backend.nack(receipt, options);
  }

  /** Hands back deliveries whose work never started: ready again at once, their attempt not used. */
  release(receipts: string | readonly string[]): Promise<void> {
    return this.backend.release(typeof receipts === "string" ? [receipts] : receipts);
  }

  /** Extends a lease to end `leaseMs` from now. */
  extend(receipt: string, leaseMs: number): Promise<void> {
    return this.backend.extend(receipt, leaseMs);
  }

  /** Stats for one queue, or summed over all (`queue: "*"`). */
  stats(queue?: string): Promise<QueueStats> {
    return this.backend.stats(queue);
  }

  /** Names of the known queues. */
  queues(): Promise<string[]> {
    return this.backend.queues();
  }

  /** Up to `limit` ready messages of `queue` in delivery order, without leasing them or counting an attempt. */
  peek<TPayload = unknown>(queue: string, limit = 10): Promise<Message<TPayload>[]> {
    const backend = this.backend;
    if (backend.peek === undefined) return Promise.reject(new NotSupportedError("peek", "its backend does not support peeking at a queue"));
    return backend.peek(queue, limit) as Promise<Message<TPayload>[]>;
  }

  /**
   * Removes every ready and delayed message of `queue` (in-flight ones finish
   * as usual) and resolves with how many were removed.
   */
  purge(queue: string): Promise<number> {
    const backend = this.backend;
    if (backend.purge === undefined) return Promise.reject(new NotSupportedError("purge", "its backend does not support purging a queue; drain it with receive and ack instead"));
    return backend.purge(queue);
  }

  /**
   * Where message `id` of `queue` is: ready, delayed, in flight (with its
   * progress), completed (with its result, on queues with `keepCompleted`),
   * dead-lettered, or unknown; with attempts, timestamps and last error.
   */
  getMessage(queue: string, id: string): Promise<MessageInfo> {
    const backend = this.backend;
    if (backend.getMessage === undefined) return Promise.reject(unsupported("getMessage"));
    return backend.getMessage(queue, id);
  }

  /**
   * Removes one ready or delayed message (journaled). Rejects with
   * `MessageInFlightError` while a handler holds it, `NotFoundError` when
   * there is no such pending message.
   */
  cancel(queue: string, id: string): Promise<void> {
    const backend = this.backend;
    if (backend.cancel === undefined) return Promise.reject(unsupported("cancel"));
    return backend.cancel(queue, id);
  }

  /** The kept completion of message `id` (its handler's return value), or undefined. Needs `keepCompleted` on the queue. */
  result(id: string): Promise<CompletedMessage | undefined> {
    const backend = this.backend;
    if (backend.completion === undefined) return Promise.reject(unsupported("result"));
    return checked(
      () => assertMessageId("result", id),
      () => backend.completion!(id),
    );
  }

  /** Waits for message `id` to complete and resolves with its completion; see {@link WaitForResultOptions}. */
  waitForResult(id: string, options: WaitForResultOptions = {}): Promise<CompletedMessage> {
    return checked(
      () => {
        assertMessageId("waitForResult", id);
        assertKnownKeys("waitForResult", "options", options, WAIT_FOR_RESULT_OPTION_KEYS);
        if (options.timeoutMs !== undefined) assertDuration("waitForResult", "timeoutMs", options.timeoutMs);
      },
      () => waitForResult(this.backend, this.#clock, id, options),
    );
  }

  /**
   * Creates (or replaces) a durable schedule `name`: every `everyMs`, or on
   * a `cron` pattern in time zone `tz`, it enqueues `payload` to `queue`.
   * Each fire time is enqueued once, even across a crash; missed fires follow
   * `catchUp` ("latest" by default).
   */
  schedule(name: string, spec: ScheduleSpec): Promise<ScheduleInfo> {
    const backend = this.backend;
    if (backend.schedule === undefined) return Promise.reject(unsupported("schedule"));
    return backend.schedule(name, spec);
  }

  /** Removes schedule `name`; resolves false when there was none. */
  unschedule(name: string): Promise<boolean> {
    const backend = this.backend;
    if (backend.unschedule === undefined) return Promise.reject(unsupported("unschedule"));
    return backend.unschedule(name);
  }

  /** Every stored schedule with its next fire time. */
  schedules(): Promise<ScheduleInfo[]> {
    const backend = this.backend;
    if (backend.schedules === undefined) return Promise.reject(unsupported("schedules"));
    return backend.schedules();
  }

  /** Changes a queue's settings at runtime (journaled, so they survive restarts). */
  configureQueue(queue: string, settings: QueueSettings): Promise<void> {
    return this.backend.configureQueue(queue, settings);
  }

  /** Runs `handler` for every message of `queue`, with the given parallelism, timeout, retries and backoff. */
  handle<TPayload = unknown>(queue: string, handler: HandlerSpec<TPayload>, options: HandlerOptions = {}): HandlerRegistration {
    return this.#dispatcher.handle(queue, handler, options);
  }

  /** Changes a handler's parallelism while running. */
  scale(queue: string, maxParallelism: number): void {
    this.#dispatcher.scale(queue, maxParallelism);
  }

  pause(queue: string): void {
    this.#dispatcher.pause(queue);
  }

  resume(queue: string): void {
    this.#dispatcher.resume(queue);
  }

  /** Worker stats per handled queue. */
  workers(queue?: string): DispatcherQueueStats[] {
    return this.#dispatcher.stats(queue);
  }

  /** Writes a snapshot now (recovery then starts from it); rejects unless the host is started. */
  snapshot(): Promise<SnapshotInfo> {
    if (this.#engine === undefined || this.#persistence === undefined) {
      return Promise.reject(new HostClosedError("host", "snapshot() needs the embedded engine; a custom backend keeps its own state"));
    }
    if (this.#engine.status !== "open") return Promise.reject(new HostClosedError("host", `cannot snapshot while ${this.#engine.status}`));
    return this.#persistence.snapshot();
  }

  /** Journal state, fail-stop reason, durability and handlers: for readiness probes and admin views. */
  health(): HostHealth {
    // A custom backend has no engine status of its own: infer it from the host's lifecycle.
    const status = this.#engine?.status ?? (this.#stopping ? "closed" : this.#started ? "open" : "new");
    return this.#health.report(status, this.#started && !this.#stopping, this.#dispatcher.stats());
  }

  /**
   * Latency percentiles of `queue` over the last minute: enqueue to handler
   * start, and handler run time. Recording starts on the first call to
   * latency() or rates() (so an unobserved host pays nothing per message);
   * call {@link observe} at startup to have a full minute by the first read.
   */
  latency(queue: string): QueueLatency {
    assertName("latency", "queue", queue);
    return this.#observer.latency(queue);
  }

  /** Events per second of `queue` over the last minute (enqueued, delivered, acked, failed, retried, dead-lettered, expired). */
  rates(queue: string): QueueRates {
    assertName("rates", "queue", queue);
    return this.#observer.rates(queue);
  }

  /** Starts recording latency and rates now (idempotent); latency() and rates() start it too. */
  observe(): void {
    this.#observer.start();
  }

  /** The logger the host writes to (silent unless `logger` was given). */
  get logger(): Logger {
    return this.#logger;
  }

  #defaultLeaseMs(queue: string): number {
    if (this.#engine !== undefined) return this.#engine.settingsOf(queue).defaultLeaseMs;
    return this.options.queues[queue]?.defaultLeaseMs ?? this.options.defaults.defaultLeaseMs ?? DEFAULT_QUEUE_SETTINGS.defaultLeaseMs;
  }

  #settingsFor(queue: string, configured: QueueSettings | undefined): ResolvedQueueSettings {
    return {
      ...DEFAULT_QUEUE_SETTINGS,
      ...this.options.defaults,
      ...this.options.queues[queue],
      ...configured,
    };
  }
}

/** Key of the hidden accessor `@mq/host/testing` reads. */
export const INTERNALS: unique symbol = Symbol.for("@mq/host:internals") as never;

const STOP_OPTION_KEYS: ReadonlySet<string> = new Set(["drainTimeoutMs"]);
const BATCH_OPTION_KEYS: ReadonlySet<string> = new Set(["waitIfFull", "signal"]);
const WAIT_FOR_RESULT_OPTION_KEYS: ReadonlySet<string> = new Set(["signal", "timeoutMs"]);

/** Runs `check`, then `run`; a failed check rejects the returned promise (these methods never throw). */
function checked<T>(check: () => void, run: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => {
    check();
    resolve(run());
  });
}

function assertMessageId(operation: string, id: unknown): void {
  if (typeof id !== "string" || id.length === 0) throw new InvalidArgumentError(operation, "id", "must be a message id (a non-empty string)");
}

function unsupported(operation: string): NotSupportedError {
  return new NotSupportedError(operation, `its backend does not support ${operation}; use the embedded engine or a backend that implements it`);
}

function waitOptions(waitIfFull: boolean | undefined, signal: AbortSignal | undefined): { waitIfFull?: boolean; signal?: AbortSignal } {
  return { ...(waitIfFull === undefined ? {} : { waitIfFull }), ...(signal === undefined ? {} : { signal }) };
}
