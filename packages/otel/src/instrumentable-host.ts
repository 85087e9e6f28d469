import type { BackendEvents, Delivery, EnqueueItem, EnqueueOptions, EnqueueResult, Logger, Message, QueueStats } from "@mq/core";
import type { EventEmitter } from "eventemitter3";

/** The part of a handler's `ctx` the instrumentation wraps (the dispatcher's `HandlerContext`). */
export interface InstrumentedContext {
  readonly signal: AbortSignal;
  readonly message: Message;
  readonly attempt: number;
  readonly receipt: string;
  extendLease(ms: number): Promise<void>;
  publish(destination: string | { readonly topic: string }, payload: unknown, options?: EnqueueOptions): void;
  progress(value: unknown): void;
  deadLetter(reason: string): never;
  /** Back off without failing (`@mq/dispatcher`'s `ctx.rateLimited`). */
  rateLimited(ms: number): never;
  readonly log: Logger;
}

/** The transaction object `host.transaction()` hands to its function. */
export interface TransactionLike {
  enqueue(queue: string, payload: unknown, options?: EnqueueOptions): void;
  publish(topic: string, payload: unknown, options?: EnqueueOptions): void;
  ack(receipts: string | readonly string[]): void;
}

/** The dispatcher events the metrics read. */
export interface DispatcherEventsLike {
  started: (event: { readonly queue: string; readonly messageId: string; readonly attempt: number; readonly enqueuedAt: number }) => void;
  succeeded: (event: { readonly queue: string; readonly durationMs: number }) => void;
  failed: (event: { readonly queue: string; readonly durationMs: number; readonly error: { readonly name: string } }) => void;
}

/** Subscribing to the dispatcher events the metrics read. */
export interface DispatcherEventSource {
  on(event: "started", listener: DispatcherEventsLike["started"]): unknown;
  on(event: "succeeded", listener: DispatcherEventsLike["succeeded"]): unknown;
  on(event: "failed", listener: DispatcherEventsLike["failed"]): unknown;
  off(event: "started", listener: DispatcherEventsLike["started"]): unknown;
  off(event: "succeeded", listener: DispatcherEventsLike["succeeded"]): unknown;
  off(event: "failed", listener: DispatcherEventsLike["failed"]): unknown;
}

/**
 * What `instrumentHost` needs from a host; `QueueHost` from `@mq/host` has
 * it. Declared structurally so `@mq/otel` does not depend on `@mq/host`.
 */
export interface InstrumentableHost {
  enqueue(queue: string, payload: unknown, options?: EnqueueOptions & Record<string, unknown>): Promise<EnqueueResult>;
  enqueueBatch(items: readonly EnqueueItem[], options?: Record<string, unknown>): Promise<EnqueueResult[]>;
  publish(topic: string, payload: unknown, options?: EnqueueOptions & Record<string, unknown>): Promise<EnqueueResult>;
  receive(queue: string, options?: Record<string, unknown>): Promise<Delivery[]>;
  /** Optional: enqueues inside it get the transaction's span context. */
  transaction?<T>(fn: (tx: TransactionLike) => T | Promise<T>): Promise<T>;
  stats(queue?: string): Promise<QueueStats>;
  queues(): Promise<string[]>;
  readonly events: EventEmitter<BackendEvents>;
  readonly dispatcher: {
    /** Wraps every handler invocation; returns a remover. */
    use(middleware: (ctx: InstrumentedContext, next: (ctx?: InstrumentedContext) => Promise<unknown>) => unknown): () => void;
    readonly events: DispatcherEventSource;
  };
}
