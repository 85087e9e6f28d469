import { InvalidArgumentError, MQ_ERROR_CODES, MqError, toErrorInfo, toMqError } from "@mq/core";
import type { Clock, Delivery, EnqueueItem, QueueBackend, TimerHandle } from "@mq/core";
import type { EventEmitter } from "eventemitter3";
import { MAX_PARALLELISM } from "./defaults";
import { Invocation } from "./invocation";
import type { InvocationOwner, Outcome } from "./invocation";
import { AckBatcher } from "./ack-batcher";
import { HeldDelivery } from "./held-delivery";
import { InvocationTimers } from "./invocation-timers";
import type { Logger } from "./logger";
import type { HandlerMiddleware } from "./middleware";
import type { HandlerSource } from "./resolve-handler";
import type { DispatcherEvents, DispatcherQueueStats, ResolvedHandlerOptions } from "./types";

/** Shared by every pool of one dispatcher. */
export interface PoolDeps {
  readonly backend: QueueBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly events: EventEmitter<DispatcherEvents>;
  /** Shared by every pool and changed in place by `Dispatcher.use()`. */
  readonly middleware: readonly HandlerMiddleware[];
}

/** Backoff after failed receive/configure calls: quick at first, never a spin. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const NEVER_DEAD_LETTER = Number.MAX_SAFE_INTEGER;

/**
 * The workers of one queue: at most `parallelism` invocations at once, fed by
 * batched receives that run only when the backend says the queue may have
 * messages (its `ready` event) or a previous receive came back full.
 */
export class QueuePool implements InvocationOwner {
  readonly queue: string;
  readonly source: HandlerSource;
  readonly backend: QueueBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly middleware: readonly HandlerMiddleware[];
  readonly #events: EventEmitter<DispatcherEvents>;
  #options: ResolvedHandlerOptions;
  #state: "idle" | "configuring" | "running" | "stopping" | "stopped" = "idle";
  #paused = false;
  /** Invocations whose handler is running (the slots). */
  #running = 0;
  /** Acks and nacks in flight; they hold no slot but are bounded by `maxPendingAcks`. */
  #settling = 0;
  #abandoned = 0;
  /** Invocations holding a slot (handler running), in start order (the timers rely on that order). */
  readonly #active = new Set<Invocation>();
  readonly #timers: InvocationTimers;
  readonly #acks: AckBatcher;
  /** Prefetched deliveries waiting for a slot, oldest first. */
  #buffer: HeldDelivery[] = [];
  #receiving: Promise<void> | undefined;
  /** False once a receive came back empty with no `ready` since it started. */
  #hasMore = true;
  /** Bumped on every `ready`; closes the lost wake-up race around a short receive. */
  #readyGeneration = 0;
  #retryTimer: TimerHandle; // undefined when not armed
  #failures = 0;
  readonly #pendingReleases = new Set<Promise<void>>();
  #idleWaiters: (() => void)[] = [];
  #stopping: Promise<void> | undefined;
  readonly #counts = { succeeded: 0, failed: 0, timedOut: 0, retried: 0, deadLettered: 0, released: 0 };

  /** Whether the handler was given `maxRetries`, which then sets the queue's `maxAttempts`. */
  readonly configuresAttempts: boolean;

  constructor(queue: string, source: HandlerSource, options: ResolvedHandlerOptions, deps: PoolDeps, configuresAttempts = true) {
    this.queue = queue;
    this.configuresAttempts = configuresAttempts;
    this.source = source;
    this.#options = options;
    this.backend = deps.backend;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.random = deps.random;
    this.middleware = deps.middleware;
    this.#events = deps.events;
    this.#timers = new InvocationTimers(deps.clock, this.#active, () => this.#buffer);
    this.#acks = new AckBatcher(deps.backend);
  }

  get options(): ResolvedHandlerOptions {
    return this.#options;
  }

  /** Configure the queue's attempt limit, then start receiving. Idempotent. */
  start(): void {
    if (this.#state !== "idle") return;
    this.#state = "configuring";
    this.#configure();
  }

  /** The backend says `queue` may have ready messages. */
  onReady(): void {
    this.#readyGeneration++;
    this.#hasMore = true;
    this.#pump();
  }

  scale(maxParallelism: number): void {
    const { minParallelism } = this.#options;
    if (!Number.isInteger(maxParallelism) || maxParallelism < minParallelism || maxParallelism > MAX_PARALLELISM) {
      throw new InvalidArgumentError("dispatcher", "maxParallelism", `scale("${this.queue}") needs an integer from minParallelism (${minParallelism}) to ${MAX_PARALLELISM}, got ${String(maxParallelism)}`);
    }
    this.#options = Object.freeze({ ...this.#options, maxParallelism });
    this.#pump();
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#releaseBuffer();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#hasMore = true;
    this.#pump();
  }

  /** Stop receiving, let running handlers finish until `deadline`, then abort and hand back the rest. */
  stop(deadline: Promise<void>): Promise<void> {
    this.#stopping ??= this.#stop(deadline);
    return this.#stopping;
  }

  async #stop(deadline: Promise<void>): Promise<void> {
    this.#state = "stopping";
    if (this.#retryTimer !== undefined) this.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#releaseBuffer();
    // A receive in flight hands its deliveries straight back (the state is no longer "running").
    if (this.#receiving !== undefined) await this.#receiving;
    await Promise.race([this.#whenIdle(), deadline]);
    for (const invocation of this.#active) invocation.abortForShutdown();
    await this.#whenIdle();
    await Promise.allSettled([...this.#pendingReleases]);
    this.#state = "stopped";
  }

  stats(): DispatcherQueueStats {
    return {
      queue: this.queue,
      running: this.#running,
      settling: this.#settling,
      parallelism: this.#options.maxParallelism,
      paused: this.#paused,
      buffered: this.#buffer.length,
      ...this.#counts,
      abandoned: this.#abandoned,
    };
  }

  // InvocationOwner -------------------------------------------------------------

  ack(receipt: string, publish: readonly EnqueueItem[] | undefined): Promise<void> {
    return this.#acks.ack(receipt, publish);
  }

  listening(event: keyof DispatcherEvents): boolean {
    return this.#events.listenerCount(event) > 0;
  }

  heartbeatDue(at: number): void {
    this.#timers.heartbeatDue(at);
  }

  emit<K extends keyof DispatcherEvents>(event: K, payload: Parameters<DispatcherEvents[K]>[0]): void {
    try {
      (this.#events.emit as (event: K, payload: unknown) => boolean)(event, payload);
    } catch (error) {
      this.logger.error("a dispatcher event listener threw; listeners must not throw", { event, error: toErrorInfo(error).message });
    }
  }

  record(outcome: Outcome): void {
    this.#counts[outcome]++;
  }

  abandoned(delta: 1 | -1): void {
    this.#abandoned += delta;
  }

  leftRunning(invocation: Invocation): void {
    if (!this.#active.delete(invocation)) return;
    this.#running--;
    this.#settling++;
    if (this.#active.size === 0 && this.#buffer.length === 0) this.#timers.idle();
    this.#pump();
  }

  finished(): void {
    this.#settling--;
    if (this.#running === 0 && this.#settling === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
    this.#pump();
  }

  // ---------------------------------------------------------------------------

  #pump(): void {
    if (this.#state !== "running" || this.#paused) return;
    const { maxParallelism, prefetch, leaseMs, maxPendingAcks } = this.#options;
    while (this.#running < maxParallelism && this.#settling < maxPendingAcks && this.#buffer.length > 0) this.#startInvocation(this.#buffer.shift()!);
    if (maxParallelism === 0) this.#releaseBuffer(); // scaled to zero: do not sit on leases
    if (this.#receiving !== undefined || this.#retryTimer !== undefined || !this.#hasMore || maxParallelism === 0) return;
    // While acks back up to their bound, lease nothing more than the prefetch.
    const free = this.#settling < maxPendingAcks ? maxParallelism - this.#running : 0;
    const want = free + prefetch - this.#buffer.length;
    if (want <= 0) return;
    const generation = this.#readyGeneration;
    // Deferred by one tick so a synchronously throwing backend cannot re-enter before #receiving is set.
    this.#receiving = Promise.resolve().then(() => this.#receive(want, leaseMs, generation));
  }

  async #receive(want: number, leaseMs: number, generation: number): Promise<void> {
    let deliveries: Delivery[];
    try {
      deliveries = await this.backend.receive(this.queue, { max: want, leaseMs });
    } catch (error) {
      this.#receiving = undefined;
      this.#onBackendError("receive", error, () => this.#pump());
      return;
    }
    this.#receiving = undefined;
    this.#failures = 0;
    // Only an empty batch proves the queue ran dry (a backend may cap a batch below `max`),
    // and not even that if a `ready` arrived meanwhile: then look again.
    if (deliveries.length === 0 && this.#readyGeneration === generation) this.#hasMore = false;
    if (this.#state !== "running" || this.#paused) {
      this.#release(deliveries);
      return;
    }
    const receivedAt = this.clock.monotonic();
    for (const delivery of deliveries) this.#buffer.push(new HeldDelivery(this, delivery, receivedAt));
    // Held deliveries are heartbeated from the start; the earliest due is the first one's.
    if (this.#buffer.length > 0) this.#timers.heartbeatDue(this.#buffer[0]!.nextBeat);
    this.#pump();
  }

  #startInvocation(held: HeldDelivery): void {
    held.held = false;
    if (held.lost) return; // its lease ended while it waited; the backend delivers it again
    const invocation = new Invocation(this, held.delivery, held.leaseEndsAt);
    this.#running++;
    this.#active.add(invocation);
    invocation.run();
    this.#timers.started(invocation);
  }

  #configure(): void {
    // Only an explicit maxRetries overrides the queue's own maxAttempts (set in the host's options, say).
    const configured = this.configuresAttempts ? this.backend.configureQueue(this.queue, { maxAttempts: this.#options.maxRetries + 1 }) : Promise.resolve();
    configured.then(
      () => {
        if (this.#state !== "configuring") return;
        this.#state = "running";
        this.#failures = 0;
        this.#pump();
      },
      (error: unknown) => {
        if (this.#state === "configuring") this.#onBackendError("configureQueue", error, () => this.#configure());
      },
    );
  }

  /** Report a failed backend call and retry it after a growing delay (quietly once stopping). */
  #onBackendError(operation: string, error: unknown, retry: () => void): void {
    if (this.#state === "stopping" || this.#state === "stopped") return;
    const mqError = toMqError(error, `${operation} failed`);
    this.#failures++;
    const delay = Math.min(RETRY_MIN_MS * 2 ** (this.#failures - 1), RETRY_MAX_MS);
    this.emit("error", { queue: this.queue, operation, error: mqError });
    // A closed backend is expected around shutdown; anything else deserves attention.
    const level = MqError.hasCode(mqError, MQ_ERROR_CODES.HOST_CLOSED) ? "debug" : "warn";
    this.logger[level](`${operation} failed; retrying in ${delay} ms`, { queue: this.queue, error: mqError.message });
    this.#retryTimer = this.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#hasMore = true;
      retry();
    }, delay);
  }

  #releaseBuffer(): void {
    if (this.#buffer.length === 0) return;
    const deliveries = this.#buffer.map((held) => {
      held.held = false;
      return held.delivery;
    });
    this.#buffer = [];
    this.#release(deliveries);
  }

  /** Hand leased-but-unstarted deliveries back, ready at once and without using up an attempt's verdict. */
  #release(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      this.#counts.released++;
      const pending = this.backend
        .nack(delivery.receipt, { delayMs: 0, maxAttempts: NEVER_DEAD_LETTER })
        .then(
          () => undefined,
          (error: unknown) => {
            // A lost lease or a closed backend means the message is not ours any more; anything
            // else leaves it leased until its lease ends, which deserves attention.
            const expected = MqError.hasCode(error, MQ_ERROR_CODES.LEASE_LOST) || MqError.hasCode(error, MQ_ERROR_CODES.HOST_CLOSED);
            const fields = { queue: this.queue, messageId: delivery.message.id, error: toErrorInfo(error).message };
            if (expected) this.logger.debug("release failed", fields);
            else {
              this.logger.warn("release failed; the message returns when its lease ends", fields);
              this.emit("error", { queue: this.queue, operation: "release", error: toMqError(error, "release failed") });
            }
          },
        )
        .finally(() => this.#pendingReleases.delete(pending));
      this.#pendingReleases.add(pending);
    }
  }

  #whenIdle(): Promise<void> {
    if (this.#running === 0 && this.#settling === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
