import { RateLimitedError, toErrorInfo, type Delivery } from "@mq/core";
import type { NetworkBackend } from "./network-backend";
import type { SocketSession } from "./socket-session";

/** Options of {@link MqClient.subscribe}. */
export interface SubscribeOptions {
  /** Most messages in the client's hands at once. @default 10 */
  readonly credit?: number;
  /** Visibility timeout of each pushed message. @default the queue's default lease */
  readonly visibilityTimeoutMs?: number;
}

/**
 * Handles one pushed delivery: returning acks it (a value other than
 * `undefined` is kept as its result on queues with `keepCompleted`), throwing nacks it.
 */
export type SubscriptionHandler<TPayload = unknown> = (delivery: Delivery<TPayload>) => unknown;

/**
 * A WebSocket subscription: the handler's success acks, a throw nacks, and
 * each settled delivery grants one credit back. On a reconnect the
 * subscription is renewed with the credit not in use; deliveries that were in
 * the handler keep their receipts and are acked over HTTP, or return after
 * their visibility timeout if that fails.
 */
export class Subscription {
  readonly queue: string;
  readonly #session: SocketSession;
  readonly #backend: NetworkBackend;
  readonly #handler: SubscriptionHandler;
  readonly #credit: number;
  readonly #lease: number | undefined;
  #inHand = 0;
  #closed = false;
  readonly #onFrame = (f: { op: string } & Record<string, unknown>): void => {
    if (f.op === "message" && f.queue === this.queue) void this.#run(f.delivery as Delivery);
  };
  readonly #onOpen = (again: boolean): void => {
    if (again) this.#subscribe();
  };

  constructor(session: SocketSession, backend: NetworkBackend, queue: string, handler: SubscriptionHandler, options: SubscribeOptions) {
    this.#session = session;
    this.#backend = backend;
    this.queue = queue;
    this.#handler = handler;
    this.#credit = options.credit ?? 10;
    this.#lease = options.visibilityTimeoutMs;
  }

  /** Messages currently in the handler. */
  get inHand(): number {
    return this.#inHand;
  }

  start(): void {
    this.#session.on("frame", this.#onFrame);
    this.#session.on("open", this.#onOpen);
    this.#subscribe();
  }

  /** Stops receiving. Messages pushed but not settled return after their visibility timeout. */
  close(): void {
    this.#closed = true;
    this.#session.send({ op: "unsubscribe", queue: this.queue });
    this.#session.off("frame", this.#onFrame);
    this.#session.off("open", this.#onOpen);
  }

  #subscribe(): void {
    const credit = Math.max(0, this.#credit - this.#inHand);
    this.#session.send({ op: "subscribe", queue: this.queue, credit, ...(this.#lease === undefined ? {} : { visibilityTimeoutMs: this.#lease }) });
  }

  async #run(delivery: Delivery): Promise<void> {
    this.#inHand++;
    try {
      const result = await this.#handler(delivery);
      if (result === undefined) await this.#settle({ op: "ack", receipts: [delivery.receipt] }, () => this.#backend.ack([delivery.receipt]));
      else await this.#settle({ op: "ack", receipts: [delivery.receipt], results: [result] }, () => this.#backend.ack([delivery.receipt], [], { results: [result] }));
    } catch (error) {
      // A handler that hit someone else's rate limit backs off without using an attempt (issue 16).
      if (error instanceof RateLimitedError && error.retryAfterMs > 0) {
        const ms = Math.max(1, Math.ceil(error.retryAfterMs));
        const backedOff = await this.#settle({ op: "throttle", receipt: delivery.receipt, ms }, () => this.#backend.throttle(delivery.receipt, ms)).then(
          () => true,
          () => false,
        );
        if (backedOff) return;
      }
      const info = toErrorInfo(error);
      await this.#settle({ op: "nack", receipt: delivery.receipt, reason: { name: info.name, message: info.message } }, () => this.#backend.nack(delivery.receipt, { reason: info })).catch(() => undefined);
    } finally {
      this.#inHand--;
      if (!this.#closed) this.#session.send({ op: "credit", queue: this.queue, n: 1 });
    }
  }

  // Over the socket when it is up, else over HTTP with the same receipt.
  async #settle(frame: Record<string, unknown>, overHttp: () => Promise<unknown>): Promise<void> {
    if (this.#session.connected) {
      try {
        await this.#session.request(frame);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== "MQ_CONNECTION") throw error;
      }
    }
    await overHttp();
  }
}
