import { InvalidArgumentError, LeaseLostError, MAX_TIMER_MS, newId, RateLimitedError, UnrecoverableError, withFields } from "@mq/core";
import type { Delivery, EnqueueItem, EnqueueOptions, Logger, Message } from "@mq/core";
import type { HandlerContext } from "./types";

/** What a context needs from the handler run it belongs to (an invocation, seen only through this). */
export interface ContextTarget {
  readonly delivery: Delivery;
  /** Aborted on timeout, lost lease or shutdown. */
  readonly signal: AbortSignal;
  /** True while the handler may still publish and its result counts. */
  readonly active: boolean;
  extendLease(ms: number): Promise<void>;
  addPublish(item: EnqueueItem): void;
  reportProgress(value: unknown): void;
  /** Marks the run as to be dead-lettered when it ends, however it ends. */
  markDeadLetter(reason: string): void;
  /** Marks the run as backing off for `ms` when it ends, however it ends. */
  markRateLimited(ms: number): void;
}

/**
 * The `ctx` a handler receives: one small object per message, methods on the
 * prototype (call them as `ctx.publish(...)`, not detached).
 */
export class InvocationContext implements HandlerContext<unknown> {
  readonly message: Message;
  readonly attempt: number;
  readonly receipt: string;
  readonly #target: ContextTarget;
  readonly #queue: string;
  readonly #logger: Logger;
  #correlationId: string | undefined;
  #log: Logger | undefined;

  constructor(target: ContextTarget, queue: string, logger: Logger) {
    this.#target = target;
    this.#queue = queue;
    this.#logger = logger;
    this.message = target.delivery.message;
    this.attempt = target.delivery.attempt;
    this.receipt = target.delivery.receipt;
  }

  get signal(): AbortSignal {
    return this.#target.signal;
  }

  get log(): Logger {
    this.#log ??= withFields(this.#logger, { queue: this.#queue, messageId: this.message.id, attempt: this.attempt });
    return this.#log;
  }

  extendLease(ms: number): Promise<void> {
    if (!Number.isInteger(ms) || ms <= 0) {
      return Promise.reject(new InvalidArgumentError("ctx.extendLease", "ms", `extendLease needs a positive integer of milliseconds, got ${String(ms)}`));
    }
    return this.#target.extendLease(ms);
  }

  progress(value: unknown): void {
    if (this.#target.active) this.#target.reportProgress(value);
  }

  deadLetter(reason: string): never {
    const why = typeof reason === "string" && reason !== "" ? reason : "dead-lettered by its handler";
    this.#target.markDeadLetter(why);
    throw new UnrecoverableError(why);
  }

  rateLimited(ms: number): never {
    if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0 || ms > MAX_TIMER_MS) {
      throw new InvalidArgumentError("ctx.rateLimited", "ms", `rateLimited needs an integer of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(ms)}`);
    }
    this.#target.markRateLimited(ms);
    throw new RateLimitedError(`handler for "${this.#queue}" backed off`, ms);
  }

  publish(destination: string | { readonly topic: string }, payload: unknown, options?: EnqueueOptions): void {
    if (!this.#target.active) throw new LeaseLostError(this.receipt, "the handler already finished; publish only while it runs");
    const target = toTarget(destination);
    const message = this.message;
    // One correlation id per invocation, so every message it publishes shares it.
    this.#correlationId ??= message.correlationId ?? newId();
    const headers = message.headers === undefined ? options?.headers : { ...message.headers, ...options?.headers };
    const item = {
      ...options,
      ...target,
      payload,
      correlationId: options?.correlationId ?? this.#correlationId,
      causationId: options?.causationId ?? message.id,
      ...(headers === undefined ? {} : { headers }),
    } as EnqueueItem;
    this.#target.addPublish(item);
  }
}

// ---------------------------------------------------------------------------

function toTarget(destination: string | { readonly topic: string }): { queue: string } | { topic: string } {
  if (typeof destination === "string" && destination !== "") return { queue: destination };
  if (typeof destination === "object" && destination !== null && typeof destination.topic === "string" && destination.topic !== "") {
    return { topic: destination.topic };
  }
  throw new InvalidArgumentError("ctx.publish", "destination", "publish needs a queue name or { topic } with a non-empty name");
}
