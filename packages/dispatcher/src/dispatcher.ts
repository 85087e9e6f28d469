import { HostClosedError, InvalidArgumentError, NotFoundError, guardLogger, silentLogger, systemClock } from "@mq/core";
import type { QueueBackend } from "@mq/core";
import { EventEmitter } from "eventemitter3";
import { resolveDispatcherOptions, resolveDrainTimeoutMs, resolveHandlerOptions } from "./handler-options";
import { QueuePool } from "./queue-pool";
import type { PoolDeps } from "./queue-pool";
import type { HandlerMiddleware } from "./middleware";
import { prepareHandler } from "./resolve-handler";
import type {
  Dispatcher,
  DispatcherEvents,
  DispatcherOptions,
  DispatcherQueueStats,
  HandlerOptions,
  HandlerRegistration,
  HandlerResolver,
  HandlerSpec,
} from "./types";

/** Creates a dispatcher that runs handlers for queues of `backend` (any `QueueBackend`). */
export function createDispatcher(backend: QueueBackend, options: DispatcherOptions = {}): Dispatcher {
  return new QueueDispatcher(backend, options);
}

// ---------------------------------------------------------------------------

class QueueDispatcher implements Dispatcher {
  readonly events = new EventEmitter<DispatcherEvents>();
  readonly #backend: QueueBackend;
  readonly #deps: PoolDeps;
  readonly #resolver: HandlerResolver | undefined;
  readonly #drainTimeoutMs: number;
  readonly #pools = new Map<string, QueuePool>();
  readonly #middleware: HandlerMiddleware[] = [];
  #state: "created" | "started" | "stopping" | "stopped" = "created";
  #stopping: Promise<void> | undefined;
  readonly #onReady = (queue: string): void => this.#pools.get(queue)?.onReady();

  constructor(backend: QueueBackend, options: DispatcherOptions) {
    this.#backend = backend;
    this.#drainTimeoutMs = resolveDispatcherOptions(options);
    this.#resolver = options.resolver;
    this.#deps = {
      backend,
      clock: options.clock ?? systemClock,
      logger: options.logger === undefined ? silentLogger : guardLogger(options.logger),
      random: options.random ?? Math.random,
      events: this.events,
      middleware: this.#middleware,
    };
  }

  handle<TPayload = unknown>(queue: string, handler: HandlerSpec<TPayload>, options?: HandlerOptions): HandlerRegistration {
    if (this.#state === "stopping" || this.#state === "stopped") throw new HostClosedError("dispatcher", this.#state);
    if (typeof queue !== "string" || queue === "") throw new InvalidArgumentError("handle", "queue", "must be a non-empty string");
    if (this.#pools.has(queue)) throw new InvalidArgumentError("handle", "queue", `"${queue}" already has a handler; unregister it first or use scale()`);
    const resolved = resolveHandlerOptions(options);
    const source = prepareHandler(queue, handler, this.#resolver);
    const pool = new QueuePool(queue, source, resolved, this.#deps);
    this.#pools.set(queue, pool);
    if (this.#state === "started") pool.start();
    return this.#registration(pool);
  }

  start(): void {
    if (this.#state === "started") return;
    if (this.#state !== "created") throw new HostClosedError("dispatcher", this.#state);
    this.#state = "started";
    this.#backend.events.on("ready", this.#onReady);
    for (const pool of this.#pools.values()) pool.start();
  }

  use(middleware: HandlerMiddleware): () => void {
    if (typeof middleware !== "function") throw new InvalidArgumentError("use", "middleware", "must be a function (ctx, next) => unknown");
    this.#middleware.push(middleware);
    return () => {
      const i = this.#middleware.indexOf(middleware);
      if (i >= 0) this.#middleware.splice(i, 1);
    };
  }

  scale(queue: string, maxParallelism: number): void {
    this.#pool(queue).scale(maxParallelism);
  }

  pause(queue: string): void {
    this.#pool(queue).pause();
  }

  resume(queue: string): void {
    this.#pool(queue).resume();
  }

  stop(options?: { readonly drainTimeoutMs?: number }): Promise<void> {
    if (this.#stopping === undefined) {
      const drainTimeoutMs = resolveDrainTimeoutMs(options, "stop") ?? this.#drainTimeoutMs;
      this.#state = "stopping";
      this.#stopping = this.#stopAll(drainTimeoutMs);
    }
    return this.#stopping;
  }

  stats(queue?: string): DispatcherQueueStats[] {
    if (queue !== undefined) return [this.#pool(queue).stats()];
    return [...this.#pools.values()].map((pool) => pool.stats());
  }

  handlers(): HandlerRegistration[] {
    return [...this.#pools.values()].map((pool) => this.#registration(pool));
  }

  // ---------------------------------------------------------------------------

  async #stopAll(drainTimeoutMs: number): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => this.#stopPool(pool, drainTimeoutMs)));
    this.#backend.events.off("ready", this.#onReady);
    this.#state = "stopped";
  }

  async #stopPool(pool: QueuePool, drainTimeoutMs: number): Promise<void> {
    const clock = this.#deps.clock;
    let timer: unknown;
    // A zero drain means "abort now": no timer, so it also works on a clock that never moves.
    const deadline =
      drainTimeoutMs === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            timer = clock.setTimeout(resolve, drainTimeoutMs);
          });
    try {
      await pool.stop(deadline);
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
    }
  }

  #registration(pool: QueuePool): HandlerRegistration {
    return {
      queue: pool.queue,
      get options() {
        return pool.options;
      },
      unregister: async (options) => {
        const drainTimeoutMs = resolveDrainTimeoutMs(options, "unregister") ?? this.#drainTimeoutMs;
        await this.#stopPool(pool, drainTimeoutMs);
        if (this.#pools.get(pool.queue) === pool) this.#pools.delete(pool.queue);
      },
    };
  }

  #pool(queue: string): QueuePool {
    const pool = this.#pools.get(queue);
    if (pool === undefined) throw new NotFoundError("handler for queue", queue, "register one with handle() first");
    return pool;
  }
}
