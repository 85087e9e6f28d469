import { HostClosedError, InvalidArgumentError, LeaseLostError, newId, systemClock } from "@mq/core";
import type {
  BackendEvents,
  Clock,
  DeadLetter,
  DeadLetterApi,
  DeadLetterFilter,
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
  receipt?: string;
  timer?: TimerHandle;
  attemptTimestamps: number[];
  lastError?: ErrorInfo;
}

/**
 * A small, honest in-memory QueueBackend for the dispatcher's tests: leases
 * with fencing (a receipt is valid only for its own delivery), attempts
 * counted at receive, `maxAttempts` enforced on nack and at lease time,
 * delays, `ready` events, and ack + publish applied all-or-nothing.
 * It also records what happened so tests can assert exact outcomes.
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
  readonly #dead = new Map<string, DeadLetter>();
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
  }

  async enqueue(items: readonly EnqueueItem[]): Promise<EnqueueResult[]> {
    this.#assertOpen();
    const results = this.#enqueueAll(items);
    return results;
  }

  async receive(queue: string, options: ReceiveOptions): Promise<Delivery[]> {
    this.#assertOpen();
    this.receiveMax.push(options.max);
    if (this.failReceives.count > 0) {
      this.failReceives.count--;
      throw this.failReceives.error;
    }
    const maxAttempts = this.#maxAttempts(queue);
    const ready = this.#readyList(queue);
    const out: Delivery[] = [];
    while (out.length < options.max) {
      const entry = ready.shift();
      if (entry === undefined) break;
      // The attempt limit is enforced at lease time too, so a message whose handler keeps crashing ends.
      if (entry.message.attempts >= maxAttempts) {
        this.#deadLetter(entry, "max-retries", entry.lastError);
        continue;
      }
      const attempt = entry.message.attempts + 1;
      const receipt = `${entry.message.id}:${attempt}:${newId()}`;
      entry.message = { ...entry.message, attempts: attempt };
      entry.attemptTimestamps.push(this.#clock.now());
      entry.state = "leased";
      entry.receipt = receipt;
      this.#leases.set(receipt, entry);
      this.#armLease(entry, options.leaseMs);
      out.push({ message: entry.message, receipt, attempt, leaseExpiresAt: this.#clock.now() + options.leaseMs });
    }
    return out;
  }

  async ack(receipts: readonly string[], publish: readonly EnqueueItem[] = []): Promise<void> {
    this.#assertOpen();
    const entries = receipts.map((r) => this.#lease(r));
    for (const item of publish) this.#validate(item); // all-or-nothing: check before changing anything
    for (const entry of entries) {
      this.#dropLease(entry);
      this.#entries.delete(entry.message.id);
      this.acked.push(entry.message.id);
      this.events.emit("acked", { queue: entry.message.queue, id: entry.message.id });
    }
    this.#enqueueAll(publish);
  }

  async nack(receipt: string, options: NackOptions = {}): Promise<NackOutcome> {
    this.#assertOpen();
    const entry = this.#lease(receipt);
    this.#dropLease(entry);
    if (options.reason !== undefined) entry.lastError = options.reason;
    const maxAttempts = options.maxAttempts ?? this.#maxAttempts(entry.message.queue);
    if (options.deadLetter === true || entry.message.attempts >= maxAttempts) {
      this.#deadLetter(entry, options.deadLetter === true ? "rejected" : "max-retries", options.reason);
      return { action: "dead-lettered", attempts: entry.message.attempts };
    }
    const availableAt = this.#clock.now() + (options.delayMs ?? 0);
    this.#schedule(entry, options.delayMs ?? 0);
    return { action: "retried", attempts: entry.message.attempts, availableAt };
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
    list: async (options = {}) => ({ items: this.#deadMatching(options).slice(0, options.limit ?? 100) }),
    get: async (id) => this.#dead.get(id),
    count: async (filter) => this.#deadMatching(filter ?? {}).length,
    replay: async (target) => {
      const letters = typeof target === "string" ? [this.#dead.get(target)].filter((d) => d !== undefined) : this.#deadMatching(target);
      const ids: string[] = [];
      for (const letter of letters) {
        this.#dead.delete(letter.message.id);
        const [result] = this.#enqueueAll([{ queue: letter.queue, payload: letter.message.payload }]);
        ids.push(result!.id);
      }
      return { replayed: ids.length, ids };
    },
    purge: async (filter) => {
      const letters = this.#deadMatching(filter ?? {});
      for (const letter of letters) this.#dead.delete(letter.message.id);
      return letters.length;
    },
  };

  async stats(queue = "*"): Promise<QueueStats> {
    const mine = [...this.#entries.values()].filter((e) => queue === "*" || e.message.queue === queue);
    const count = (state: Entry["state"]) => mine.filter((e) => e.state === state).length;
    return {
      queue,
      ready: count("ready"),
      delayed: count("delayed"),
      inFlight: count("leased"),
      deadLettered: this.#deadMatching(queue === "*" ? {} : { queue }).length,
      bytes: 0,
      capacity: Number.MAX_SAFE_INTEGER,
      maxBytes: Number.MAX_SAFE_INTEGER,
      totals: { enqueued: 0, replaced: 0, duplicates: 0, delivered: 0, acked: this.acked.length, retried: 0, deadLettered: this.#dead.size, expired: 0 },
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

  #enqueueAll(items: readonly EnqueueItem[]): EnqueueResult[] {
    for (const item of items) this.#validate(item);
    const results: EnqueueResult[] = [];
    for (const item of items) {
      const queues = item.topic === undefined ? [item.queue] : [...(this.#bindings.get(item.topic) ?? [])];
      const copies = queues.map((queue) => this.#store(queue, item));
      results.push(item.topic === undefined ? copies[0]! : { id: copies[0]?.id ?? "", queue: item.topic, status: "created", version: 1, copies });
    }
    return results;
  }

  #store(queue: string, item: EnqueueItem): EnqueueResult {
    const now = this.#clock.now();
    const id = newId();
    const message: Message = {
      id,
      queue,
      payload: item.payload,
      version: 1,
      priority: item.priority ?? 0,
      enqueuedAt: now,
      attempts: 0,
      ...(item.key === undefined ? {} : { key: item.key }),
      ...(item.correlationId === undefined ? {} : { correlationId: item.correlationId }),
      ...(item.causationId === undefined ? {} : { causationId: item.causationId }),
      ...(item.headers === undefined ? {} : { headers: { ...item.headers } }),
    };
    const entry: Entry = { message, state: "ready", seq: this.#seq++, attemptTimestamps: [] };
    this.#entries.set(id, entry);
    this.events.emit("enqueued", { queue, id, status: "created" });
    this.#schedule(entry, item.delayMs ?? 0);
    return { id, queue, status: "created", version: 1 };
  }

  #validate(item: EnqueueItem): void {
    const target = item.topic ?? item.queue;
    if (typeof target !== "string" || target === "") throw new InvalidArgumentError("memory-backend", "queue", "must be a non-empty string");
    if (typeof item.payload === "function") throw new InvalidArgumentError("memory-backend", "payload", "functions cannot be stored");
  }

  #schedule(entry: Entry, delayMs: number): void {
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
      this.events.emit("leaseExpired", { queue: entry.message.queue, id: entry.message.id, attempt: entry.message.attempts });
      this.#schedule(entry, 0);
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

  #deadLetter(entry: Entry, reason: string, error: ErrorInfo | undefined): void {
    this.#dropLease(entry);
    this.#entries.delete(entry.message.id);
    this.#dead.set(entry.message.id, {
      message: entry.message,
      queue: entry.message.queue,
      reason,
      ...(error === undefined ? {} : { error }),
      attemptTimestamps: [...entry.attemptTimestamps],
      deadLetteredAt: this.#clock.now(),
    });
    this.events.emit("deadLettered", { queue: entry.message.queue, id: entry.message.id, reason });
  }

  #deadMatching(filter: DeadLetterFilter): DeadLetter[] {
    return [...this.#dead.values()].filter((d) => (filter.queue === undefined || d.queue === filter.queue) && (filter.reason === undefined || d.reason === filter.reason));
  }

  #maxAttempts(queue: string): number {
    return this.#settings.get(queue)?.maxAttempts ?? 5;
  }

  #assertOpen(): void {
    if (!this.#open) throw new HostClosedError("memory-backend", "closed");
  }
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
