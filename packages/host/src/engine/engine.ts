import {
  assertScheduleName,
  AbortedError,
  HostClosedError,
  InvalidArgumentError,
  LeaseLostError,
  MessageInFlightError,
  MqError,
  NotFoundError,
  PersistenceError,
  QueueFullError,
  toMqError,
  type AckOptions,
  type BackendCapabilities,
  type BackendEvents,
  type CompletedMessage,
  type MessageInfo,
  type ScheduleInfo,
  type ScheduleSpec,
  type Clock,
  type Logger,
  type Message,
  type DeadLetterApi,
  type Delivery,
  type EnqueueItem,
  type EnqueueResult,
  type NackOptions,
  type NackOutcome,
  type Persistence,
  type QueueBackend,
  type QueueSettings,
  type QueueStats,
  type ReceiveOptions,
  type RecoveryReport,
  NACK_OPTION_KEYS,
  RECEIVE_OPTION_KEYS,
} from "@mq/core";
import { LeaseManager } from "@mq/lease";
import { EventEmitter } from "eventemitter3";
import { decodePayload, encodePayload } from "../payload-codec";
import { createDeadLetterApi } from "./dead-letter-api";
import { EngineState, GROUP_PREFIX, TTL_PREFIX } from "./engine-state";
import { toMessage, type Entry } from "./entry";
import { planEnqueue } from "./enqueue-planner";
import { JoinedFrame } from "./joined-frame";
import type { Op } from "./ops";
import { QueueState, type ResolvedQueueSettings } from "./queue-state";
import { ReceiveWaiters } from "./receive-waiters";
import { StartGate } from "./start-gate";
import { assertArray, assertDuration, assertKnownKeys, assertName, assertPositiveInt } from "./validate";
import { validateQueueSettings } from "./queue-settings";
import { SCHEDULE_PREFIX, toScheduleInfo } from "./schedule-record";
import { buildSchedule, planFire } from "./schedules";

/** Most messages one receive may lease. */
export const MAX_RECEIVE_BATCH = 10_000;

const ENQUEUE_OPTION_KEYS: ReadonlySet<string> = new Set(["signal", "waitIfFull"]);

/** What the engine is built from. */
export interface EngineOptions {
  readonly persistence: Persistence;
  readonly clock: Clock;
  readonly newId: () => string;
  /** Settings for a queue, given its runtime-configured overrides. */
  readonly settingsFor: (queue: string, configured: QueueSettings | undefined) => ResolvedQueueSettings;
  readonly deadLetterLimit: number;
  /** Queues to create at open, so they show up before first use. */
  readonly knownQueues: readonly string[];
  /** Where a failure is reported once, whether or not anyone listens for `error`. */
  readonly logger?: Logger;
  /**
   * The persistence writes its own fail-stop to the same logger (the file
   * journal the host creates), so the engine does not log it a second time.
   */
  readonly persistenceLogsFailure?: boolean;
}

type Status = "new" | "opening" | "open" | "closing" | "closed";

/**
 * The embedded queue engine: a {@link QueueBackend} on in-memory structures
 * (priority lanes, dedup index, lease heap, dead-letter store), with every
 * change that must survive a crash written through a {@link Persistence}.
 */
export class Engine implements QueueBackend {
  readonly contractVersion = 1 as const;
  /** Ordering groups, rate limits, the in-flight cap and `throttle` (issue 16). */
  readonly capabilities: BackendCapabilities = { groups: true, rateLimits: true, maxInFlight: true, throttle: true };
  readonly events: EventEmitter<BackendEvents> = new EventEmitter<BackendEvents>();
  readonly deadLetters: DeadLetterApi;
  readonly #options: EngineOptions;
  readonly #persistence: Persistence;
  readonly #clock: Clock;
  readonly #leases: LeaseManager;
  readonly #state: EngineState;
  readonly #waiters: ReceiveWaiters;
  readonly #gate: StartGate;
  readonly #pendingReady = new Set<QueueState>();
  /** The record being built by a commit that serves waiting consumers; commits made meanwhile join it. */
  #joining: JoinedFrame | undefined;
  #spaceWaiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  /** Delays and TTLs that came due while recovery was running, handled once open. */
  #dueWhileOpening: string[] = [];
  #status: Status = "new";
  #failure: MqError | undefined;
  #recovery: RecoveryReport | undefined;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#persistence = options.persistence;
    this.#clock = options.clock;
    this.#leases = new LeaseManager({
      clock: options.clock,
      onExpire: (id) => this.#onLeaseExpired(id),
      onDue: (id) => this.#onDue(id),
    });
    this.#state = new EngineState(
      {
        leases: this.#leases,
        settingsFor: options.settingsFor,
        now: () => this.#clock.now(),
        onReady: (q) => this.#markReady(q),
        // Only a capped queue has anyone to wake when a slot frees; the others pay nothing per ack.
        onSlotFree: (q) => {
          if (q.settings.maxInFlight !== null) this.#markReady(q);
        },
      },
      options.deadLetterLimit,
    );
    this.#waiters = new ReceiveWaiters(options.clock);
    this.#gate = new StartGate({ clock: options.clock, leases: this.#leases, isOpen: () => this.#status === "open", wake: (q) => this.#markReady(q) });
    this.deadLetters = createDeadLetterApi({
      store: this.#state.deadLetters,
      assertOpen: () => this.#assertOpen("deadLetters"),
      commit: (ops) => this.#commit(ops),
      now: () => this.#clock.now(),
    });
  }

  /** What recovery found at the last open. */
  get recovery(): RecoveryReport | undefined {
    return this.#recovery;
  }

  get status(): Status {
    return this.#status;
  }

  async open(): Promise<void> {
    if (this.#status === "open") return;
    if (this.#status !== "new") throw new HostClosedError("host", `cannot open from state ${this.#status}; create a new host`);
    this.#status = "opening";
    this.#persistence.events.on("error", (error) => this.#fail(error));
    this.#state.beginRecovery();
    try {
      this.#recovery = await this.#persistence.open({
        restore: (snapshot) => this.#state.restore(snapshot),
        beginRestore: (meta) => this.#state.beginRestore(meta),
        apply: (ops) => {
          for (const op of ops) this.#state.apply(op as Op);
        },
        capture: () => this.#state.capture(),
      });
    } catch (error) {
      this.#status = "closed";
      this.#leases.close();
      throw error;
    }
    for (const name of this.#options.knownQueues) this.#state.queue(name);
    const exhausted = this.#state.finishRecovery();
    this.#status = "open";
    if (exhausted.length > 0) {
      const at = this.#clock.now();
      // Their deliveries never settled because the process died each time: the message likely kills it.
      await this.#commit(exhausted.map((e): Op => ["dead", e.id, "poison", { name: "DeliveryAbandoned", message: `attempt ${e.attempts} of ${e.attempts} ended with the process` }, at]));
    }
    const due = this.#dueWhileOpening;
    this.#dueWhileOpening = [];
    for (const id of due) this.#onDue(id);
    for (const q of this.#state.queues.values()) if (q.ready > 0) this.#markReady(q);
  }

  async close(options: { readonly drain?: boolean } = {}): Promise<void> {
    if (this.#status === "closed" || this.#status === "closing") return;
    if (this.#status === "new") {
      this.#status = "closed";
      this.#leases.close();
      return;
    }
    this.#status = "closing";
    if (options.drain === true && this.#failure === undefined) await this.#drained();
    const closed = new HostClosedError("host", "closing");
    this.#waiters.rejectAll(closed);
    for (const q of this.#state.queues.values()) this.#gate.disarm(q);
    for (const wake of this.#spaceWaiters) wake();
    this.#spaceWaiters = [];
    this.#leases.close();
    try {
      if (this.#failure === undefined) await this.#persistence.close();
    } finally {
      this.#status = "closed";
    }
  }

  async enqueue(items: readonly EnqueueItem[], options: { readonly signal?: AbortSignal; readonly waitIfFull?: boolean } = {}): Promise<EnqueueResult[]> {
    assertKnownKeys("enqueue", "options", options, ENQUEUE_OPTION_KEYS);
    for (;;) {
      this.#assertOpen("enqueue");
      try {
        const plan = planEnqueue(this.#state, items, this.#clock.now(), this.#options.newId);
        if (plan.ops.length > 0) await this.#commit(plan.ops);
        this.#countDuplicates(plan.results);
        this.#emitEnqueued(plan.results);
        return plan.results;
      } catch (error) {
        if (!(options.waitIfFull === true && error instanceof QueueFullError)) throw error;
        await this.#waitForSpace(options.signal);
      }
    }
  }

  async receive(queue: string, options: ReceiveOptions): Promise<Delivery[]> {
    this.#assertOpen("receive");
    assertName("receive", "queue", queue);
    if (typeof options !== "object" || options === null) throw new InvalidArgumentError("receive", "options", "must be an object with max and leaseMs");
    assertKnownKeys("receive", "options", options, RECEIVE_OPTION_KEYS);
    assertPositiveInt("receive", "max", options.max, MAX_RECEIVE_BATCH);
    assertDuration("receive", "leaseMs", options.leaseMs, { min: 1, timer: true });
    const waitMs = options.waitMs ?? 0;
    assertDuration("receive", "waitMs", waitMs, { timer: true });
    if (options.signal?.aborted === true) throw new AbortedError("receive", options.signal.reason);
    // A read never creates the queue: an unknown one simply has nothing ready yet.
    const q = this.#state.queues.get(queue);
    const wait = { max: options.max, leaseMs: options.leaseMs, waitMs, signal: options.signal };
    // Nothing leased (none ready, or groups and limits hold every start back): register before the
    // first await, so a wake-up, abort or deadline right after the call is not missed.
    const leased = q === undefined || q.ready === 0 ? undefined : this.#leaseBatch(q, options.max, options.leaseMs);
    if (leased === undefined) return waitMs > 0 ? this.#waiters.wait(queue, wait) : Promise.resolve([]);
    const got = await leased;
    if (got.length > 0 || waitMs === 0) return got;
    return this.#waiters.wait(queue, wait);
  }

  async ack(receipts: readonly string[], publish: readonly EnqueueItem[] = [], options?: AckOptions): Promise<void> {
    this.#assertOpen("ack");
    assertArray("ack", "receipts", receipts);
    const unique = receipts.length === 1 ? receipts : [...new Set(receipts)];
    const entries: Entry[] = [];
    for (let i = 0; i < unique.length; i++) entries.push(this.#entryForReceipt(unique[i]!));
    const now = this.#clock.now();
    const plan = publish.length > 0 ? planEnqueue(this.#state, publish, now, this.#options.newId) : undefined;
    // Completions go first in the frame: they read the entry the ack then removes.
    const completed = this.#completedOp(receipts, unique, entries, options?.results, now);
    // No release per receipt here: applying the ack removes each entry, and with it its lease.
    const ops: Op[] = completed === undefined ? [] : [completed];
    const ackOp: Op = entries.length === 1 ? ["ack", entries[0]!.id, now] : ["acks", entries.map((e) => e.id), now];
    ops.push(ackOp);
    if (plan !== undefined) ops.push(...plan.ops);
    await this.#commit(ops, entries.length === 1 ? undefined : { op: ackOp, entries });
    if (this.events.listenerCount("acked") > 0) for (const e of entries) this.events.emit("acked", { queue: e.queue, id: e.id });
    if (completed !== undefined && this.events.listenerCount("completed") > 0) {
      const [, ids, results] = completed as readonly ["completed", readonly string[], readonly (Uint8Array | null)[], number];
      for (let i = 0; i < ids.length; i++) this.events.emit("completed", { queue: this.#state.completed.get(ids[i]!, now, undefined)?.queue ?? "", id: ids[i]!, result: results[i] == null ? undefined : decodePayload(results[i]!) });
    }
    if (plan !== undefined) {
      this.#countDuplicates(plan.results);
      this.#emitEnqueued(plan.results);
    }
    this.#afterRemoval();
  }

  async nack(receipt: string, options: NackOptions = {}): Promise<NackOutcome> {
    this.#assertOpen("nack");
    assertKnownKeys("nack", "options", options, NACK_OPTION_KEYS);
    const entry = this.#entryForReceipt(receipt, "nack");
    const delayMs = options.delayMs ?? 0;
    assertDuration("nack", "delayMs", delayMs);
    if (options.maxAttempts !== undefined) assertPositiveInt("nack", "maxAttempts", options.maxAttempts, Number.MAX_SAFE_INTEGER);
    const q = this.#state.queue(entry.queue);
    const limit = options.maxAttempts ?? entry.maxAttempts ?? q.settings.maxAttempts;
    const now = this.#clock.now();
    this.#leases.release(receipt);
    const attempts = entry.attempts;
    if (options.deadLetter === true || attempts >= limit) {
      const reason = options.deadLetter === true ? "rejected" : "max-retries";
      await this.#commit([["dead", entry.id, reason, options.reason, now]]);
      this.#emitNacked(entry, "dead-lettered");
      if (this.events.listenerCount("deadLettered") > 0) this.events.emit("deadLettered", { queue: entry.queue, id: entry.id, reason });
      this.#afterRemoval();
      return { action: "dead-lettered", attempts };
    }
    const availableAt = now + delayMs;
    entry.progress = undefined;
    if (options.reason !== undefined) entry.lastError = options.reason;
    // Under "skip" the failed head goes behind its group, so the next message proceeds; "block" keeps it first.
    const ops: Op[] = entry.group !== undefined && q.settings.groupOnFailure === "skip" ? [["regroup", entry.id, this.#state.nextSeq], ["retry", entry.id, availableAt]] : [["retry", entry.id, availableAt]];
    await this.#commit(ops);
    this.#emitNacked(entry, "retried");
    return { action: "retried", attempts, availableAt };
  }

  async extend(receipt: string, leaseMs: number): Promise<void> {
    this.#assertOpen("extend");
    assertDuration("extend", "leaseMs", leaseMs, { min: 1, timer: true });
    this.#entryForReceipt(receipt, "extend");
    this.#leases.extend(receipt, leaseMs);
    return Promise.resolve();
  }

  /**
   * Hands a delivery back unused (attempt count restored, like `release`) and
   * holds its group, or its whole queue when it has no group, for `ms`: the
   * pause is journaled with the release, so it outlives a restart.
   */
  async throttle(receipt: string, ms: number): Promise<void> {
    this.#assertOpen("throttle");
    assertDuration("throttle", "ms", ms, { timer: true });
    const entry = this.#entryForReceipt(receipt, "throttle");
    this.#leases.release(receipt);
    const until = this.#clock.now() + ms;
    await this.#commit([
      ["release", [entry.id], [Math.max(0, entry.attempts - 1)]],
      ["throttle", entry.queue, entry.group ?? null, until],
    ]);
    this.#afterRemoval();
  }

  async release(receipts: readonly string[]): Promise<void> {
    this.#assertOpen("release");
    assertArray("release", "receipts", receipts);
    const unique = [...new Set(receipts)];
    // Check every receipt before touching any lease, so a stale one changes nothing.
    const entries = unique.map((r) => this.#entryForReceipt(r, "release"));
    if (entries.length === 0) return;
    for (const r of unique) this.#leases.release(r);
    const ids = entries.map((e) => e.id);
    const attempts = entries.map((e) => Math.max(0, e.attempts - 1));
    await this.#commit([["release", ids, attempts]]);
    this.#afterRemoval();
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a bad argument rejects instead of throwing
  async peek(queue: string, limit: number): Promise<Message[]> {
    this.#assertOpen("peek");
    assertName("peek", "queue", queue);
    assertPositiveInt("peek", "limit", limit, MAX_RECEIVE_BATCH);
    const q = this.#state.queues.get(queue);
    if (q === undefined) return [];
    return q.peekReady(limit).map((entry) => toMessage(entry, decodePayload(entry.payload)));
  }

  async purge(queue: string): Promise<number> {
    this.#assertOpen("purge");
    assertName("purge", "queue", queue);
    const ids: string[] = [];
    for (const entry of this.#state.entries.values()) if (entry.queue === queue && (entry.state === "ready" || entry.state === "delayed")) ids.push(entry.id);
    if (ids.length === 0) return 0;
    await this.#commit([["discard", ids, this.#clock.now()]]);
    this.#afterRemoval();
    return ids.length;
  }

  async getMessage(queue: string, id: string): Promise<MessageInfo> {
    this.#assertOpen("getMessage");
    assertName("getMessage", "queue", queue);
    assertMessageId("getMessage", id);
    return Promise.resolve(this.#messageInfo(queue, id));
  }

  #messageInfo(queue: string, id: string): MessageInfo {
    const entry = this.#state.entries.get(id);
    if (entry !== undefined && entry.queue === queue && entry.state !== "gone") {
      const state = entry.state === "ready" ? "ready" : entry.state === "delayed" ? "delayed" : "in-flight";
      return {
        id,
        queue,
        state,
        attempts: entry.attempts,
        enqueuedAt: entry.enqueuedAt,
        ...(entry.availableAt > entry.enqueuedAt ? { availableAt: entry.availableAt } : {}),
        ...(entry.lastError === undefined ? {} : { lastError: entry.lastError }),
        ...(entry.progress === undefined ? {} : { progress: entry.progress }),
        message: toMessage(entry, decodePayload(entry.payload)),
      };
    }
    const done = this.#completion(id);
    if (done !== undefined && done.queue === queue) return { id, queue, state: "completed", attempts: 0, completedAt: done.completedAt, result: done.result };
    const letter = this.#state.deadLetters.get(id);
    if (letter !== undefined && letter.queue === queue) {
      return {
        id,
        queue,
        state: "dead-lettered",
        attempts: letter.message.attempts,
        enqueuedAt: letter.message.enqueuedAt,
        deadLetterReason: letter.reason,
        ...(letter.error === undefined ? {} : { lastError: letter.error }),
        message: letter.message,
      };
    }
    return { id, queue, state: "unknown", attempts: 0 };
  }

  async cancel(queue: string, id: string): Promise<void> {
    this.#assertOpen("cancel");
    assertName("cancel", "queue", queue);
    assertMessageId("cancel", id);
    const entry = this.#state.entries.get(id);
    if (entry === undefined || entry.queue !== queue || entry.state === "gone") throw new NotFoundError("pending message", id, `queue "${queue}" holds no ready or delayed message with this id (it may have completed, been dead-lettered or cancelled already)`);
    if (entry.state === "in-flight") throw new MessageInFlightError(queue, id);
    // By id, like purge: replay over a newer snapshot removes nothing else.
    await this.#commit([["discard", [id], this.#clock.now()]]);
    this.#afterRemoval();
  }

  async progress(receipt: string, value: unknown): Promise<void> {
    this.#assertOpen("progress");
    const entry = this.#entryForReceipt(receipt, "progress");
    entry.progress = value;
    if (this.events.listenerCount("progress") > 0) this.events.emit("progress", { queue: entry.queue, id: entry.id, value });
    return Promise.resolve();
  }

  async completion(id: string): Promise<CompletedMessage | undefined> {
    this.#assertOpen("completion");
    assertMessageId("completion", id);
    return Promise.resolve(this.#completion(id));
  }

  async schedule(name: string, spec: ScheduleSpec): Promise<ScheduleInfo> {
    this.#assertOpen("schedule");
    const record = buildSchedule(name, spec, this.#options.newId(), this.#clock.now());
    await this.#commit([["schedule", record]]);
    return toScheduleInfo(record);
  }

  async unschedule(name: string): Promise<boolean> {
    this.#assertOpen("unschedule");
    assertScheduleName("unschedule", name);
    if (!this.#state.schedules.has(name)) return false;
    await this.#commit([["unschedule", name]]);
    return true;
  }

  async schedules(): Promise<ScheduleInfo[]> {
    this.#assertOpen("schedules");
    return Promise.resolve([...this.#state.schedules.values()].map(toScheduleInfo).sort((a, b) => (a.name < b.name ? -1 : 1)));
  }

  async configureQueue(queue: string, settings: QueueSettings): Promise<void> {
    this.#assertOpen("configureQueue");
    assertName("configureQueue", "queue", queue);
    const valid = validateQueueSettings(settings, "settings", "configureQueue");
    await this.#commit([["configure", queue, valid]]);
    // A lifted or loosened limit may let held-back messages start: wake consumers.
    const q = this.#state.queues.get(queue);
    if (q !== undefined && q.ready > 0) this.#markReady(q);
  }

  async bind(topic: string, queue: string): Promise<void> {
    this.#assertOpen("bind");
    assertName("bind", "topic", topic);
    assertName("bind", "queue", queue);
    if (this.#state.bindings.get(topic)?.has(queue) === true) return;
    await this.#commit([["bind", topic, queue]]);
  }

  async unbind(topic: string, queue: string): Promise<void> {
    this.#assertOpen("unbind");
    assertName("unbind", "topic", topic);
    assertName("unbind", "queue", queue);
    if (this.#state.bindings.get(topic)?.has(queue) !== true) return;
    await this.#commit([["unbind", topic, queue]]);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a bad argument rejects instead of throwing
  async bindings(topic: string): Promise<string[]> {
    this.#assertOpen("bindings");
    assertName("bindings", "topic", topic);
    return [...(this.#state.bindings.get(topic) ?? [])].sort();
  }

  /** The settings a queue runs with now (options, defaults and runtime changes merged). */
  settingsOf(queue: string): ResolvedQueueSettings {
    // No validation: callers pass the name on to an operation that validates it and names itself.
    return this.#state.queues.get(queue)?.settings ?? this.#state.settingsOf(queue);
  }

   
  async stats(queue?: string): Promise<QueueStats> {
    if (queue !== undefined && queue !== "*") {
      assertName("stats", "queue", queue);
      // Stats of an unknown queue are zeros with its settings; asking does not create it.
      const q = this.#state.queues.get(queue) ?? new QueueState(queue, this.#state.settingsOf(queue));
      return Promise.resolve(q.stats(this.#state.deadLetters.count({ queue }), this.#clock.now()));
    }
    const all = [...this.#state.queues.values()].map((q) => q.stats(0, this.#clock.now()));
    const sum = (pick: (s: QueueStats) => number): number => all.reduce((n, s) => n + pick(s), 0);
    const totals = {} as Record<keyof QueueStats["totals"], number>;
    for (const key of ["enqueued", "replaced", "duplicates", "delivered", "acked", "retried", "deadLettered", "expired"] as const) {
      totals[key] = sum((s) => s.totals[key]);
    }
    return Promise.resolve({
      queue: "*",
      ready: sum((s) => s.ready),
      delayed: sum((s) => s.delayed),
      inFlight: sum((s) => s.inFlight),
      deadLettered: this.#state.deadLetters.size,
      bytes: sum((s) => s.bytes),
      capacity: sum((s) => s.capacity),
      maxBytes: sum((s) => s.maxBytes),
      totals,
      groups: {
        ready: sum((s) => s.groups?.ready ?? 0),
        blocked: sum((s) => s.groups?.blocked ?? 0),
        active: sum((s) => s.groups?.active ?? 0),
        throttled: sum((s) => s.groups?.throttled ?? 0),
      },
      throttled: {
        rateLimit: sum((s) => s.throttled?.rateLimit ?? 0),
        groupRateLimit: sum((s) => s.throttled?.groupRateLimit ?? 0),
        maxInFlight: sum((s) => s.throttled?.maxInFlight ?? 0),
        backOff: sum((s) => s.throttled?.backOff ?? 0),
      },
    });
  }

  queues(): Promise<string[]> {
    return Promise.resolve([...this.#state.queues.keys()].sort());
  }

  /** Counts of the engine's internal structures, for leak checks and admin views. */
  internals(): { entries: number; leases: number; scheduled: number; dedupKeys: number; deadLetters: number; receiveWaiters: number } {
    return {
      entries: this.#state.entries.size,
      leases: this.#leases.size,
      scheduled: this.#leases.scheduledCount,
      dedupKeys: this.#state.dedup.size,
      deadLetters: this.#state.deadLetters.size,
      receiveWaiters: this.#waiters.size,
    };
  }

  // ---- internals ---------------------------------------------------------

  #assertOpen(operation: string): void {
    if (this.#failure !== undefined) throw this.#refusal(operation);
    if (this.#status !== "open") throw new HostClosedError("host", this.#status === "new" ? "not started" : this.#status);
  }

  /**
   * Applies `ops` to memory and appends them as one journal record, in the
   * same tick, so LSN order is apply order. When they make messages ready,
   * waiting consumers are served before the append and their leases join the
   * record (see {@link JoinedFrame}).
   */
  #commit(ops: readonly Op[], resolved?: { readonly op: Op; readonly entries: readonly Entry[] }): Promise<number> {
    if (this.#failure !== undefined) return Promise.reject(new PersistenceError("the journal failed earlier; restart the process to recover", "FAIL_STOPPED", { cause: this.#failure }));
    try {
      // `resolved`: the entries of one op's ids, found by the caller in this tick (no lookup per message).
      for (const op of ops) {
        if (op === resolved?.op) this.#state.applyResolved(op, resolved.entries);
        else this.#state.apply(op);
      }
    } catch (error) {
      // A half-applied frame leaves memory ahead of the journal: stop rather than serve it.
      const failure = toMqError(error, "applying a state change failed");
      this.#fail(failure);
      return Promise.reject(failure);
    }
    if (this.#joining !== undefined) return this.#joining.join(ops);
    const frame = this.#pendingReady.size > 0 ? this.#serveJoining(ops) : undefined;
    // A joiner's apply may have failed the engine meanwhile (TypeScript still sees the check above).
    const failure = this.#failure as MqError | undefined;
    if (failure !== undefined) {
      frame?.abandon(failure);
      return Promise.reject(failure);
    }
    const appended = this.#persistence.append(frame === undefined ? ops : frame.ops).catch((error: unknown) => {
      const failure = MqError.isInstance(error) ? error : new PersistenceError(`append failed: ${String(error)}`, "EIO", { cause: error });
      this.#fail(failure);
      throw failure;
    });
    frame?.settle(appended);
    return appended;
  }

  /** Serves the queues `ops` made ready now, inside the commit, so the leases taken join its record. */
  #serveJoining(ops: readonly Op[]): JoinedFrame {
    const frame = (this.#joining = new JoinedFrame(ops));
    try {
      this.#flushReady();
    } catch (error) {
      // A throwing `ready` listener must not keep the applied ops out of the journal: it is reported as before, from a microtask.
      queueMicrotask(() => {
        throw error;
      });
    } finally {
      this.#joining = undefined;
    }
    return frame;
  }

  #fail(error: MqError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    if (this.#options.persistenceLogsFailure !== true) this.#options.logger?.error({ code: error.code, error: error.message }, "the journal failed; the host refuses work until it is restarted");
    // Waiting receives did not make the write that failed: they are refused like every later call.
    this.#waiters.rejectAll(this.#refusal("receive"));
    if (this.events.listenerCount("error") > 0) this.events.emit("error", error);
  }

  #entryForReceipt(receipt: string, operation = "ack"): Entry {
    if (typeof receipt !== "string" || receipt.length === 0) throw new InvalidArgumentError(operation, "receipt", "must be the receipt string of a delivery");
    const id = this.#leases.currentId(receipt);
    if (id === undefined) throw this.#leases.idOf(receipt) === undefined ? new LeaseLostError(receipt, "not a receipt this host issued") : new LeaseLostError(receipt);
    const entry = this.#state.entries.get(id);
    if (entry === undefined || entry.state !== "in-flight") throw new LeaseLostError(receipt);
    return entry;
  }

  /**
   * Leases up to `max` messages of `q` that may start, durably counting each
   * attempt before handing them out; undefined when nothing was taken. Queue
   * limits (`throttle`, `maxInFlight`, `rateLimit`) are checked per start;
   * group checks happen as lanes are read (only offered heads are there).
   */
  #leaseBatch(q: QueueState, max: number, leaseMs: number): Promise<Delivery[]> | undefined {
    const now = this.#clock.now();
    const mono = this.#clock.monotonic();
    const ops: Op[] = [];
    const taken: Entry[] = [];
    const ids: string[] = [];
    const attempts: number[] = [];
    const check = this.#gate.candidateCheck(q, now, mono);
    const bucket = q.bucket(mono);
    // Queues without limits (the common case) skip the per-start checks entirely.
    const limited = bucket !== undefined || q.settings.maxInFlight !== null || q.throttledUntil > now;
    while (taken.length < max) {
      // Limits are checked only when something could start, so the counters count held-back starts.
      if (limited && (q.firstCandidate(check) === undefined || this.#gate.queueHeld(q, now, mono, taken.length, bucket, true))) break;
      const entry = q.takeCandidate(check);
      if (entry === undefined) break;
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
        ops.push(this.#expiryOp(q, entry, now));
        continue;
      }
      bucket?.take(mono);
      if (entry.group !== undefined) q.groupBucket(entry.group, mono)?.take(mono);
      ids.push(entry.id);
      attempts.push(entry.attempts + 1);
      taken.push(entry);
    }
    const expired = ops.length;
    const leaseOp: Op | undefined = taken.length === 1 ? ["lease", ids[0]!, attempts[0]!, now] : taken.length > 1 ? ["leases", ids, attempts, now] : undefined;
    if (leaseOp !== undefined) ops.push(leaseOp);
    if (ops.length === 0) return undefined;
    const committed = this.#commit(ops, taken.length > 1 ? { op: leaseOp!, entries: taken } : undefined);
    const deliveries = taken.map((entry): Delivery => {
      const receipt = this.#leases.acquire(entry.id, leaseMs);
      return { message: toMessage(entry, decodePayload(entry.payload)), receipt, attempt: entry.attempts, leaseExpiresAt: now + leaseMs };
    });
    if (this.events.listenerCount("delivered") > 0) {
      for (const d of deliveries) this.events.emit("delivered", { queue: q.name, id: d.message.id, attempt: d.attempt, enqueuedAt: d.message.enqueuedAt });
    }
    if (expired > 0) this.#afterRemoval();
    // A lease lost with a failed write is no delivery, nothing more: the receive is refused like every
    // call after the fail-stop, so its caller does not report the journal's failure a second time.
    return committed.then(
      () => deliveries,
      (error: unknown) => {
        throw this.#failure === undefined ? error : this.#refusal("receive");
      },
    );
  }

  /** What a call gets once the journal has failed: errno `FAIL_STOPPED`, the failure as its cause. */
  #refusal(operation: string): PersistenceError {
    const failure = this.#failure;
    return new PersistenceError(`${operation} refused: the journal failed earlier (${failure?.message ?? "unknown"}); restart the process to recover`, "FAIL_STOPPED", { cause: failure });
  }

  #completion(id: string): CompletedMessage | undefined {
    const now = this.#clock.now();
    const found = this.#state.completed.get(id, now, undefined);
    if (found === undefined) return undefined;
    const keep = this.#state.settingsOf(found.queue).keepCompleted;
    if (this.#state.completed.get(id, now, keep) === undefined) return undefined;
    return { id, queue: found.queue, completedAt: found.at, result: found.result === null ? undefined : decodePayload(found.result) };
  }

  /**
   * The `completed` operation for acked entries whose queue keeps
   * completions, or undefined (the default: no queue keeps them, nothing is encoded).
   */
  #completedOp(receipts: readonly string[], unique: readonly string[], entries: readonly Entry[], results: readonly unknown[] | undefined, now: number): Op | undefined {
    let ids: string[] | undefined;
    let encoded: (Uint8Array | null)[] | undefined;
    // One settings lookup per run of same-queue entries: an ack batch is almost always one queue.
    let queue: string | undefined;
    let keep: unknown;
    const sameOrder = unique.length === receipts.length;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.queue !== queue) {
        queue = entry.queue;
        keep = this.#state.settingsOf(queue).keepCompleted;
      }
      if (keep === undefined) continue;
      const value = results === undefined ? undefined : results[sameOrder ? i : receipts.indexOf(unique[i]!)];
      (ids ??= []).push(entry.id);
      (encoded ??= []).push(value === undefined ? null : encodeResult(value, this.#options.logger));
    }
    return ids === undefined ? undefined : ["completed", ids, encoded!, now];
  }

  #expiryOp(q: QueueState, entry: Entry, now: number): Op {
    if (this.events.listenerCount("expired") > 0) this.events.emit("expired", { queue: q.name, id: entry.id });
    return q.settings.onExpire === "dead-letter" ? ["dead", entry.id, "expired", undefined, now] : ["expire", entry.id, now];
  }

  #onLeaseExpired(id: string): void {
    const entry = this.#state.entries.get(id);
    if (entry === undefined || entry.state !== "in-flight" || this.#status !== "open") return;
    const q = this.#state.queue(entry.queue);
    if (this.events.listenerCount("leaseExpired") > 0) this.events.emit("leaseExpired", { queue: q.name, id, attempt: entry.attempts });
    if (entry.attempts >= (entry.maxAttempts ?? q.settings.maxAttempts)) {
      const error = { name: "LeaseExpired", message: `lease of attempt ${entry.attempts} expired without ack or nack` };
      this.#commit([["dead", id, "max-retries", error, this.#clock.now()]]).then(
        () => {
          if (this.events.listenerCount("deadLettered") > 0) this.events.emit("deadLettered", { queue: q.name, id, reason: "max-retries" });
          this.#afterRemoval();
        },
        () => undefined, // the failure is already reported through #fail
      );
      return;
    }
    this.#state.requeueExpiredLease(entry);
    // An expired lease is a failed attempt: under "skip" it goes behind its group, durably.
    if (entry.group !== undefined && q.settings.groupOnFailure === "skip") {
      this.#commit([["regroup", id, this.#state.nextSeq]]).catch(() => undefined); // a failure is reported through #fail
    }
  }

  #onDue(id: string): void {
    if (this.#status === "opening") {
      this.#dueWhileOpening.push(id);
      return;
    }
    if (this.#status !== "open") return;
    if (id.startsWith(SCHEDULE_PREFIX)) return this.#fireSchedule(id.slice(SCHEDULE_PREFIX.length));
    if (id.startsWith(GROUP_PREFIX)) return this.#wakeGroup(id);
    if (id.startsWith(TTL_PREFIX)) {
      const entry = this.#state.entries.get(id.slice(TTL_PREFIX.length));
      // In-flight messages are checked again if they come back to the queue.
      if (entry === undefined || entry.state === "in-flight" || entry.state === "gone") return;
      const q = this.#state.queue(entry.queue);
      this.#commit([this.#expiryOp(q, entry, this.#clock.now())]).then(
        () => this.#afterRemoval(),
        () => undefined,
      );
      return;
    }
    const entry = this.#state.entries.get(id);
    if (entry?.state === "delayed") this.#state.releaseDelayed(entry);
  }

  /**
   * Enqueues a due schedule's messages and its next fire time in one frame:
   * after a crash either both are in the journal or neither, so each fire
   * time is enqueued once.
   */
  #fireSchedule(name: string): void {
    const record = this.#state.schedules.get(name);
    if (record === undefined) return;
    const now = this.#clock.now();
    if (record.nextFireAt > now) {
      this.#leases.schedule(SCHEDULE_PREFIX + name, record.nextFireAt);
      return;
    }
    const fire = planFire(record, now);
    let plan: ReturnType<typeof planEnqueue> | undefined;
    try {
      plan = fire.items.length === 0 ? undefined : planEnqueue(this.#state, fire.items, now, this.#options.newId);
    } catch (error) {
      // A full queue or a stale option must not stop the schedule: this fire is skipped, the next one comes.
      this.#options.logger?.warn({ schedule: name, queue: record.queue, error: String(error) }, "a schedule's fire could not be enqueued; skipped");
      if (this.events.listenerCount("error") > 0) this.events.emit("error", toMqError(error, `schedule "${name}" could not enqueue`));
    }
    this.#commit([...(plan?.ops ?? []), fire.advance]).then(
      () => {
        if (plan === undefined) return;
        this.#countDuplicates(plan.results);
        this.#emitEnqueued(plan.results);
      },
      () => undefined, // reported through #fail
    );
  }

  /** A held-back group's pause or bucket wait ended: offer its head again. */
  #wakeGroup(id: string): void {
    const rest = id.slice(GROUP_PREFIX.length);
    const split = rest.indexOf("\u0000");
    const q = this.#state.queues.get(rest.slice(0, split));
    const g = q?.groups.get(rest.slice(split + 1));
    if (q === undefined || g === undefined) return;
    g.parkedUntil = 0;
    if (g.throttledUntil <= this.#clock.now()) g.throttledUntil = 0;
    if (q.offer(g)) this.#markReady(q);
  }

  /** Coalesces "messages became ready" per queue into one wake-up per tick. */
  #markReady(q: QueueState): void {
    if (this.#pendingReady.size === 0) queueMicrotask(() => this.#flushReady());
    this.#pendingReady.add(q);
  }

  #flushReady(): void {
    if (this.#status !== "open") {
      this.#pendingReady.clear();
      return;
    }
    const queues = [...this.#pendingReady];
    this.#pendingReady.clear();
    for (const q of queues) {
      if (q.ready === 0) continue;
      this.#waiters.serve(q.name, () => this.#gate.canStart(q), (max, leaseMs) => this.#leaseBatch(q, max, leaseMs) ?? Promise.resolve([]));
      if (this.events.listenerCount("ready") > 0 && this.#gate.canStart(q)) this.events.emit("ready", q.name);
    }
  }

  #afterRemoval(): void {
    if (this.#spaceWaiters.length > 0) {
      const wake = this.#spaceWaiters;
      this.#spaceWaiters = [];
      for (const w of wake) w();
    }
    if (this.#drainWaiters.length > 0 && this.#inFlightTotal() === 0) {
      const wake = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of wake) w();
    }
  }

  #inFlightTotal(): number {
    let n = 0;
    for (const q of this.#state.queues.values()) n += q.inFlight;
    return n;
  }

  #drained(): Promise<void> {
    if (this.#inFlightTotal() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #waitForSpace(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(new AbortedError("enqueue", signal.reason));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#spaceWaiters = this.#spaceWaiters.filter((w) => w !== wake);
        reject(new AbortedError("enqueue", signal?.reason));
      };
      const wake = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#spaceWaiters.push(wake);
    });
  }

  #countDuplicates(results: readonly EnqueueResult[]): void {
    for (const r of results) {
      if (r.copies !== undefined) this.#countDuplicates(r.copies);
      else if (r.status === "duplicate") this.#state.queue(r.queue).totals.duplicates++;
    }
  }

  #emitEnqueued(results: readonly EnqueueResult[]): void {
    if (this.events.listenerCount("enqueued") === 0) return;
    for (const r of results) {
      if (r.copies !== undefined) for (const c of r.copies) this.events.emit("enqueued", { queue: c.queue, id: c.id, status: c.status });
      else this.events.emit("enqueued", { queue: r.queue, id: r.id, status: r.status });
    }
  }

  #emitNacked(entry: Entry, action: NackOutcome["action"]): void {
    if (this.events.listenerCount("nacked") > 0) this.events.emit("nacked", { queue: entry.queue, id: entry.id, attempt: entry.attempts, action });
  }
}

/** A handler's return value as stored; one that cannot be encoded is kept as "no result" rather than failing the ack. */
function encodeResult(value: unknown, logger: Logger | undefined): Uint8Array | null {
  try {
    return encodePayload(value);
  } catch (error) {
    logger?.warn({ error: String(error) }, "a handler result could not be encoded; the completion is kept without it");
    return null;
  }
}

function assertMessageId(operation: string, id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0) throw new InvalidArgumentError(operation, "id", "must be a message id (a non-empty string)");
}
