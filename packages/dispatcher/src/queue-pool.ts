import { InvalidArgumentError, MQ_ERROR_CODES, MqError, toErrorInfo, toMqError } from "@mq/core";
import type { Clock, Delivery, EnqueueItem, Logger, QueueBackend } from "@mq/core";
import type { EventEmitter } from "eventemitter3";
import { AckBatcher, type AckSettler } from "./ack-batcher";
import { MAX_PARALLELISM } from "./defaults";
import { DeliveryReleaser } from "./delivery-releaser";
import type { HeldDelivery } from "./held-delivery";
import { Invocation } from "./invocation";
import type { InvocationOwner } from "./invocation";
import { InvocationTimers } from "./invocation-timers";
import type { HandlerMiddleware } from "./middleware";
import { PoolCounters } from "./pool-counters";
import type { Outcome } from "./pool-counters";
import { Prefetcher } from "./prefetcher";
import type { PrefetchHost } from "./prefetcher";
import type { HandlerSource } from "./resolve-handler";
import type { DispatcherEvents, DispatcherQueueStats, ResolvedHandlerOptions } from "./types";

/** How long an identical failure stays quiet (logged at debug) after it was logged once. */
const REPEAT_QUIET_MS = 60_000;

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

/**
 * The workers of one queue: at most `maxParallelism` invocations at once, fed
 * by the {@link Prefetcher}; acks are coalesced by the {@link AckBatcher} and
 * run outside the slots, so a worker is free before its ack is durable.
 */
export class QueuePool implements InvocationOwner, PrefetchHost {
  readonly queue: string;
  readonly source: HandlerSource;
  readonly backend: QueueBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly middleware: readonly HandlerMiddleware[];
  readonly #events: EventEmitter<DispatcherEvents>;
  #options: ResolvedHandlerOptions;
  #state: "idle" | "running" | "stopping" | "stopped" = "idle";
  #paused = false;
  /** Invocations whose handler is running (the slots), in start order (the timers rely on that order). */
  readonly #active = new Set<Invocation>();
  /** Acks and nacks in flight; they hold no slot but are bounded by `maxPendingAcks`. */
  #settling = 0;
  readonly #counters = new PoolCounters();
  #lastErrorKey: string | undefined;
  #lastErrorAt = -Infinity;
  readonly #prefetcher: Prefetcher;
  readonly #releaser: DeliveryReleaser;
  readonly #timers: InvocationTimers;
  readonly #acks: AckBatcher;
  #idleWaiters: (() => void)[] = [];
  #stopping: Promise<void> | undefined;

  constructor(queue: string, source: HandlerSource, options: ResolvedHandlerOptions, deps: PoolDeps) {
    this.queue = queue;
    this.source = source;
    this.#options = options;
    this.backend = deps.backend;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.random = deps.random;
    this.middleware = deps.middleware;
    this.#events = deps.events;
    this.#prefetcher = new Prefetcher(this);
    this.#releaser = new DeliveryReleaser(this);
    this.#timers = new InvocationTimers(deps.clock, this.#active, () => this.#prefetcher.held());
    this.#acks = new AckBatcher(deps.backend);
  }

  get options(): ResolvedHandlerOptions {
    return this.#options;
  }

  get accepting(): boolean {
    return this.#state === "running" && !this.#paused;
  }

  /** Start receiving. Idempotent. */
  start(): void {
    if (this.#state !== "idle") return;
    this.#state = "running";
    this.pump();
  }

  /** The backend says `queue` may have ready messages. */
  onReady(): void {
    this.#prefetcher.onReady();
    this.pump();
  }

  scale(maxParallelism: number): void {
    const { minParallelism } = this.#options;
    if (!Number.isInteger(maxParallelism) || maxParallelism < minParallelism || maxParallelism > MAX_PARALLELISM) {
      throw new InvalidArgumentError("scale", "maxParallelism", `scale("${this.queue}") needs an integer from minParallelism (${minParallelism}) to ${MAX_PARALLELISM}, got ${String(maxParallelism)}`);
    }
    const shrinking = maxParallelism < this.#options.maxParallelism;
    this.#options = Object.freeze({ ...this.#options, maxParallelism });
    this.#prefetcher.depth.rescale(maxParallelism);
    // Do not sit on leases the smaller pool cannot use soon: keep what the free slots and the prefetch need.
    if (shrinking) this.release(this.#prefetcher.trim(maxParallelism === 0 ? 0 : Math.max(0, maxParallelism - this.#active.size) + this.#prefetcher.depth.value));
    this.pump();
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.release(this.#prefetcher.drain());
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#prefetcher.rearm();
    this.pump();
  }

  /** Stop receiving, let running handlers finish until `deadline`, then abort them and hand back the rest. */
  stop(deadline: Promise<void>): Promise<void> {
    this.#stopping ??= this.#stop(deadline);
    return this.#stopping;
  }

  stats(): DispatcherQueueStats {
    const { maxRetries, prefetch, maxParallelism } = this.#options;
    return {
      queue: this.queue,
      running: this.#active.size,
      settling: this.#settling,
      parallelism: maxParallelism,
      paused: this.#paused,
      buffered: this.#prefetcher.size,
      prefetch: { mode: prefetch === "auto" ? "auto" : "fixed", depth: this.#prefetcher.depth.value },
      retryPolicy: maxRetries === undefined ? { from: "queue" } : { from: "handler", maxAttempts: maxRetries + 1 },
      ...this.#counters.counts,
      abandoned: this.#counters.abandoned,
    };
  }

  // Called by the prefetcher, the invocations and the releaser -------------------

  pump(): void {
    if (!this.accepting) return;
    const { maxParallelism, maxPendingAcks } = this.#options;
    while (this.#active.size < maxParallelism && this.#settling < maxPendingAcks) {
      const held = this.#prefetcher.take();
      if (held === undefined) break;
      this.#startInvocation(held);
    }
    if (maxParallelism === 0) {
      this.release(this.#prefetcher.drain()); // scaled to zero: do not sit on leases
      return;
    }
    // While acks back up to their bound, lease nothing more than the prefetch.
    this.#prefetcher.fill(this.#settling < maxPendingAcks ? maxParallelism - this.#active.size : 0);
  }

  release(deliveries: readonly Delivery[]): void {
    if (deliveries.length === 0) return;
    this.#counters.record("released", deliveries.length);
    this.#releaser.release(deliveries);
  }

  ack(receipt: string, publish: readonly EnqueueItem[] | undefined, result: unknown, settler: AckSettler): void {
    this.#acks.submit(receipt, publish, result, settler);
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
      this.logger.error({ event, error: toErrorInfo(error).message }, "a dispatcher event listener threw; listeners must not throw");
    }
  }

  reportError(operation: string, error: unknown, fields: Readonly<Record<string, unknown>> = {}): void {
    const mqError = toMqError(error, `${operation} failed`);
    const listened = this.listening("error");
    if (listened) this.emit("error", { queue: this.queue, operation, error: mqError });
    // A closed backend is expected around shutdown. Anything else is logged in any case, and as
    // an error when nobody listens to the event: an unheard error is never dropped.
    // The same kind of failure again within a minute (a failed journal refusing every retry, first
    // with its cause, then as "fail-stopped") is logged once, not per retry: keyed by operation and code.
    const key = `${operation}\u0000${mqError.code}`;
    const now = this.clock.monotonic();
    const repeated = key === this.#lastErrorKey && now - this.#lastErrorAt < REPEAT_QUIET_MS;
    this.#lastErrorKey = key;
    this.#lastErrorAt = now;
    // A fail-stopped backend refusing calls reported the failure itself (its logger, health, the
    // call that failed): here it is the reason handlers stopped, a warning, not a second error.
    const level = repeated || MqError.hasCode(mqError, MQ_ERROR_CODES.HOST_CLOSED) ? "debug" : listened || isFailStopped(mqError) ? "warn" : "error";
    this.logger[level]({ queue: this.queue, operation, ...fields, code: mqError.code, error: mqError.message }, `${operation} failed`);
  }

  record(outcome: Outcome): void {
    this.#counters.record(outcome);
  }

  abandoned(delta: 1 | -1): void {
    this.#counters.abandoned += delta;
  }

  leftRunning(invocation: Invocation): void {
    if (!this.#active.delete(invocation)) return;
    this.#settling++;
    if (this.#active.size === 0 && this.#prefetcher.size === 0) this.#timers.idle();
    this.pump();
  }

  finished(): void {
    this.#settling--;
    if (this.#active.size === 0 && this.#settling === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
    this.pump();
  }

  // ---------------------------------------------------------------------------

  async #stop(deadline: Promise<void>): Promise<void> {
    this.#state = "stopping";
    this.#prefetcher.cancel();
    this.release(this.#prefetcher.drain());
    // Receives in flight hand their deliveries straight back (the pool no longer accepts).
    await this.#prefetcher.settled();
    await Promise.race([this.#whenIdle(), deadline]);
    for (const invocation of this.#active) invocation.abortForShutdown();
    await this.#whenIdle();
    await this.#releaser.settled();
    this.#timers.idle();
    this.#state = "stopped";
  }

  #startInvocation(held: HeldDelivery): void {
    const invocation = new Invocation(this, held.delivery, held.heartbeat);
    this.#active.add(invocation);
    invocation.run();
    this.#timers.started(invocation);
  }

  #whenIdle(): Promise<void> {
    if (this.#active.size === 0 && this.#settling === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}

/** A backend's refusal after its own earlier fail-stop (`PersistenceError` with errno `FAIL_STOPPED`). */
function isFailStopped(error: MqError): boolean {
  return MqError.hasCode(error, MQ_ERROR_CODES.PERSISTENCE) && (error as MqError & { errno?: unknown }).errno === "FAIL_STOPPED";
}
