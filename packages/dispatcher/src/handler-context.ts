import { InvalidArgumentError, LeaseLostError, newId } from "@mq/core";
import type { EnqueueItem, EnqueueOptions, Message } from "@mq/core";
import type { Invocation, InvocationOwner } from "./invocation";
import { withFields } from "./logger";
import type { Logger } from "./logger";
import type { HandlerContext } from "./types";

/**
 * The `ctx` a handler receives: one small object per message, methods on the
 * prototype (call them as `ctx.publish(...)`, not detached).
 */
export class InvocationContext implements HandlerContext<unknown> {
  readonly message: Message;
  readonly attempt: number;
  readonly receipt: string;
  readonly #invocation: Invocation;
  readonly #owner: InvocationOwner;
  #correlationId: string | undefined;
  #log: Logger | undefined;

  constructor(invocation: Invocation, owner: InvocationOwner) {
    this.#invocation = invocation;
    this.#owner = owner;
    this.message = invocation.delivery.message;
    this.attempt = invocation.delivery.attempt;
    this.receipt = invocation.delivery.receipt;
  }

  get signal(): AbortSignal {
    return this.#invocation.signal;
  }

  get log(): Logger {
    this.#log ??= withFields(this.#owner.logger, { queue: this.#owner.queue, messageId: this.message.id, attempt: this.attempt });
    return this.#log;
  }

  extendLease(ms: number): Promise<void> {
    if (!Number.isInteger(ms) || ms <= 0) {
      return Promise.reject(new InvalidArgumentError("dispatcher", "ms", `extendLease needs a positive integer of milliseconds, got ${String(ms)}`));
    }
    return this.#invocation.extendLease(ms);
  }

  publish(destination: string | { readonly topic: string }, payload: unknown, options?: EnqueueOptions): void {
    if (!this.#invocation.active) throw new LeaseLostError(this.receipt, "the handler already finished; publish only while it runs");
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
    this.#invocation.addPublish(item);
  }
}

// ---------------------------------------------------------------------------

function toTarget(destination: string | { readonly topic: string }): { queue: string } | { topic: string } {
  if (typeof destination === "string" && destination !== "") return { queue: destination };
  if (typeof destination === "object" && destination !== null && typeof destination.topic === "string" && destination.topic !== "") {
    return { topic: destination.topic };
  }
  throw new InvalidArgumentError("dispatcher", "destination", "publish needs a queue name or { topic } with a non-empty name");
}
