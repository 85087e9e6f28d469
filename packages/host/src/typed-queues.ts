import type { Delivery, EnqueueOptions, EnqueueResult, Message, MessageInfo, ScheduleInfo, ScheduleSpec } from "@mq/core";
import type { HandlerOptions, HandlerRegistration, HandlerSpec } from "@mq/dispatcher";
import type { HostEnqueueOptions, HostReceiveOptions, QueueHost } from "./queue-host";

/** Queue names of a payload map. */
type Names<M> = keyof M & string;

/** One enqueue item whose payload type follows its queue name. */
export type TypedEnqueueItem<M> = { [Q in Names<M>]: EnqueueOptions & { readonly queue: Q; readonly payload: M[Q] } }[Names<M>];

/** `getMessage` with the stored message's payload typed. */
export type TypedMessageInfo<P> = Omit<MessageInfo, "message"> & { readonly message?: Message<P> };

/** A schedule whose payload type follows its queue name. */
export type TypedScheduleSpec<M> = { [Q in Names<M>]: Omit<ScheduleSpec, "queue" | "payload"> & { readonly queue: Q; readonly payload: M[Q] } }[Names<M>];

/**
 * A typed view over a {@link QueueHost}: every call checks the payload type
 * against the queue (or topic) name at compile time. It adds nothing at run
 * time: each method calls the host's.
 */
export interface TypedQueues<M, T = Record<never, never>> {
  /** The untyped host underneath (start, stop, stats, dead letters…). */
  readonly host: QueueHost;
  enqueue<Q extends Names<M>>(queue: Q, payload: M[Q], options?: HostEnqueueOptions): Promise<EnqueueResult>;
  enqueueBatch(items: readonly TypedEnqueueItem<M>[], options?: { readonly waitIfFull?: boolean; readonly signal?: AbortSignal }): Promise<EnqueueResult[]>;
  publish<K extends keyof T & string>(topic: K, payload: T[K], options?: HostEnqueueOptions): Promise<EnqueueResult>;
  handle<Q extends Names<M>>(queue: Q, handler: HandlerSpec<M[Q]>, options?: HandlerOptions): HandlerRegistration;
  receive<Q extends Names<M>>(queue: Q, options?: HostReceiveOptions): Promise<Delivery<M[Q]>[]>;
  getMessage<Q extends Names<M>>(queue: Q, id: string): Promise<TypedMessageInfo<M[Q]>>;
  cancel(queue: Names<M>, id: string): Promise<void>;
  schedule(name: string, spec: TypedScheduleSpec<M>): Promise<ScheduleInfo>;
}

/**
 * Declares the payload type of each queue (and, optionally, each topic):
 *
 * ```ts
 * const queues = defineQueues<{ orders: Order; payments: Payment }>()(host);
 * await queues.enqueue("orders", { id: 1 });   // checked against Order
 * ```
 *
 * Curried so the queue map is given explicitly while the host is inferred.
 */
export function defineQueues<M, T = Record<never, never>>(): (host: QueueHost) => TypedQueues<M, T> {
  return (host) => ({
    host,
    enqueue: (queue, payload, options) => host.enqueue(queue, payload, options),
    enqueueBatch: (items, options) => host.enqueueBatch(items, options),
    publish: (topic, payload, options) => host.publish(topic, payload, options),
    handle: (queue, handler, options) => host.handle(queue, handler, options),
    receive: (queue, options) => host.receive(queue, options),
    getMessage: (queue, id) => host.getMessage(queue, id) as never,
    cancel: (queue, id) => host.cancel(queue, id),
    schedule: (name, spec) => host.schedule(name, spec),
  });
}
