import { AbortedError, TimeoutError, type CompletedMessage, type DeadLetterApi, type Delivery, type EnqueueItem, type EnqueueOptions, type EnqueueResult, type Message, type MessageInfo, type NackOptions, type NackOutcome, type QueueSettings, type QueueStats, type ScheduleInfo, type ScheduleSpec } from "@mq/core";
import { createDispatcher, type Dispatcher, type Logger, type HandlerOptions, type HandlerRegistration, type HandlerSpec } from "@mq/dispatcher";
import { HttpTransport, type TransportOptions } from "./http-transport";
import { NetworkBackend, type QueueLimits } from "./network-backend";
import { SocketSession, type ReconnectOptions } from "./socket-session";
import { Subscription, type SubscribeOptions, type SubscriptionHandler } from "./subscription";
import { defaultWebSocket, type WebSocketConstructor } from "./websocket-impl";

/** Options of {@link createClient}. */
export interface ClientOptions extends TransportOptions {
  /** WebSocket implementation. @default the `ws` package on Node, the runtime's WebSocket elsewhere */
  readonly WebSocket?: WebSocketConstructor;
  /** Backoff between WebSocket reconnects. @default { baseMs: 100, maxMs: 5_000 } */
  readonly reconnect?: ReconnectOptions;
  /** How long `close()` waits for running handlers. @default 25_000 */
  readonly drainTimeoutMs?: number;
  readonly logger?: Logger;
}

/** Enqueue options of the client (the host's, minus nothing). */
export interface ClientEnqueueOptions extends EnqueueOptions {
  readonly waitIfFull?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * A client of @mq/server with the host's shapes. Call `open()` first (it
 * connects the WebSocket that carries `ready` notifications), `close()` last.
 */
export class MqClient {
  /** The server as a QueueBackend: hand it to anything that takes one. */
  readonly backend: NetworkBackend;
  readonly #session: SocketSession;
  readonly #options: ClientOptions;
  #dispatcher: Dispatcher | undefined;
  readonly #subscriptions = new Set<Subscription>();

  constructor(options: ClientOptions) {
    this.#options = options;
    const http = new HttpTransport(options);
    this.#session = new SocketSession(http.url, options.token, options.WebSocket ?? defaultWebSocket(), options.reconnect);
    this.backend = new NetworkBackend(http, this.#session);
  }

  /** Connects the WebSocket; rejects with ConnectionError when the server cannot be reached. */
  open(): Promise<void> {
    return this.backend.open();
  }

  /** Stops handlers (draining), closes subscriptions and the WebSocket. */
  async close(): Promise<void> {
    await this.#dispatcher?.stop(this.#options.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: this.#options.drainTimeoutMs });
    for (const s of this.#subscriptions) s.close();
    await this.backend.close();
  }

  async enqueue<TPayload>(queue: string, payload: TPayload, options: ClientEnqueueOptions = {}): Promise<EnqueueResult> {
    const { waitIfFull, signal, ...message } = options;
    const [r] = await this.backend.enqueue([{ ...message, queue, payload }], { ...(waitIfFull === undefined ? {} : { waitIfFull }), ...(signal === undefined ? {} : { signal }) });
    return r!;
  }

  /** Enqueues many messages atomically (to queues or topics). */
  enqueueBatch(items: readonly EnqueueItem[], options: { readonly waitIfFull?: boolean; readonly signal?: AbortSignal } = {}): Promise<EnqueueResult[]> {
    return this.backend.enqueue(items, options);
  }

  async publish<TPayload>(topic: string, payload: TPayload, options: ClientEnqueueOptions = {}): Promise<EnqueueResult> {
    const { waitIfFull, signal, ...message } = options;
    const [r] = await this.backend.enqueue([{ ...message, topic, payload }], { ...(waitIfFull === undefined ? {} : { waitIfFull }), ...(signal === undefined ? {} : { signal }) });
    return r!;
  }

  /** Leases up to `max` messages for `leaseMs` (the visibility timeout); with `waitMs`, long-polls. */
  receive<TPayload = unknown>(queue: string, options: { max?: number; leaseMs?: number; waitMs?: number; signal?: AbortSignal } = {}): Promise<Delivery<TPayload>[]> {
    return this.backend.receive(queue, { max: options.max ?? 1, leaseMs: options.leaseMs ?? 30_000, ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }), ...(options.signal === undefined ? {} : { signal: options.signal }) }) as Promise<Delivery<TPayload>[]>;
  }

  ack(receipts: string | readonly string[], publish: readonly EnqueueItem[] = []): Promise<void> {
    return this.backend.ack(typeof receipts === "string" ? [receipts] : receipts, publish);
  }

  nack(receipt: string, options?: NackOptions): Promise<NackOutcome> {
    return this.backend.nack(receipt, options);
  }

  extend(receipt: string, leaseMs: number): Promise<void> {
    return this.backend.extend(receipt, leaseMs);
  }

  release(receipts: string | readonly string[]): Promise<void> {
    return this.backend.release(typeof receipts === "string" ? [receipts] : receipts);
  }

  /** Removes every ready and delayed message of `queue` (needs an admin token); resolves with how many. */
  purge(queue: string): Promise<number> {
    return this.backend.purge(queue);
  }

  stats(queue?: string): Promise<QueueStats> {
    return this.backend.stats(queue);
  }

  queues(): Promise<string[]> {
    return this.backend.queues();
  }

  get deadLetters(): DeadLetterApi {
    return this.backend.deadLetters;
  }

  bind(topic: string, queue: string): Promise<void> {
    return this.backend.bind(topic, queue);
  }

  unbind(topic: string, queue: string): Promise<void> {
    return this.backend.unbind(topic, queue);
  }

  configureQueue(queue: string, settings: QueueSettings): Promise<void> {
    return this.backend.configureQueue(queue, settings);
  }

  /** Up to `limit` ready messages of `queue` in delivery order, without leasing them. */
  peek<TPayload = unknown>(queue: string, limit = 10): Promise<Message<TPayload>[]> {
    return this.backend.peek(queue, limit) as Promise<Message<TPayload>[]>;
  }

  /** Queues bound to `topic` (those this token can see). */
  bindings(topic: string): Promise<string[]> {
    return this.backend.bindings(topic);
  }

  /** The queue's rate limits, in-flight cap and group failure mode (`null`: no limit). */
  limits(queue: string): Promise<QueueLimits> {
    return this.backend.limits(queue);
  }

  /** Changes the queue's limits at runtime (only the fields given; `null` removes one; needs admin); resolves with those in force. */
  setLimits(queue: string, limits: Partial<QueueLimits>): Promise<QueueLimits> {
    return this.backend.setLimits(queue, limits);
  }

  /** Where message `id` of `queue` is: ready, delayed, in-flight (with progress), completed (with result), dead-lettered or unknown. */
  getMessage<TPayload = unknown>(queue: string, id: string): Promise<MessageInfo & { readonly message?: { readonly payload: TPayload } }> {
    return this.backend.getMessage(queue, id) as Promise<MessageInfo & { readonly message?: { readonly payload: TPayload } }>;
  }

  /** Removes a ready or delayed message; `MessageInFlightError` while a consumer holds it, `NotFoundError` when absent. */
  cancel(queue: string, id: string): Promise<void> {
    return this.backend.cancel(queue, id);
  }

  /** The kept completion of message `id` (queues with `keepCompleted`), or undefined. */
  result(id: string): Promise<CompletedMessage | undefined> {
    return this.backend.completion(id);
  }

  /**
   * Waits for message `id` to complete, with server-side long polls (so it
   * survives WebSocket drops). Rejects with `TimeoutError` after `timeoutMs`,
   * `AbortedError` on `signal`, and `UnrecoverableError` (`MQ_UNRECOVERABLE`)
   * when the message is dead-lettered while waited for.
   */
  async waitForResult(id: string, options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {}): Promise<CompletedMessage> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (;;) {
      if (options.signal?.aborted === true) throw new AbortedError("waitForResult", options.signal.reason);
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`waitForResult("${id}")`, options.timeoutMs ?? 0);
      // Under the server's default maxWaitMs (20 s), so each poll is accepted.
      const found = await this.backend.waitForCompletion(id, Math.min(left, 10_000), options.signal);
      if (found !== undefined) return found;
    }
  }

  /** Creates or replaces a durable schedule (needs admin on `spec.queue`). */
  schedule(name: string, spec: ScheduleSpec): Promise<ScheduleInfo> {
    return this.backend.schedule(name, spec);
  }

  /** Removes a schedule; false when there was none. */
  unschedule(name: string): Promise<boolean> {
    return this.backend.unschedule(name);
  }

  /** The schedules of the queues this token administers. */
  schedules(): Promise<ScheduleInfo[]> {
    return this.backend.schedules();
  }

  /**
   * Runs `handler` for every message of `queue` with @mq/dispatcher over the
   * network backend: the same options (parallelism, timeouts, retries with
   * backoff, lease heartbeats) as `host.handle`.
   */
  handle<TPayload = unknown>(queue: string, handler: HandlerSpec<TPayload>, options: HandlerOptions = {}): HandlerRegistration {
    if (this.#dispatcher === undefined) {
      this.#dispatcher = createDispatcher(this.backend, { ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }), ...(this.#options.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: this.#options.drainTimeoutMs }) });
      this.#dispatcher.start();
    }
    return this.#dispatcher.handle(queue, handler, options);
  }

  /** The dispatcher behind `handle()` (events, stats, scale), once a handler is registered. */
  get dispatcher(): Dispatcher | undefined {
    return this.#dispatcher;
  }

  /**
   * Subscribes over the WebSocket with credit-based flow control: the server
   * pushes at most `credit` unacknowledged messages; each settled delivery
   * grants one more.
   */
  subscribe<TPayload = unknown>(queue: string, handler: SubscriptionHandler<TPayload>, options: SubscribeOptions = {}): Subscription {
    const sub = new Subscription(this.#session, this.backend, queue, handler as SubscriptionHandler, options);
    this.#subscriptions.add(sub);
    sub.start();
    return sub;
  }
}

/** Creates a client; call `await client.open()` before use. */
export function createClient(options: ClientOptions): MqClient {
  return new MqClient(options);
}
