import {
  AbortedError,
  HostClosedError,
  InvalidArgumentError,
  LeaseLostError,
  MAX_PRIORITY,
  MIN_PRIORITY,
  NotFoundError,
  PayloadTooLargeError,
  QueueFullError,
  VersionConflictError,
  DEAD_LETTER_LIST_KEYS,
  NACK_OPTION_KEYS,
  RECEIVE_OPTION_KEYS,
  assertDeadLetterFilter,
  assertKnownKeys,
  assertReplayOptions,
  assertValidPayload,
  newId,
  systemClock,
} from "@mq/core";
import type {
  BackendEvents,
  Clock,
  DeadLetter,
  DeadLetterApi,
  DeadLetterFilter,
  DeadLetterReason,
  Delivery,
  EnqueueItem,
  EnqueueResult,
  ErrorInfo,
  Message,
  NackOptions,
  NackOutcome,
  QueueBackend,
  QueueSettings,
  QueueStats,
  ReceiveOptions,
  TimerHandle,
} from "@mq/core";
import { EventEmitter } from "eventemitter3";

interface Entry {
  message: Message;
  state: "ready" | "delayed" | "leased";
  seq: number;
  bytes: number;
  receipt?: string;
  timer?: TimerHandle;
  attemptTimestamps: number[];
  lastError?: ErrorInfo;
}

interface KeyState {
  version: number;
  /** The ready or delayed message a `replace` enqueue updates in place. */
  pendingId?: string;
  /** Drop mode: the message duplicates point at, and when its window started. */
  firstId: string;
  firstAt: number;
}

type Totals = { -readonly [K in keyof QueueStats["totals"]]: number };

const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * A small, honest in-memory QueueBackend for the dispatcher's tests. It passes
 * the same conformance suite as the embedded engine (`runBackendConformance`
 * in test/memory-backend.test.ts): leases with fencing, attempts counted at
 * receive and restored by `release`, `maxAttempts` enforced on nack and on
 * lease expiry, delays, TTLs, dedup keys, capacity, long polls, `ready`
 * events, and ack + publish applied all-or-nothing. Timers run on the given
 * clock. It also records what happened so tests can assert exact outcomes.
 */
export class MemoryBackend implements QueueBackend {
  readonly contractVersion = 1 as const;
  readonly events = new EventEmitter<BackendEvents>();
  /** Ids in the order they were acked (one entry per successful ack). */
  readonly acked: string[] = [];
  /** Every receive call's requested `max`. */
  readonly receiveMax: number[] = [];
  /** Make the next N receive calls fail with this error. */
  failReceives: { count: number; error: Error } = { count: 0, error: new Error("receive failed") };
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #ready = new Map<string, ReadyList>();
  readonly #leases = new Map<string, Entry>();
  readonly #settings = new Map<string, QueueSettings>();
  readonly #bindings = new Map<string, Set<string>>();
  readonly #keys = new Map<string, KeyState>();
  readonly #dead = new Map<string, DeadLetter & { seq: number }>();
  readonly #totals = new Map<string, Totals>();
  readonly #pollers = new Map<string, Set<() => void>>();
  readonly #roomWaiters = new Set<() => void>();
  #open = false;
  #seq = 0;

  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async open(): Promise<void> {
    this.#open = true;
  }

  async close(): Promise<void> {
    this.#open = false;
    for (const entry of this.#entries.values()) if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
    for (const wake of [...this.#roomWaiters]) wake();
    for (const pollers of this.#pollers.values()) for (const wake of [...pollers]) wake();
  }

  async enqueue(items: readonly EnqueueItem[], options: { readonly signal?: AbortSignal; readonly waitIfFull?: boolean } = {}): Promise<EnqueueResult[]> {
    for (;;) {
      this.#assertOpen();
      try {
        return this.#enqueueAll(items);
      } catch (error) {
        if (!(error instanceof QueueFullError) || options.waitIfFull !== true) throw error;
        await this.#waitForRoom(options.signal);
      }
    }
  }

  async receive(queue: string, options: ReceiveOptions): Promise<Delivery[]> {
    this.#assertOpen();
    if (typeof queue !== "string" || queue === "") throw new InvalidArgumentError("receive", "queue", "must be a non-empty string");
    assertKnownKeys("receive", "options", options, RECEIVE_OPTION_KEYS);
    this.receiveMax.push(options.max);
    if (this.failReceives.count > 0) {
      this.failReceives.count--;
      throw this.failReceives.error;
    }
    const got = this.#take(queue, options);
    if (got.length > 0 || (options.waitMs ?? 0) <= 0) return got;
    await this.#poll(queue, options.waitMs ?? 0, options.signal);
    this.#assertOpen();
    return this.#take(queue, options);
  }

  async ack(receipts: readonly string[], publish: readonly EnqueueItem[] = []): Promise<void> {
    this.#assertOpen();
    const entries = receipts.map((r) => this.#lease(r));
    this.#plan(publish); // all-or-nothing: check everything before changing anything
    for (const entry of entries) {
      this.#remove(entry);
      this.acked.push(entry.message.id);
      this.#totalsOf(entry.message.queue).acked++;
      this.events.emit("acked", { queue: entry.message.queue, id: entry.message.id });
    }
    this.#enqueueAll(publish);
  }

  async nack(receipt: string, options: NackOptions = {}): Promise<NackOutcome> {
    this.#assertOpen();
    const entry = this.#lease(receipt);
    assertKnownKeys("nack", "options", options, NACK_OPTION_KEYS);
    this.#dropLease(entry);
    if (options.reason !== undefined) entry.lastError = options.reason;
    const { queue, id, attempts } = entry.message;
    const maxAttempts = options.maxAttempts ?? this.#maxAttempts(queue);
    if (options.deadLetter === true || attempts >= maxAttempts) {
      this.#deadLetter(entry, options.deadLetter === true ? "rejected" : "max-retries", options.reason);
      this.events.emit("nacked", { queue, id, attempt: attempts, action: "dead-lettered" });
      return { action: "dead-lettered", attempts };
    }
    const availableAt = this.#clock.now() + (options.delayMs ?? 0);
    this.#totalsOf(queue).retried++;
    this.#schedule(entry, options.delayMs ?? 0);
    this.events.emit("nacked", { queue, id, attempt: attempts, action: "retried" });
    return { action: "retried", attempts, availableAt };
  }

  async release(receipts: readonly string[]): Promise<void> {
    this.#assertOpen();
    const entries = receipts.map((r) => this.#lease(r));
    for (const entry of entries) {
      this.#dropLease(entry);
      entry.attemptTimestamps.pop();
      entry.message = { ...entry.message, attempts: entry.message.attempts - 1 };
      this.#schedule(entry, 0);
    }
  }

  async extend(receipt: string, leaseMs: number): Promise<void> {
    this.#assertOpen();
    const entry = this.#lease(receipt);
    this.#armLease(entry, leaseMs);
  }

  async configureQueue(queue: string, settings: QueueSettings): Promise<void> {
    this.#assertOpen();
    this.#settings.set(queue, { ...this.#settings.get(queue), ...settings });
  }

  /** Settings applied to a queue (for assertions). */
  settingsOf(queue: string): QueueSettings | undefined {
    return this.#settings.get(queue);
  }

  async bind(topic: string, queue: string): Promise<void> {
    const set = this.#bindings.get(topic) ?? new Set();
    set.add(queue);
    this.#bindings.set(topic, set);
  }

  async unbind(topic: string, queue: string): Promise<void> {
    this.#bindings.get(topic)?.delete(queue);
  }

  readonly deadLetters: DeadLetterApi = {
    list: async (options = {}) => {
      assertDeadLetterFilter("deadLetters.list", options, DEAD_LETTER_LIST_KEYS);
      const after = options.cursor === undefined ? -1 : Number(options.cursor);
      const matching = this.#deadMatching(options).filter((d) => d.seq > after);
      const items = matching.slice(0, options.limit ?? 100);
      const last = items[items.length - 1];
      return matching.length > items.length && last !== undefined ? { items: items.map(strip), nextCursor: String(last.seq) } : { items: items.map(strip) };
    },
    get: async (id) => {
      const letter = this.#dead.get(id);
      return letter === undefined ? undefined : strip(letter);
    },
    count: async (filter) => {
      assertDeadLetterFilter("deadLetters.count", filter);
      return this.#deadMatching(filter ?? {}).length;
    },
    replay: async (target, options) => {
      if (typeof target !== "string") assertDeadLetterFilter("deadLetters.replay", target);
      assertReplayOptions("deadLetters.replay", options);
      const letters = typeof target === "string" ? [this.#dead.get(target)].filter((d) => d !== undefined) : this.#deadMatching(target);
      if (typeof target === "string" && letters.length === 0) throw new NotFoundError("dead letter", target, "list dead letters to find ids");
      const ids: string[] = [];
      for (const letter of letters) {
        this.#dead.delete(letter.message.id);
        const [result] = this.#enqueueAll([{ queue: options?.queue ?? letter.queue, payload: letter.message.payload }]);
        ids.push(result!.id);
      }
      return { replayed: ids.length, ids };
    },
    purge: async (filter) => {
      assertDeadLetterFilter("deadLetters.purge", filter);
      const letters = this.#deadMatching(filter ?? {});
      for (const letter of letters) this.#dead.delete(letter.message.id);
      return letters.length;
    },
  };

  async stats(queue = "*"): Promise<QueueStats> {
    const mine = [...this.#entries.values()].filter((e) => queue === "*" || e.message.queue === queue);
    const count = (state: Entry["state"]) => mine.filter((e) => e.state === state).length;
    const totals: Totals = { enqueued: 0, replaced: 0, duplicates: 0, delivered: 0, acked: 0, retried: 0, deadLettered: 0, expired: 0 };
    for (const [name, t] of this.#totals) {
      if (queue !== "*" && name !== queue) continue;
      for (const k of Object.keys(totals) as (keyof Totals)[]) totals[k] += t[k];
    }
    const settings = queue === "*" ? {} : (this.#settings.get(queue) ?? {});
    return {
      queue,
      ready: count("ready"),
      delayed: count("delayed"),
      inFlight: count("leased"),
      deadLettered: this.#deadMatching(queue === "*" ? {} : { queue }).length,
      bytes: mine.reduce((sum, e) => sum + e.bytes, 0),
      capacity: settings.capacity ?? Number.MAX_SAFE_INTEGER,
      maxBytes: settings.maxBytes ?? Number.MAX_SAFE_INTEGER,
      totals,
    };
  }

  async queues(): Promise<string[]> {
    return [...new Set([...this.#entries.values()].map((e) => e.message.queue))];
  }

  /** Every stored (not yet acked or dead-lettered) message of a queue. */
  pending(queue: string): Message[] {
    return [...this.#entries.values()].filter((e) => e.message.queue === queue).map((e) => e.message);
  }

  // ---------------------------------------------------------------------------

  #take(queue: string, options: ReceiveOptions): Delivery[] {
    const ready = this.#readyList(queue);
    const now = this.#clock.now();
    const out: Delivery[] = [];
    while (out.length < options.max) {
      const entry = ready.shift();
      if (entry === undefined) break;
      if (entry.message.expiresAt !== undefined && entry.message.expiresAt <= now) {
        this.#expire(entry);
        continue;
      }
      const attempt = entry.message.attempts + 1;
      const receipt = `${entry.message.id}:${attempt}:${newId()}`;
      entry.message = { ...entry.message, attempts: attempt };
      entry.attemptTimestamps.push(now);
      entry.state = "leased";
      entry.receipt = receipt;
      const key = this.#keyState(entry.message);
      if (key?.pendingId === entry.message.id) delete key.pendingId; // in flight: a new enqueue creates a new message
      this.#leases.set(receipt, entry);
      this.#armLease(entry, options.leaseMs);
      this.#totalsOf(queue).delivered++;
      out.push({ message: entry.message, receipt, attempt, leaseExpiresAt: now + options.leaseMs });
    }
    return out;
  }

  #poll(queue: string, waitMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const pollers = this.#pollers.get(queue) ?? new Set<() => void>();
      this.#pollers.set(queue, pollers);
      const done = (): void => {
        pollers.delete(done);
        this.#clock.clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = this.#clock.setTimeout(done, waitMs);
      signal?.addEventListener("abort", done);
      pollers.add(done);
    });
  }

  #waitForRoom(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(new AbortedError("enqueue", signal.reason));
        return;
      }
      const onAbort = (): void => {
        this.#roomWaiters.delete(wake);
        reject(new AbortedError("enqueue", signal?.reason));
      };
      const wake = (): void => {
        this.#roomWaiters.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort);
      this.#roomWaiters.add(wake);
    });
  }

  /** Validates items and checks capacity without changing anything; returns what each item would do. */
  #plan(items: readonly EnqueueItem[]): void {
    const added = new Map<string, { count: number; bytes: number }>();
    for (const item of items) {
      this.#validate(item);
      const bytes = encodedBytes(item.payload);
      const queues = item.topic === undefined ? [item.queue] : [...(this.#bindings.get(item.topic) ?? [])];
      for (const queue of queues) {
        const settings = this.#settings.get(queue) ?? {};
        if (settings.maxPayloadBytes !== undefined && bytes > settings.maxPayloadBytes) throw new PayloadTooLargeError(queue, bytes, settings.maxPayloadBytes);
        if (item.key !== undefined && item.expectedVersion !== undefined) {
          const actual = this.#keys.get(keyOf(queue, item.key))?.version ?? 0;
          if (actual !== item.expectedVersion) throw new VersionConflictError(item.key, item.expectedVersion, actual);
        }
        if (this.#dedupOutcome(queue, item) !== "created") continue;
        const sum = added.get(queue) ?? { count: 0, bytes: 0 };
        sum.count++;
        sum.bytes += bytes;
        added.set(queue, sum);
      }
    }
    for (const [queue, sum] of added) {
      const settings = this.#settings.get(queue) ?? {};
      const held = this.pending(queue);
      if (settings.capacity !== undefined && held.length + sum.count > settings.capacity) throw new QueueFullError(queue, "messages", settings.capacity);
      const bytes = [...this.#entries.values()].filter((e) => e.message.queue === queue).reduce((n, e) => n + e.bytes, 0);
      if (settings.maxBytes !== undefined && bytes + sum.bytes > settings.maxBytes) throw new QueueFullError(queue, "bytes", settings.maxBytes);
    }
  }

  #enqueueAll(items: readonly EnqueueItem[]): EnqueueResult[] {
    this.#plan(items);
    const results: EnqueueResult[] = [];
    for (const item of items) {
      const queues = item.topic === undefined ? [item.queue] : [...(this.#bindings.get(item.topic) ?? [])];
      const copies = queues.map((queue) => this.#store(queue, item));
      results.push(item.topic === undefined ? copies[0]! : { id: copies[0]?.id ?? "", queue: item.topic, status: "created", version: 1, copies });
    }
    return results;
  }

  #dedupOutcome(queue: string, item: EnqueueItem): "created" | "replaced" | "duplicate" {
    if (item.key === undefined) return "created";
    const state = this.#keys.get(keyOf(queue, item.key));
    if (state === undefined) return "created";
    if ((this.#settings.get(queue)?.dedupMode ?? "replace") === "drop") {
      return this.#clock.now() - state.firstAt < (this.#settings.get(queue)?.dedupWindowMs ?? 0) ? "duplicate" : "created";
    }
    return state.pendingId !== undefined && this.#entries.has(state.pendingId) ? "replaced" : "created";
  }

  #store(queue: string, item: EnqueueItem): EnqueueResult {
    const now = this.#clock.now();
    const totals = this.#totalsOf(queue);
    const outcome = this.#dedupOutcome(queue, item);
    const key = item.key === undefined ? undefined : keyOf(queue, item.key);
    const state = key === undefined ? undefined : this.#keys.get(key);
    if (outcome === "duplicate" && state !== undefined) {
      totals.duplicates++;
      this.events.emit("enqueued", { queue, id: state.firstId, status: "duplicate" });
      return { id: state.firstId, queue, status: "duplicate", version: state.version };
    }
    if (outcome === "replaced" && state?.pendingId !== undefined) {
      const entry = this.#entries.get(state.pendingId)!;
      state.version++;
      entry.message = { ...entry.message, payload: item.payload, version: state.version };
      entry.bytes = encodedBytes(item.payload);
      totals.replaced++;
      this.events.emit("enqueued", { queue, id: entry.message.id, status: "replaced" });
      return { id: entry.message.id, queue, status: "replaced", version: state.version };
    }
    const id = newId();
    const version = (state?.version ?? 0) + 1;
    if (key !== undefined) this.#keys.set(key, { version, pendingId: id, firstId: id, firstAt: now });
    const delayMs = item.availableAt === undefined ? (item.delayMs ?? 0) : item.availableAt - now;
    const expiresAt = item.expiresAt ?? (item.ttlMs === undefined ? undefined : now + item.ttlMs);
    const message: Message = {
      id,
      queue,
      payload: item.payload,
      version,
      priority: item.priority ?? 0,
      enqueuedAt: now,
      attempts: 0,
      ...(item.key === undefined ? {} : { key: item.key }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(item.correlationId === undefined ? {} : { correlationId: item.correlationId }),
      ...(item.causationId === undefined ? {} : { causationId: item.causationId }),
      ...(item.headers === undefined ? {} : { headers: { ...item.headers } }),
    };
    const entry: Entry = { message, state: "ready", seq: this.#seq++, bytes: encodedBytes(item.payload), attemptTimestamps: [] };
    this.#entries.set(id, entry);
    totals.enqueued++;
    this.events.emit("enqueued", { queue, id, status: "created" });
    this.#schedule(entry, delayMs);
    return { id, queue, status: "created", version };
  }

  #validate(item: EnqueueItem): void {
    const target = item.topic ?? item.queue;
    if (typeof target !== "string" || target === "") throw new InvalidArgumentError("enqueue", "queue", "must be a non-empty string");
    const priority = item.priority ?? 0;
    if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
      throw new InvalidArgumentError("enqueue", "priority", `must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${String(priority)}`);
    }
    assertValidPayload(item.payload);
  }

  #schedule(entry: Entry, delayMs: number): void {
    const key = this.#keyState(entry.message);
    if (key !== undefined && key.pendingId === undefined) key.pendingId = entry.message.id;
    if (delayMs <= 0) {
      this.#makeReady(entry);
      return;
    }
    entry.state = "delayed";
    entry.message = { ...entry.message, availableAt: this.#clock.now() + delayMs };
    entry.timer = this.#clock.setTimeout(() => {
      entry.timer = undefined;
      if (this.#entries.get(entry.message.id) !== entry || entry.state !== "delayed") return;
      this.#makeReady(entry);
    }, delayMs);
  }

  #makeReady(entry: Entry): void {
    entry.state = "ready";
    this.#readyList(entry.message.queue).insert(entry);
    this.events.emit("ready", entry.message.queue);
    const pollers = this.#pollers.get(entry.message.queue);
    if (pollers !== undefined) for (const wake of [...pollers]) wake();
  }

  #readyList(queue: string): ReadyList {
    let list = this.#ready.get(queue);
    if (list === undefined) {
      list = new ReadyList();
      this.#ready.set(queue, list);
    }
    return list;
  }

  #armLease(entry: Entry, leaseMs: number): void {
    if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
    const receipt = entry.receipt;
    entry.timer = this.#clock.setTimeout(() => {
      entry.timer = undefined;
      if (entry.receipt !== receipt || entry.state !== "leased") return;
      this.#dropLease(entry);
      const { queue, id, attempts } = entry.message;
      this.events.emit("leaseExpired", { queue, id, attempt: attempts });
      // The queue's maxAttempts bounds deliveries that end without a verdict (a crash loop).
      if (attempts >= this.#maxAttempts(queue)) this.#deadLetter(entry, "max-retries", { name: "LeaseExpired", message: `lease of attempt ${attempts} expired without ack or nack` });
      else this.#schedule(entry, 0);
    }, leaseMs);
  }

  #lease(receipt: string): Entry {
    const entry = this.#leases.get(receipt);
    if (entry === undefined || entry.receipt !== receipt || entry.state !== "leased") throw new LeaseLostError(receipt);
    return entry;
  }

  #dropLease(entry: Entry): void {
    if (entry.receipt !== undefined) this.#leases.delete(entry.receipt);
    if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    delete entry.receipt;
  }

  /** Forgets a message (acked, expired or dead-lettered) and wakes enqueues waiting for room. */
  #remove(entry: Entry): void {
    this.#dropLease(entry);
    this.#entries.delete(entry.message.id);
    const key = this.#keyState(entry.message);
    if (key?.pendingId === entry.message.id) delete key.pendingId;
    for (const wake of [...this.#roomWaiters]) wake();
  }

  #expire(entry: Entry): void {
    const { queue, id } = entry.message;
    this.#totalsOf(queue).expired++;
    this.events.emit("expired", { queue, id });
    if (this.#settings.get(queue)?.onExpire === "dead-letter") this.#deadLetter(entry, "expired", undefined);
    else this.#remove(entry);
  }

  #deadLetter(entry: Entry, reason: DeadLetterReason, error: ErrorInfo | undefined): void {
    this.#remove(entry);
    this.#totalsOf(entry.message.queue).deadLettered++;
    this.#dead.set(entry.message.id, {
      seq: this.#seq++,
      message: entry.message,
      queue: entry.message.queue,
      reason,
      ...(error === undefined ? {} : { error }),
      attemptTimestamps: [...entry.attemptTimestamps],
      deadLetteredAt: this.#clock.now(),
    });
    this.events.emit("deadLettered", { queue: entry.message.queue, id: entry.message.id, reason });
  }

  #deadMatching(filter: DeadLetterFilter): (DeadLetter & { seq: number })[] {
    return [...this.#dead.values()].filter((d) => (filter.queue === undefined || d.queue === filter.queue) && (filter.reason === undefined || d.reason === filter.reason));
  }

  #keyState(message: Message): KeyState | undefined {
    return message.key === undefined ? undefined : this.#keys.get(keyOf(message.queue, message.key));
  }

  #totalsOf(queue: string): Totals {
    let totals = this.#totals.get(queue);
    if (totals === undefined) {
      totals = { enqueued: 0, replaced: 0, duplicates: 0, delivered: 0, acked: 0, retried: 0, deadLettered: 0, expired: 0 };
      this.#totals.set(queue, totals);
    }
    return totals;
  }

  #maxAttempts(queue: string): number {
    return this.#settings.get(queue)?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  #assertOpen(): void {
    if (!this.#open) throw new HostClosedError("memory-backend", "closed");
  }
}

function keyOf(queue: string, key: string): string {
  return `${queue}\u0000${key}`;
}

/** Payload size as stored; JSON is close enough to the engine's encoding for limits in tests. */
function encodedBytes(payload: unknown): number {
  return Buffer.byteLength(JSON.stringify(payload) ?? "");
}

function strip(letter: DeadLetter & { seq: number }): DeadLetter {
  const { seq: _seq, ...rest } = letter;
  return rest;
}

/** Ready entries of one queue: priority first, then enqueue order. Appends and takes from the front in O(1). */
class ReadyList {
  #items: Entry[] = [];
  #head = 0;

  insert(entry: Entry): void {
    const items = this.#items;
    const last = items[items.length - 1];
    if (last === undefined || this.#head === items.length || before(last, entry)) {
      items.push(entry);
      return;
    }
    let i = items.length;
    while (i > this.#head && before(entry, items[i - 1]!)) i--;
    items.splice(i, 0, entry);
  }

  shift(): Entry | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const entry = this.#items[this.#head++];
    if (this.#head > 1_024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.message.priority > b.message.priority || (a.message.priority === b.message.priority && a.seq < b.seq);
}
