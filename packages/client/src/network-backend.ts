import {
  assertValidPayload,
  HostClosedError,
  InvalidArgumentError,
  type BackendEvents,
  type DeadLetter,
  type DeadLetterApi,
  type DeadLetterFilter,
  type DeadLetterPage,
  type Delivery,
  type EnqueueItem,
  type EnqueueResult,
  type NackOptions,
  type NackOutcome,
  type QueueBackend,
  type QueueSettings,
  type QueueStats,
  type ReceiveOptions,
} from "@mq/core";
import { EventEmitter } from "eventemitter3";
import type { HttpTransport } from "./http-transport";
import type { SocketSession } from "./socket-session";

const q = encodeURIComponent;

/**
 * A {@link QueueBackend} over the network: every call is one HTTP request
 * to @mq/server, and `ready` events arrive over the session's WebSocket, so
 * the dispatcher runs on it unchanged.
 *
 * @remarks Events: `ready` comes from the server (and, as a hint, after this
 * client's own enqueues); `enqueued`, `acked` and `nacked` are emitted for
 * this client's own calls only. While the WebSocket is down, `ready` is
 * emitted every second for every queue this backend has received from, so
 * consumers poll over HTTP until it is back; after a reconnect it is emitted
 * once for each of them.
 */
export class NetworkBackend implements QueueBackend {
  readonly contractVersion = 1 as const;
  readonly events = new EventEmitter<BackendEvents>();
  readonly deadLetters: DeadLetterApi;
  readonly #http: HttpTransport;
  readonly #session: SocketSession;
  readonly #receivedFrom = new Set<string>();
  // Receipt -> message, so `acked`/`nacked` events can name what they settled. Bounded: the oldest go first.
  readonly #held = new Map<string, { queue: string; id: string; attempt: number }>();
  #state: "new" | "open" | "closed" = "new";
  #pollTimer: ReturnType<typeof setInterval> | undefined;

  constructor(http: HttpTransport, session: SocketSession) {
    this.#http = http;
    this.#session = session;
    this.deadLetters = createDeadLetterApi(http, () => this.#check());
    session.on("frame", (f) => {
      if (f.op === "ready" && typeof f.queue === "string") this.events.emit("ready", f.queue);
    });
    session.on("open", (again) => {
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
      session.send({ op: "watch", queues: "*" });
      if (again) for (const queue of this.#receivedFrom) this.events.emit("ready", queue);
    });
    session.on("down", () => {
      if (this.#state !== "open" || this.#pollTimer !== undefined) return;
      this.#pollTimer = setInterval(() => {
        for (const queue of this.#receivedFrom) this.events.emit("ready", queue);
      }, 1_000);
    });
  }

  async open(): Promise<void> {
    if (this.#state === "open") return;
    if (this.#state === "closed") throw new HostClosedError("client", "closed");
    await this.#session.start();
    await this.#session.request({ op: "watch", queues: "*" });
    this.#state = "open";
  }

  /** Closes the WebSocket. Leases this client holds are not handed back: they return after their visibility timeout. */
  close(): Promise<void> {
    this.#state = "closed";
    clearInterval(this.#pollTimer);
    this.#session.close();
    return Promise.resolve();
  }

  async enqueue(items: readonly EnqueueItem[], options: { readonly signal?: AbortSignal; readonly waitIfFull?: boolean } = {}): Promise<EnqueueResult[]> {
    this.#check();
    validateItems(items);
    const { results } = await this.#http.request<{ results: EnqueueResult[] }>("POST", "/v1/messages", { items, ...(options.waitIfFull === true ? { waitIfFull: true } : {}) }, { signal: options.signal, ...(options.waitIfFull === true ? { extraTimeoutMs: 24 * 3_600_000 } : {}) });
    for (const r of results) {
      this.events.emit("enqueued", { queue: r.queue, id: r.id, status: r.status });
      if (r.status !== "duplicate") for (const c of r.copies ?? [r]) this.events.emit("ready", c.queue);
    }
    return results;
  }

  async receive(queue: string, options: ReceiveOptions): Promise<Delivery[]> {
    this.#check();
    this.#receivedFrom.add(queue);
    const body = { max: options.max, visibilityTimeoutMs: options.leaseMs, ...(options.waitMs === undefined || options.waitMs === 0 ? {} : { waitMs: options.waitMs }) };
    const { messages } = await this.#http.request<{ messages: Delivery[] }>("POST", `/v1/queues/${q(queue)}/receive`, body, { signal: options.signal, extraTimeoutMs: options.waitMs ?? 0 });
    for (const d of messages) {
      this.#held.set(d.receipt, { queue, id: d.message.id, attempt: d.attempt });
      if (this.#held.size > 100_000) this.#held.delete(this.#held.keys().next().value!);
    }
    return messages;
  }

  async ack(receipts: readonly string[], publish: readonly EnqueueItem[] = []): Promise<void> {
    this.#check();
    if (receipts.length === 0 && publish.length === 0) return;
    validateItems(publish, true);
    await this.#http.request("POST", "/v1/ack", { receipts, ...(publish.length === 0 ? {} : { publish }) });
    for (const r of receipts) {
      const held = this.#held.get(r);
      this.#held.delete(r);
      if (held !== undefined) this.events.emit("acked", { queue: held.queue, id: held.id });
    }
  }

  async nack(receipt: string, options: NackOptions = {}): Promise<NackOutcome> {
    this.#check();
    const reason = options.reason === undefined ? undefined : { name: options.reason.name.slice(0, 256), message: options.reason.message.slice(0, 4096), ...(options.reason.stack === undefined ? {} : { stack: options.reason.stack.slice(0, 16_384) }), ...(options.reason.code === undefined ? {} : { code: options.reason.code.slice(0, 64) }) };
    const outcome = await this.#http.request<NackOutcome>("POST", "/v1/nack", { receipt, ...options, ...(reason === undefined ? {} : { reason }) });
    const held = this.#held.get(receipt);
    this.#held.delete(receipt);
    if (held !== undefined) this.events.emit("nacked", { queue: held.queue, id: held.id, attempt: held.attempt, action: outcome.action });
    return outcome;
  }

  async extend(receipt: string, leaseMs: number): Promise<void> {
    this.#check();
    await this.#http.request("POST", "/v1/extend", { receipt, visibilityTimeoutMs: leaseMs });
  }

  async release(receipts: readonly string[]): Promise<void> {
    this.#check();
    if (receipts.length === 0) return;
    await this.#http.request("POST", "/v1/release", { receipts });
    for (const r of receipts) this.#held.delete(r);
  }

  /** Removes every ready and delayed message of `queue` (admin); in-flight ones finish. */
  async purge(queue: string): Promise<number> {
    this.#check();
    return (await this.#http.request<{ purged: number }>("POST", `/v1/queues/${q(queue)}/purge?confirm=true`)).purged;
  }

  async configureQueue(queue: string, settings: QueueSettings): Promise<void> {
    this.#check();
    await this.#http.request("PUT", `/v1/queues/${q(queue)}/settings`, settings);
  }

  async bind(topic: string, queue: string): Promise<void> {
    this.#check();
    await this.#http.request("PUT", `/v1/topics/${q(topic)}/bindings/${q(queue)}`);
  }

  async unbind(topic: string, queue: string): Promise<void> {
    this.#check();
    await this.#http.request("DELETE", `/v1/topics/${q(topic)}/bindings/${q(queue)}`);
  }

  async stats(queue?: string): Promise<QueueStats> {
    this.#check();
    return this.#http.request<QueueStats>("GET", queue === undefined || queue === "*" ? "/v1/stats" : `/v1/queues/${q(queue)}/stats`);
  }

  async queues(): Promise<string[]> {
    this.#check();
    return (await this.#http.request<{ queues: string[] }>("GET", "/v1/queues")).queues;
  }

  #check(): void {
    if (this.#state === "closed") throw new HostClosedError("client", "closed");
  }
}

function createDeadLetterApi(http: HttpTransport, check: () => void): DeadLetterApi {
  const query = (o: Record<string, string | number | undefined>): string => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(o)) if (v !== undefined) p.set(k, String(v));
    const s = p.toString();
    return s === "" ? "" : `?${s}`;
  };
  return {
    async list(options = {}) {
      check();
      return http.request<DeadLetterPage>("GET", `/v1/dead-letters${query({ queue: options.queue, reason: options.reason, limit: options.limit, cursor: options.cursor })}`);
    },
    async get(id) {
      check();
      try {
        return await http.request<DeadLetter>("GET", `/v1/dead-letters/${q(id)}`);
      } catch (error) {
        if ((error as { code?: string }).code === "MQ_NOT_FOUND") return undefined;
        throw error;
      }
    },
    async count(filter: DeadLetterFilter = {}) {
      check();
      return (await http.request<{ count: number }>("GET", `/v1/dead-letters/count${query({ queue: filter.queue, reason: filter.reason })}`)).count;
    },
    async replay(target, options = {}) {
      check();
      const body = typeof target === "string" ? { id: target } : { ...target };
      return http.request("POST", `/v1/dead-letters/replay${typeof target === "string" || target.queue !== undefined ? "" : "?confirm=true"}`, { ...body, ...(options.queue === undefined ? {} : { toQueue: options.queue }) });
    },
    async purge(filter = {}) {
      check();
      return (await http.request<{ purged: number }>("POST", "/v1/dead-letters/purge?confirm=true", { ...filter })).purged;
    },
  };
}

// The server validates everything again; checking here keeps errors local and typed
// (a function in a payload would otherwise be silently dropped by the encoder).
function validateItems(items: readonly EnqueueItem[], allowEmpty = false): void {
  if (!Array.isArray(items) || (!allowEmpty && items.length === 0)) throw new InvalidArgumentError("client", "items", "pass at least one item");
  for (const item of items as readonly EnqueueItem[]) {
    const name = item.queue ?? item.topic;
    if (typeof name !== "string" || name === "") throw new InvalidArgumentError("client", item.queue === undefined ? "topic" : "queue", "must be a non-empty name");
    assertValidPayload(item.payload);
  }
}

