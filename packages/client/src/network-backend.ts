import {
  assertScheduleName,
  assertDeadLetterFilter,
  assertKnownKeys,
  NACK_OPTION_KEYS,
  RECEIVE_OPTION_KEYS,
  assertReplayOptions,
  assertValidPayload,
  DEAD_LETTER_LIST_KEYS,
  HostClosedError,
  InvalidArgumentError,
  MQ_ERROR_CODES,
  MqError,
  type AckOptions,
  type BackendCapabilities,
  type GroupFailureMode,
  type RateLimit,
  type BackendEvents,
  type CompletedMessage,
  type Message,
  type MessageInfo,
  type ScheduleInfo,
  type ScheduleSpec,
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
import type { EventEmitter } from "eventemitter3";
import type { HttpTransport } from "./http-transport";
import type { SocketSession } from "./socket-session";
import { WatchedEmitter } from "./watched-emitter";

const q = encodeURIComponent;

/** A queue's limits as the server reports them (the shape of `@mq/admin`'s limits); `null` means no limit. */
export interface QueueLimits {
  readonly rateLimit: RateLimit | null;
  readonly groupRateLimit: RateLimit | null;
  readonly maxInFlight: number | null;
  readonly groupOnFailure: GroupFailureMode;
}
/** Events the server forwards over the WebSocket once someone here listens for them. */
const FORWARDED: ReadonlySet<keyof BackendEvents> = new Set<keyof BackendEvents>(["progress", "completed", "deadLettered"]);

/**
 * A {@link QueueBackend} over the network: every call is one HTTP request
 * to @mq/server, and `ready` events arrive over the session's WebSocket, so
 * the dispatcher runs on it unchanged.
 *
 * @remarks Events: `ready` comes from the server (and, as a hint, after this
 * client's own enqueues); `enqueued`, `acked` and `nacked` are emitted for
 * this client's own calls only. `progress`, `completed` and `deadLettered`
 * come from the server, for every queue this token may produce to or consume
 * from, once a listener for them is attached (so `host.waitForResult` works
 * on this backend); ones that happen while the WebSocket is down are missed.
 * While the WebSocket is down, `ready` is
 * emitted every second for every queue this backend has received from, so
 * consumers poll over HTTP until it is back; after a reconnect it is emitted
 * once for each of them.
 */
export class NetworkBackend implements QueueBackend {
  readonly contractVersion = 1 as const;
  readonly events: EventEmitter<BackendEvents> = new WatchedEmitter((event) => this.#want(event));
  readonly deadLetters: DeadLetterApi;
  readonly #http: HttpTransport;
  readonly #session: SocketSession;
  readonly #receivedFrom = new Set<string>();
  // Receipt -> message, so `acked`/`nacked` events can name what they settled. Bounded: the oldest go first.
  readonly #held = new Map<string, { queue: string; id: string; attempt: number }>();
  #state: "new" | "open" | "closed" = "new";
  #capabilities: BackendCapabilities = {};
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  // Event kinds asked of the server, and the request that asked last (lookups wait for it: see completion()).
  readonly #forwarded = new Set<keyof BackendEvents>();
  #forwardReady: Promise<void> = Promise.resolve();

  constructor(http: HttpTransport, session: SocketSession) {
    this.#http = http;
    this.#session = session;
    this.deadLetters = createDeadLetterApi(http, () => this.#check());
    session.on("frame", (f) => {
      if (f.op === "ready" && typeof f.queue === "string") this.events.emit("ready", f.queue);
      else if (f.op === "event" && typeof f.kind === "string" && FORWARDED.has(f.kind as keyof BackendEvents) && typeof f.event === "object" && f.event !== null) {
        this.events.emit(f.kind as "progress", f.event as Parameters<BackendEvents["progress"]>[0]);
      }
    });
    session.on("open", (again) => {
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
      session.send(this.#watchFrame());
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
    await this.#session.request(this.#watchFrame());
    this.#capabilities = await this.#fetchCapabilities();
    this.#state = "open";
  }

  /**
   * The server's optional features (ordering groups, rate limits, maxInFlight,
   * throttle), read at `open()`: this backend has exactly what the server's has.
   */
  get capabilities(): BackendCapabilities {
    return this.#capabilities;
  }

  async #fetchCapabilities(): Promise<BackendCapabilities> {
    try {
      return (await this.#http.request<{ capabilities?: BackendCapabilities }>("GET", "/v1/capabilities")).capabilities ?? {};
    } catch (error) {
      // A server from before capabilities existed has none of them.
      if (MqError.hasCode(error, MQ_ERROR_CODES.NOT_FOUND)) return {};
      throw error;
    }
  }

  #watchFrame(): Record<string, unknown> {
    return { op: "watch", queues: "*", ...(this.#forwarded.size === 0 ? {} : { events: [...this.#forwarded] }) };
  }

  // A listener for a forwarded kind was attached: ask the server for it (once per kind).
  #want(event: keyof BackendEvents): void {
    if (!FORWARDED.has(event) || this.#forwarded.has(event)) return;
    this.#forwarded.add(event);
    if (!this.#session.connected) return; // sent with the watch frame on (re)connect
    // Errors are the socket's (it reconnects and re-sends the frame); lookups must not fail for them.
    this.#forwardReady = this.#session.request(this.#watchFrame()).then(
      () => undefined,
      () => undefined,
    );
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
    assertKnownKeys("receive", "options", options, RECEIVE_OPTION_KEYS);
    this.#receivedFrom.add(queue);
    const body = { max: options.max, visibilityTimeoutMs: options.leaseMs, ...(options.waitMs === undefined || options.waitMs === 0 ? {} : { waitMs: options.waitMs }) };
    const { messages } = await this.#http.request<{ messages: Delivery[] }>("POST", `/v1/queues/${q(queue)}/receive`, body, { signal: options.signal, extraTimeoutMs: options.waitMs ?? 0 });
    for (const d of messages) {
      this.#held.set(d.receipt, { queue, id: d.message.id, attempt: d.attempt });
      if (this.#held.size > 100_000) this.#held.delete(this.#held.keys().next().value!);
    }
    return messages;
  }

  async ack(receipts: readonly string[], publish: readonly EnqueueItem[] = [], options: AckOptions = {}): Promise<void> {
    this.#check();
    if (receipts.length === 0 && publish.length === 0) return;
    validateItems(publish, true);
    const results = options.results === undefined || receipts.length === 0 ? undefined : checkResults(options.results, receipts.length);
    await this.#http.request("POST", "/v1/ack", { receipts, ...(publish.length === 0 ? {} : { publish }), ...(results === undefined ? {} : { results }) });
    for (const r of receipts) {
      const held = this.#held.get(r);
      this.#held.delete(r);
      if (held !== undefined) this.events.emit("acked", { queue: held.queue, id: held.id });
    }
  }

  async nack(receipt: string, options: NackOptions = {}): Promise<NackOutcome> {
    this.#check();
    assertKnownKeys("nack", "options", options, NACK_OPTION_KEYS);
    const reason = options.reason === undefined ? undefined : { name: options.reason.name.slice(0, 256), message: options.reason.message.slice(0, 4096), ...(options.reason.stack === undefined ? {} : { stack: options.reason.stack.slice(0, 16_384) }), ...(options.reason.code === undefined ? {} : { code: options.reason.code.slice(0, 64) }) };
    const outcome = await this.#http.request<NackOutcome>("POST", "/v1/nack", { receipt, ...options, ...(reason === undefined ? {} : { reason }) });
    const held = this.#held.get(receipt);
    this.#held.delete(receipt);
    if (held !== undefined) this.events.emit("nacked", { queue: held.queue, id: held.id, attempt: held.attempt, action: outcome.action });
    return outcome;
  }

  /** Backs off without failing: the message is ready again with its attempt unused, and its group (or queue) starts nothing for `ms`. */
  async throttle(receipt: string, ms: number): Promise<void> {
    this.#check();
    await this.#http.request("POST", "/v1/throttle", { receipt, ms });
    this.#held.delete(receipt);
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

  /** Where message `id` of `queue` is (state "unknown" when the server does not know it). Needs produce or consume. */
  async getMessage(queue: string, id: string): Promise<MessageInfo> {
    this.#check();
    return this.#http.request<MessageInfo>("GET", `/v1/queues/${q(queue)}/messages/${q(id)}`);
  }

  /** Removes a ready or delayed message: `MessageInFlightError` while it is leased, `NotFoundError` when absent. Needs produce. */
  async cancel(queue: string, id: string): Promise<void> {
    this.#check();
    await this.#http.request("DELETE", `/v1/queues/${q(queue)}/messages/${q(id)}`);
  }

  /** Records a running delivery's progress on the server (visible in `getMessage`); a settled receipt is `LeaseLostError`. Needs consume. */
  async progress(receipt: string, value: unknown): Promise<void> {
    this.#check();
    const v = value === undefined ? null : value;
    assertValidPayload(v);
    await this.#http.request("POST", "/v1/progress", { receipt, value: v });
  }

  /** The kept completion of message `id`, or undefined (also when this token may not see its queue). */
  async completion(id: string): Promise<CompletedMessage | undefined> {
    this.#check();
    // A waiter that just started listening for `completed` looks up only once the server forwards them,
    // so a completion is either found here or arrives as an event.
    await this.#forwardReady;
    try {
      return await this.#http.request<CompletedMessage>("GET", `/v1/results/${q(id)}`);
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw error;
    }
  }

  /**
   * Waits on the server (one long poll of at most `waitMs`, ≤ the server's
   * `maxWaitMs`) for message `id` to complete; undefined when it did not in time.
   */
  async waitForCompletion(id: string, waitMs: number, signal?: AbortSignal): Promise<CompletedMessage | undefined> {
    this.#check();
    try {
      return await this.#http.request<CompletedMessage>("GET", `/v1/results/${q(id)}?waitMs=${Math.max(0, Math.floor(waitMs))}`, undefined, { signal, extraTimeoutMs: waitMs });
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw error;
    }
  }

  /** Creates or replaces schedule `name` (admin on `spec.queue`). */
  async schedule(name: string, spec: ScheduleSpec): Promise<ScheduleInfo> {
    this.#check();
    if (typeof spec !== "object" || spec === null) throw new InvalidArgumentError("client", "spec", "must be an object with cron or everyMs, queue and payload");
    assertValidPayload(spec.payload);
    return this.#http.request<ScheduleInfo>("PUT", `/v1/schedules/${q(name)}`, spec);
  }

  /** Removes schedule `name`; false when there was none (or this token may not see it). */
  async unschedule(name: string): Promise<boolean> {
    this.#check();
    assertScheduleName("unschedule", name);
    try {
      await this.#http.request("DELETE", `/v1/schedules/${q(name)}`);
      return true;
    } catch (error) {
      if (isAbsent(error)) return false;
      throw error;
    }
  }

  /** The schedules of the queues this token administers. */
  async schedules(): Promise<ScheduleInfo[]> {
    this.#check();
    return (await this.#http.request<{ schedules: ScheduleInfo[] }>("GET", "/v1/schedules")).schedules;
  }

  /** Up to `limit` ready messages in delivery order, without leasing them (needs consume; `limit` ≤ the server's maxReceive). */
  async peek(queue: string, limit: number): Promise<Message[]> {
    this.#check();
    return (await this.#http.request<{ messages: Message[] }>("GET", `/v1/queues/${q(queue)}/peek?limit=${limit}`)).messages;
  }

  /** Queues bound to `topic` that this token can see. */
  async bindings(topic: string): Promise<string[]> {
    this.#check();
    return (await this.#http.request<{ queues: string[] }>("GET", `/v1/topics/${q(topic)}/bindings`)).queues;
  }

  /** The queue's limits (`null`: no limit); needs produce or consume. */
  async limits(queue: string): Promise<QueueLimits> {
    this.#check();
    return this.#http.request<QueueLimits>("GET", `/v1/queues/${q(queue)}/limits`);
  }

  /** Changes the queue's limits at runtime (only the fields given; `null` removes one); needs admin. */
  async setLimits(queue: string, limits: Partial<QueueLimits>): Promise<QueueLimits> {
    this.#check();
    return this.#http.request<QueueLimits>("PUT", `/v1/queues/${q(queue)}/limits`, limits);
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
      assertDeadLetterFilter("deadLetters.list", options, DEAD_LETTER_LIST_KEYS);
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
      assertDeadLetterFilter("deadLetters.count", filter);
      return (await http.request<{ count: number }>("GET", `/v1/dead-letters/count${query({ queue: filter.queue, reason: filter.reason })}`)).count;
    },
    async replay(target, options = {}) {
      check();
      if (typeof target !== "string") assertDeadLetterFilter("deadLetters.replay", target);
      assertReplayOptions("deadLetters.replay", options);
      const body = typeof target === "string" ? { id: target } : { ...target };
      return http.request("POST", `/v1/dead-letters/replay${typeof target === "string" || target.queue !== undefined ? "" : "?confirm=true"}`, { ...body, ...(options.queue === undefined ? {} : { toQueue: options.queue }) });
    },
    async purge(filter = {}) {
      check();
      // Checked here too: a key the query string or body dropped would widen the selection.
      assertDeadLetterFilter("deadLetters.purge", filter);
      return (await http.request<{ purged: number }>("POST", "/v1/dead-letters/purge?confirm=true", { ...filter })).purged;
    },
  };
}

// A 404 about the thing asked for, not about the route (a server without it answers NO_SUCH_ROUTE: that stays an error).
function isAbsent(error: unknown): boolean {
  return MqError.hasCode(error, MQ_ERROR_CODES.NOT_FOUND) && (error as { detail?: string }).detail !== "NO_SUCH_ROUTE";
}

// msgpack has no `undefined` the server accepts: a handler that returned nothing completes with null.
function checkResults(results: readonly unknown[], count: number): unknown[] {
  if (!Array.isArray(results) || results.length !== count) throw new InvalidArgumentError("client", "results", "needs one value per receipt, in the same order");
  return results.map((r: unknown) => {
    if (r === undefined) return null;
    assertValidPayload(r);
    return r;
  });
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

