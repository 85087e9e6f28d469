import {
  AbortedError,
  ConnectionError,
  createIdGenerator,
  HostClosedError,
  InvalidArgumentError,
  LeaseLostError,
  MqError,
  PayloadTooLargeError,
  QueueFullError,
  toMqError,
  VersionConflictError,
  type AckOptions,
  type BackendCapabilities,
  type BackendEvents,
  type CompletedMessage,
  type DeadLetterApi,
  type Delivery,
  type EnqueueItem,
  type EnqueueResult,
  type Message,
  type MessageInfo,
  type NackOptions,
  type NackOutcome,
  type QueueBackend,
  type QueueSettings,
  type QueueStats,
  type RateLimit,
  type ReceiveOptions,
  type ScheduleInfo,
  type ScheduleSpec,
  assertKnownKeys,
  NACK_OPTION_KEYS,
  RECEIVE_OPTION_KEYS,
} from "@mq/core";
import { randomUUID } from "node:crypto";
import calculateSlot from "cluster-key-slot";
import { EventEmitter } from "eventemitter3";
import { Cluster, Redis } from "ioredis";
import { CallBatcher } from "./call-batcher";
import { encodePayload } from "./codec";
import { describeTarget, reconnectDelay } from "./connect";
import { itemArgs, receiptArgs, rowArgs, unique, validateItem, type Row } from "./enqueue-args";
import { createRedisDeadLetterApi } from "./dead-letters";
import { list, num, str, toMessage, type Reply } from "./decode";
import { encodeReceipt, KeySpace, parseReceipt, type ParsedReceipt } from "./keys";
import type { RedisBackendOptions } from "./options";
import { RedisJobs } from "./jobs";
import { ScheduleRunner } from "./schedule-runner";
import { Scheduler } from "./scheduler";
import { commandOf, OPERATION_SCRIPTS } from "./operation-scripts";
import { decodeSettings, encodeLimit, validateQueueSettings } from "./settings-schema";
import { assertArray, assertDuration, assertName, assertPositiveInt } from "./validate";

/** Most messages one receive may lease. */
export const MAX_RECEIVE_BATCH = 10_000;

type Client = Redis | Cluster;


type Status = "new" | "open" | "closing" | "closed";

/**
 * A {@link QueueBackend} on Redis through ioredis: every state change is one
 * atomic Lua script call, every key of a queue shares one hash slot, and lease
 * deadlines come from Redis `TIME`. Many processes may share the same queues.
 */
export class RedisBackend implements QueueBackend {
  readonly contractVersion = 1 as const;
  /** Ordering groups (`group` on enqueue, `groupOnFailure`, `stats().groups`), `maxInFlight`, `throttle`, and `rateLimit`/`groupRateLimit` (`stats().throttled`). */
  readonly capabilities: BackendCapabilities = { groups: true, maxInFlight: true, throttle: true, rateLimits: true };
  readonly events: EventEmitter<BackendEvents> = new EventEmitter<BackendEvents>();
  readonly deadLetters: DeadLetterApi;
  readonly keys: KeySpace;
  readonly #options: RedisBackendOptions;
  readonly #newId = createIdGenerator();
  #client!: Client;
  #sub!: Client;
  #calls!: CallBatcher;
  /** Operation → the client method that runs its script. */
  readonly #commands = new Map<string, string>();
  #ownsClient = false;
  #cluster = false;
  #status: Status = "new";
  #available = true;
  readonly #target: string;
  readonly #knownQueues = new Set<string>();
  /** Per-queue count of ready wake-ups, so a wake-up racing an empty receive is not missed. */
  readonly #readyGen = new Map<string, number>();
  readonly #readyWaiters = new Map<string, Set<() => void>>();
  #spaceWaiters: (() => void)[] = [];
  /** Receipts this process holds, for close({ drain }). */
  readonly #held = new Map<string, number>();
  #scheduler!: Scheduler;
  #runner!: ScheduleRunner;
  /** Names this backend in the scripts' announcements, so it skips its own, and in the queues' idle lists. */
  readonly #origin = randomUUID().replace(/-/g, "");
  /** Where wake-ups meant for this backend alone arrive (it waited on an empty queue; see `notify` in the script). */
  readonly #ownChannel: string;
  /** ARGV[1] of every script call: whether wake-ups may go to one idle consumer, origin, channel (`<0|1>|<origin>|<channel>`). */
  #scriptHead = "";
  /** Receives in progress per queue, so a wake-up meant for this backend is passed on when none will lease. */
  readonly #receiving = new Map<string, number>();
  readonly #jobs: RedisJobs;
  readonly #ignore = (): void => undefined;
  readonly #lost = (): void => this.#onConnectionLost();
  readonly #back = (): void => this.#onConnectionBack();
  readonly #subscriberBack = (): void => this.#onSubscriberBack();

  constructor(options: RedisBackendOptions) {
    if (typeof options !== "object" || options === null || (options.client === undefined && options.connection === undefined)) {
      throw new InvalidArgumentError("redis", "options", "give `connection` (a redis URL, ioredis options or { cluster: nodes }) or `client`");
    }
    this.#options = options;
    const prefix = options.prefix ?? "mq";
    if (typeof prefix !== "string" || prefix.length === 0 || prefix.length > 100) throw new InvalidArgumentError("redis", "prefix", "must be a string of 1–100 characters");
    for (const [name, value, min] of [
      ["sweepIntervalMs", options.sweepIntervalMs, 10],
      ["sweepBatch", options.sweepBatch, 1],
      ["commandTimeoutMs", options.commandTimeoutMs, 1],
      ["maxRetriesPerRequest", options.maxRetriesPerRequest, 0],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < min || value > 2 ** 31 - 1)) throw new InvalidArgumentError("redis", name, `must be an integer ≥ ${min}, got ${String(value)}`);
    }
    this.keys = new KeySpace(prefix);
    this.#ownChannel = `${this.keys.readyChannel}:${this.#origin}`;
    this.#target = describeTarget(options);
    this.deadLetters = createRedisDeadLetterApi({
      keys: this.keys,
      assertOpen: (op) => this.#assertOpen(op),
      call: (keys, args) => this.#call(keys, args),
      queues: () => this.queues(),
      sameSlot: (a, b) => this.#slotOf(a) === this.#slotOf(b),
      register: (queue) => this.#register(queue),
    });
    this.#jobs = new RedisJobs({
      keys: this.keys,
      origin: this.#origin,
      events: this.events,
      client: () => this.#client,
      assertOpen: (op) => this.#assertOpen(op),
      call: (keys, args) => this.#call(keys, args),
      check: (reply, receipts) => this.#check(reply, receipts, []),
      parseReceipt: (receipt, op) => this.#parseOne(receipt, op),
      register: (queue) => this.#register(queue),
      bySlot: (items, baseOf) => this.#bySlot(items, baseOf),
      guard: (p) => this.#guard(p),
      newId: () => this.#newId(),
      noteDue: (due) => this.#scheduler.noteDue(due),
      noteScheduleDue: (at) => this.#runner.noteDue(at),
      afterRemoval: () => this.#afterRemoval(),
      reportError: (error) => this.#reportError(error),
    });
  }

  /**
   * False while Redis is unreachable (a `ConnectionError` was emitted as an `error` event); true
   * again once the connection is back or a command gets a reply (the scheduler's sweeps send one
   * every `sweepIntervalMs`).
   */
  get available(): boolean {
    return this.#available;
  }

  /** The ioredis client the backend sends commands on. */
  get client(): Client {
    return this.#client;
  }

  async open(): Promise<void> {
    if (this.#status === "open") return;
    if (this.#status !== "new") throw new HostClosedError("redis", `cannot open from state ${this.#status}; create a new backend`);
    const o = this.#options;
    // No ioredis auto-pipelining: CallBatcher coalesces the script calls of one tick without waiting on earlier replies.
    const timeouts = { commandTimeout: o.commandTimeoutMs ?? 10_000, maxRetriesPerRequest: o.maxRetriesPerRequest ?? 2 };
    if (o.client !== undefined) this.#client = o.client;
    else {
      this.#ownsClient = true;
      const c = o.connection!;
      if (typeof c === "object" && "cluster" in c) {
        this.#client = new Cluster([...c.cluster], { ...c.options, redisOptions: { ...timeouts, ...c.options?.redisOptions } });
      } else if (typeof c === "string") this.#client = new Redis(c, { ...timeouts, retryStrategy: reconnectDelay });
      else this.#client = new Redis({ ...timeouts, retryStrategy: reconnectDelay, ...c });
    }
    this.#cluster = this.#client instanceof Cluster;
    if (this.#cluster && o.replication !== undefined) {
      if (this.#ownsClient) this.#client.disconnect();
      this.#status = "closed";
      throw new InvalidArgumentError("redis", "replication", "WAIT for replicas is only supported on a standalone Redis (on Cluster it would have to reach each slot's primary)");
    }
    if (o.replication !== undefined && (!Number.isInteger(o.replication.replicas) || o.replication.replicas < 1)) {
      if (this.#ownsClient) this.#client.disconnect();
      this.#status = "closed";
      throw new InvalidArgumentError("redis", "replication.replicas", "must be an integer ≥ 1");
    }
    for (const [operation, lua] of OPERATION_SCRIPTS) {
      this.#client.defineCommand(commandOf(operation), { lua });
      // The Buffer variant where replies carry binary payloads; the text one (no Buffer per reply element) for enqueues.
      this.#commands.set(operation, TEXT_REPLIES.has(operation) ? commandOf(operation) : `${commandOf(operation)}Buffer`);
    }
    // One pipeline stays in one slot: on Cluster every call goes alone.
    this.#calls = new CallBatcher(this.#client, !this.#cluster);
    // On Cluster PUBLISH counts only the node's own subscribers, so the script cannot tell a gone consumer: wake all.
    this.#scriptHead = `${this.#cluster ? "0" : "1"}|${this.#origin}|${this.keys.readyChannel}`;
    this.#client.on("error", this.#ignore); // reported through close/ready below
    this.#client.on("close", this.#lost);
    this.#client.on("ready", this.#back);
    // The subscriber waits out outages (its resubscribe after a reconnect must never time out).
    this.#sub = this.#client instanceof Cluster ? this.#client.duplicate(undefined, { redisOptions: { maxRetriesPerRequest: null } }) : this.#client.duplicate({ maxRetriesPerRequest: null });
    this.#sub.on("error", () => undefined);
    this.#sub.on("message", (channel: string, message: string) => {
      if (channel === this.#ownChannel) this.#onDirectedReady(message);
      else if (channel === this.keys.readyChannel) {
        const queue = this.keys.queueOf(message);
        if (queue !== undefined) this.#onReady(queue);
      }
    });
    try {
      // Ping first: it fails within the retry bound when Redis is down, where the subscribe would wait.
      await this.#client.ping();
      await this.#sub.subscribe(this.keys.readyChannel, this.#ownChannel);
      this.#sub.on("ready", this.#subscriberBack);
    } catch (error) {
      this.#status = "closed";
      this.#sub.disconnect();
      if (this.#ownsClient) this.#client.disconnect();
      throw this.#wrap(error, "open");
    }
    this.#scheduler = new Scheduler({
      intervalMs: o.sweepIntervalMs ?? 1_000,
      queues: () => this.#guard(this.#client.smembers(this.keys.queuesKey)),
      tick: (queue) => this.#tick(queue),
      onError: (error) => this.#reportError(error),
    });
    this.#sub.on("message", (channel: string, message: string) => {
      if (channel === this.keys.readyChannel) this.#jobs.onAnnouncement(message);
    });
    // Which queues keep completions (acks send results only for those); the runner re-reads it anyway.
    await this.#jobs.loadKept().catch(() => undefined);
    this.#runner = new ScheduleRunner({
      intervalMs: o.sweepIntervalMs ?? 1_000,
      batch: 100,
      due: () => this.#jobs.due(100),
      fire: (due, now) => this.#jobs.fire(due, now),
      onError: (error) => this.#reportError(error),
    });
    this.#status = "open";
    this.#scheduler.start();
    this.#runner.start();
  }

  async close(options: { readonly drain?: boolean } = {}): Promise<void> {
    if (this.#status === "closed" || this.#status === "closing") return;
    if (this.#status === "new") {
      this.#status = "closed";
      return;
    }
    this.#status = "closing";
    if (options.drain === true) await this.#drained();
    this.#scheduler.stop();
    this.#runner.stop();
    for (const set of this.#readyWaiters.values()) for (const wake of set) wake();
    for (const wake of this.#spaceWaiters) wake();
    this.#spaceWaiters = [];
    this.#status = "closed";
    this.#sub.off("ready", this.#subscriberBack);
    this.#sub.disconnect();
    // A client the caller owns outlives this backend: leave no listeners on it.
    this.#client.off("close", this.#lost).off("ready", this.#back);
    if (!this.#ownsClient) this.#client.off("error", this.#ignore);
    if (this.#ownsClient) await this.#client.quit().catch(() => this.#client.disconnect());
  }

  async enqueue(items: readonly EnqueueItem[], options: { readonly signal?: AbortSignal; readonly waitIfFull?: boolean } = {}): Promise<EnqueueResult[]> {
    this.#assertOpen("enqueue");
    assertArray("enqueue", "items", items);
    for (const item of items) validateItem(item);
    const encoded = items.map((item) => ({ item, payload: encodePayload(item.payload) }));
    for (;;) {
      this.#assertOpen("enqueue");
      try {
        const { rows, shape } = await this.#expand(encoded);
        const results = this.#assemble(items, shape, rows.length === 0 ? [] : await this.#runEnqueue(rows));
        this.#emitEnqueued(results);
        return results;
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
    const signal = options.signal;
    if (signal?.aborted === true) throw new AbortedError("receive", signal.reason);
    this.#receiving.set(queue, (this.#receiving.get(queue) ?? 0) + 1);
    try {
      return await this.#receive(queue, options.max, options.leaseMs, waitMs, signal);
    } finally {
      const n = this.#receiving.get(queue)! - 1;
      if (n === 0) this.#receiving.delete(queue);
      else this.#receiving.set(queue, n);
    }
  }

  async #receive(queue: string, max: number, leaseMs: number, waitMs: number, signal: AbortSignal | undefined): Promise<Delivery[]> {
    if (!this.#knownQueues.has(queue)) await this.#register(queue);
    await this.#runner.catchUp();
    const deadline = performance.now() + waitMs;
    for (;;) {
      const gen = this.#readyGen.get(queue) ?? 0;
      const { deliveries: got, retryInMs } = await this.#lease(queue, max, leaseMs);
      if (got.length > 0) return got;
      const left = deadline - performance.now();
      if (left <= 0) return got;
      if ((this.#readyGen.get(queue) ?? 0) !== gen) continue;
      // Held back by a limit (rate limit, throttle pause): look again when it lets a start through, not before.
      await this.#waitForReady(queue, retryInMs === undefined ? left : Math.min(left, retryInMs), signal);
      this.#assertOpen("receive");
      if (isAborted(signal)) throw new AbortedError("receive", signal?.reason);
    }
  }

  async ack(receipts: readonly string[], publish: readonly EnqueueItem[] = [], options?: AckOptions): Promise<void> {
    this.#assertOpen("ack");
    assertArray("ack", "receipts", receipts);
    assertArray("ack", "publish", publish);
    const parsed = this.#parseAll([...new Set(receipts)], "ack");
    const kept = this.#jobs.encodeResults(receipts, parsed, options);
    for (const item of publish) validateItem(item);
    const { rows, shape } = publish.length === 0 ? { rows: [] as Row[], shape: [] as string[][] } : await this.#expand(publish.map((item) => ({ item, payload: encodePayload(item.payload) })));
    const bases = [...parsed.map((r) => this.keys.base(r.queue)), ...rows.map((r) => r.base)];
    let results: Reply[] = [];
    if (this.#oneSlot(bases)) {
      const keys = unique(bases);
      const reply = await this.#call(keys, ["ack", String(parsed.length), ...receiptArgs(parsed, keys, this.keys), ...this.#jobs.resultArgs(parsed, kept), ...rowArgs(rows, keys)]);
      const ok = this.#check(reply, parsed, rows);
      results = list(ok[1]);
      this.#scheduler.noteDue(num(ok[2]));
      this.#emitEvents(list(ok[3]));
      this.#jobs.emitCompleted(list(ok[3]), kept, parsed);
    } else {
      // Cross-slot on Cluster: every slot is checked first (receipts current,
      // room, versions), then the publish is applied, then the acks; a change
      // racing in between can fail a later step, leaving published copies (a
      // duplicate at worst, never a loss).
      const receiptGroups = this.#bySlot(parsed, (r) => this.keys.base(r.queue));
      for (const group of receiptGroups) {
        const keys = unique(group.map((r) => this.keys.base(r.queue)));
        this.#check(await this.#call(keys, ["check", String(group.length), ...receiptArgs(group, keys, this.keys)]), group, []);
      }
      if (rows.length > 0) results = await this.#runEnqueue(rows);
      for (const group of receiptGroups) {
        const keys = unique(group.map((r) => this.keys.base(r.queue)));
        const reply = await this.#call(keys, ["ack", String(group.length), ...receiptArgs(group, keys, this.keys), ...this.#jobs.resultArgs(group, kept)]);
        const ok = this.#check(reply, group, []);
        this.#emitEvents(list(ok[3]));
        this.#jobs.emitCompleted(list(ok[3]), kept, group);
      }
    }
    for (const r of parsed) this.#held.delete(r.receipt);
    if (publish.length > 0) this.#emitEnqueued(this.#assemble(publish, shape, results));
    this.#afterRemoval();
  }

  async nack(receipt: string, options: NackOptions = {}): Promise<NackOutcome> {
    this.#assertOpen("nack");
    const r = this.#parseOne(receipt, "nack");
    assertKnownKeys("nack", "options", options, NACK_OPTION_KEYS);
    const delayMs = options.delayMs ?? 0;
    assertDuration("nack", "delayMs", delayMs);
    if (options.maxAttempts !== undefined) assertPositiveInt("nack", "maxAttempts", options.maxAttempts, Number.MAX_SAFE_INTEGER);
    const base = this.keys.base(r.queue);
    const reply = await this.#call(
      [base],
      ["nack", r.id, r.token, String(Math.ceil(delayMs)), options.maxAttempts === undefined ? "" : String(options.maxAttempts), options.deadLetter === true ? "1" : "0", options.reason === undefined ? "" : JSON.stringify(options.reason)],
    );
    const ok = this.#check(reply, [r], []);
    this.#held.delete(r.receipt);
    const action = str(ok[1]) as NackOutcome["action"];
    const attempts = num(ok[2]) ?? 0;
    const availableAt = num(ok[3]);
    if (this.events.listenerCount("nacked") > 0) this.events.emit("nacked", { queue: r.queue, id: r.id, attempt: attempts, action });
    this.#emitEvents(list(ok[4]));
    this.#scheduler.noteDue(num(ok[5]));
    if (action === "dead-lettered") this.#afterRemoval();
    return availableAt === undefined ? { action, attempts } : { action, attempts, availableAt };
  }

  async extend(receipt: string, leaseMs: number): Promise<void> {
    this.#assertOpen("extend");
    assertDuration("extend", "leaseMs", leaseMs, { min: 1, timer: true });
    const r = this.#parseOne(receipt, "extend");
    const reply = await this.#call([this.keys.base(r.queue)], ["extend", r.id, r.token, String(Math.ceil(leaseMs))]);
    this.#check(reply, [r], []);
    this.#held.set(r.receipt, performance.now() + leaseMs);
  }

  async release(receipts: readonly string[]): Promise<void> {
    this.#assertOpen("release");
    assertArray("release", "receipts", receipts);
    const parsed = this.#parseAll([...new Set(receipts)], "release");
    if (parsed.length === 0) return;
    for (const group of this.#bySlot(parsed, (r) => this.keys.base(r.queue))) {
      const keys = unique(group.map((r) => this.keys.base(r.queue)));
      const reply = await this.#call(keys, ["release", String(group.length), ...receiptArgs(group, keys, this.keys)]);
      this.#check(reply, group, []);
    }
    for (const r of parsed) this.#held.delete(r.receipt);
  }

  async configureQueue(queue: string, settings: QueueSettings): Promise<void> {
    this.#assertOpen("configureQueue");
    assertName("configureQueue", "queue", queue);
    const { keepCompleted, ...valid } = validateQueueSettings(settings, `queues.${queue}`);
    await this.#register(queue);
    // The schema admits only scalars and limits besides keepCompleted; null removes one (maxInFlight: null).
    const fields = Object.entries(valid)
      .filter(([, v]) => v !== undefined && v !== null)
      .flatMap(([k, v]) => [k, typeof v === "object" ? encodeLimit(v as RateLimit) : String(v as string | number)]);
    const removed = Object.entries(valid).filter(([, v]) => v === null).map(([k]) => k);
    if (fields.length > 0) await this.#guard(this.#client.hset(`${this.keys.base(queue)}:c`, ...fields));
    if (removed.length > 0) await this.#guard(this.#client.hdel(`${this.keys.base(queue)}:c`, ...removed));
    // A changed cap or limit may let waiting receives lease: wake them (in every process) to look again.
    if (valid.maxInFlight !== undefined || valid.rateLimit !== undefined || valid.groupRateLimit !== undefined) await this.#guard(this.#client.publish(this.keys.readyChannel, this.keys.base(queue)));
    if (keepCompleted !== undefined) await this.#jobs.configureKeep(queue, keepCompleted);
    await this.#replicated();
  }

  /** Where message `id` of `queue` is: ready, delayed, in flight (with progress), completed (with result), dead-lettered or unknown. */
  getMessage(queue: string, id: string): Promise<MessageInfo> {
    return this.#jobs.getMessage(queue, id);
  }

  /** Removes a ready or delayed message; `MessageInFlightError` while leased, `NotFoundError` when absent. */
  cancel(queue: string, id: string): Promise<void> {
    return this.#jobs.cancel(queue, id);
  }

  /** Removes every ready and delayed message of `queue` (in batches of 1,000 per script call); in-flight ones finish. */
  purge(queue: string): Promise<number> {
    return this.#jobs.purge(queue);
  }

  /** Up to `limit` ready messages in delivery order, without leasing them. */
  peek(queue: string, limit: number): Promise<Message[]> {
    return this.#jobs.peek(queue, limit);
  }

  /** Keeps `value` on a running delivery's message (field of its hash until it settles) and emits `progress` here. */
  progress(receipt: string, value: unknown): Promise<void> {
    return this.#jobs.progress(receipt, value);
  }

  /** The kept completion of message `id` on a queue with `keepCompleted`, or undefined. */
  completion(id: string): Promise<CompletedMessage | undefined> {
    return this.#jobs.completion(id);
  }

  /** Creates or replaces a durable schedule; any process sharing the Redis fires it, once per fire time. */
  schedule(name: string, spec: ScheduleSpec): Promise<ScheduleInfo> {
    return this.#jobs.schedule(name, spec);
  }

  /** Removes schedule `name`; false when there was none. */
  unschedule(name: string): Promise<boolean> {
    return this.#jobs.unschedule(name);
  }

  /** Every stored schedule with its next and last fire time, by name. */
  schedules(): Promise<ScheduleInfo[]> {
    return this.#jobs.schedules();
  }

  /**
   * Backs off without failing: the delivery is ready again with its attempt
   * unused, and its ordering group (or, ungrouped, its whole queue) starts
   * nothing for `ms` (stored in Redis, so every process and a restart keep it).
   */
  throttle(receipt: string, ms: number): Promise<void> {
    return this.#jobs.throttle(receipt, ms);
  }

  /** Queues bound to `topic`, sorted. */
  bindings(topic: string): Promise<string[]> {
    return this.#jobs.bindings(topic);
  }

  async bind(topic: string, queue: string): Promise<void> {
    this.#assertOpen("bind");
    assertName("bind", "topic", topic);
    assertName("bind", "queue", queue);
    await this.#register(queue);
    await this.#guard(this.#client.sadd(this.keys.bindingKey(topic), queue));
    await this.#replicated();
  }

  async unbind(topic: string, queue: string): Promise<void> {
    this.#assertOpen("unbind");
    assertName("unbind", "topic", topic);
    assertName("unbind", "queue", queue);
    await this.#guard(this.#client.srem(this.keys.bindingKey(topic), queue));
    await this.#replicated();
  }

  async stats(queue?: string): Promise<QueueStats> {
    this.#assertOpen("stats");
    if (queue !== undefined && queue !== "*") {
      assertName("stats", "queue", queue);
      return this.#queueStats(queue);
    }
    const all = await Promise.all((await this.queues()).map((q) => this.#queueStats(q)));
    const sum = (pick: (s: QueueStats) => number): number => all.reduce((n, s) => n + pick(s), 0);
    const totals = {} as Record<keyof QueueStats["totals"], number>;
    for (const key of TOTALS) totals[key] = sum((s) => s.totals[key]);
    return {
      queue: "*",
      ready: sum((s) => s.ready),
      delayed: sum((s) => s.delayed),
      inFlight: sum((s) => s.inFlight),
      deadLettered: sum((s) => s.deadLettered),
      bytes: sum((s) => s.bytes),
      capacity: sum((s) => s.capacity),
      maxBytes: sum((s) => s.maxBytes),
      throttled: {
        rateLimit: sum((s) => s.throttled?.rateLimit ?? 0),
        groupRateLimit: sum((s) => s.throttled?.groupRateLimit ?? 0),
        maxInFlight: sum((s) => s.throttled?.maxInFlight ?? 0),
        backOff: sum((s) => s.throttled?.backOff ?? 0),
      },
      totals,
    };
  }

  async queues(): Promise<string[]> {
    this.#assertOpen("queues");
    return (await this.#guard(this.#client.smembers(this.keys.queuesKey))).sort();
  }

  // ---- internals ---------------------------------------------------------

  #assertOpen(operation: string): void {
    if (this.#status !== "open") throw new HostClosedError("redis", this.#status === "new" ? "not started" : this.#status === "closing" ? "closing" : "closed");
    void operation;
  }

  /** Runs the script of the operation `args[0]` with `keys` (sent with the other calls of this tick, without waiting on earlier replies); connection trouble becomes `ConnectionError`. */
  async #call(keys: readonly string[], args: readonly (string | Buffer)[]): Promise<Reply> {
    const command = this.#commands.get(args[0] as string);
    if (command === undefined) throw new Error(`mq redis: no script for operation ${String(args[0])}`);
    const reply = await this.#guard<Reply>(this.#calls.call(command, [keys.length, ...keys, this.#scriptHead, ...args]));
    if (this.#options.replication !== undefined && !READ_ONLY.has(args[0] as string)) await this.#replicated();
    return reply;
  }

  async #replicated(): Promise<void> {
    const replication = this.#options.replication;
    if (replication !== undefined) await this.#waitForReplicas(replication.replicas, replication.timeoutMs ?? 1_000);
  }

  /** WAIT on the same connection covers every write sent on it before, this call's included. */
  async #waitForReplicas(replicas: number, timeoutMs: number): Promise<void> {
    const acked = await this.#guard((this.#client as Redis).wait(replicas, timeoutMs));
    if (acked < replicas) throw new ConnectionError(this.#target, `only ${acked} of ${replicas} replicas acknowledged the change within ${timeoutMs} ms; it is applied on the primary but a failover may lose it`);
  }

  async #guard<T>(p: Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await p;
    } catch (error) {
      throw this.#wrap(error, "command");
    }
    // A reply proves Redis is reachable. An outage can be flagged with no reconnect to end it: a
    // command that timed out on a connection that never dropped (Redis stalled), or one that timed
    // out just after the connection was already back. The next reply ends it.
    if (!this.#available) this.#onConnectionBack();
    return value;
  }

  #wrap(error: unknown, context: string): MqError {
    if (MqError.isInstance(error)) return error;
    const e = error as { name?: string; message?: string };
    if (e?.name === "ReplyError") return toMqError(error, `redis ${context} failed`);
    const wrapped = new ConnectionError(this.#target, e?.message ?? String(error), { cause: error });
    this.#reportError(wrapped);
    return wrapped;
  }

  /** Turns a script's `{ 'E', { code, ... } }` reply into the matching MqError. */
  #check(reply: Reply, receipts: readonly ParsedReceipt[], rows: readonly Row[]): Reply[] {
    const r = list(reply);
    if (str(r[0]) === "OK") return r;
    const e = list(r[1]).map((x) => str(x) ?? "");
    const queueOf = (base: string): string => this.keys.queueOf(base) ?? rows.find((row) => row.base === base)?.queue ?? base;
    switch (e[0]) {
      case "LEASE_LOST": {
        const bad = receipts[Number(e[1]) - 1];
        if (bad !== undefined) this.#held.delete(bad.receipt);
        throw new LeaseLostError(bad?.receipt ?? "?");
      }
      case "QUEUE_FULL":
        throw new QueueFullError(queueOf(e[1]!), e[2] as "messages" | "bytes", Number(e[3]));
      case "PAYLOAD_TOO_LARGE":
        throw new PayloadTooLargeError(queueOf(e[1]!), Number(e[2]), Number(e[3]));
      case "VERSION_CONFLICT":
        throw new VersionConflictError(e[1]!, Number(e[2]), Number(e[3]));
      default:
        throw toMqError(new Error(`unexpected script reply ${JSON.stringify(e)}`), "redis script");
    }
  }

  #parseOne(receipt: string, operation: string): ParsedReceipt {
    const r = parseReceipt(receipt, operation);
    if (r === undefined) throw new LeaseLostError(String(receipt), "not a receipt this backend issued");
    return r;
  }

  #parseAll(receipts: readonly string[], operation: string): ParsedReceipt[] {
    return receipts.map((r) => this.#parseOne(r, operation));
  }

  #slotOf(base: string): number {
    return this.#cluster ? calculateSlot(base) : 0;
  }

  #oneSlot(bases: readonly string[]): boolean {
    if (!this.#cluster || bases.length === 0) return true;
    const first = this.#slotOf(bases[0]!);
    return bases.every((b) => this.#slotOf(b) === first);
  }

  #bySlot<T>(items: readonly T[], baseOf: (t: T) => string): T[][] {
    const groups = new Map<number, T[]>();
    for (const t of items) {
      const slot = this.#slotOf(baseOf(t));
      let g = groups.get(slot);
      if (g === undefined) groups.set(slot, (g = []));
      g.push(t);
    }
    return [...groups.values()];
  }

  /** Adds a queue to the shared registry once per process (queues() and the scheduler read it). */
  async #register(queue: string): Promise<void> {
    if (this.#knownQueues.has(queue)) return;
    await this.#guard(this.#client.sadd(this.keys.queuesKey, queue));
    this.#knownQueues.add(queue);
  }

  /** Items to rows (topics resolved to their bound queues now), and how to fold results back. */
  async #expand(encoded: readonly { item: EnqueueItem; payload: Buffer }[]): Promise<{ rows: Row[]; shape: string[][] }> {
    const rows: Row[] = [];
    const shape: string[][] = [];
    const topics = new Map<string, string[]>();
    for (const { item } of encoded) {
      if (item.topic !== undefined && !topics.has(item.topic)) topics.set(item.topic, (await this.#guard(this.#client.smembers(this.keys.bindingKey(item.topic)))).sort());
    }
    for (const { item, payload } of encoded) {
      const queues = item.topic !== undefined ? topics.get(item.topic)! : [item.queue];
      shape.push(queues);
      for (const queue of queues) {
        if (!this.#knownQueues.has(queue)) await this.#register(queue); // known: no await on the hot path
        rows.push({ queue, base: this.keys.base(queue), args: itemArgs(this.#newId(), item, payload), plain: item.key === undefined && item.group === undefined });
      }
    }
    return { rows, shape };
  }

  /** Enqueues rows: one atomic call when they share a slot (always, on a single node); per slot on Cluster. */
  async #runEnqueue(rows: readonly Row[]): Promise<Reply[]> {
    if (rows.length === 1) return this.#enqueueInSlot(rows);
    const groups = this.#oneSlot(rows.map((r) => r.base)) ? [rows.map((_, i) => i)] : this.#bySlot(rows.map((_, i) => i), (i) => rows[i]!.base);
    const results: Reply[] = new Array<Reply>(rows.length);
    if (groups.length > 1) {
      // Cluster, several slots: check every slot before applying any (see README, "What crosses slots").
      for (const group of groups) {
        const part = group.map((i) => rows[i]!);
        const keys = unique(part.map((r) => r.base));
        this.#check(await this.#call(keys, ["check", "0", ...rowArgs(part, keys)]), [], part);
      }
    }
    for (const group of groups) {
      const got = await this.#enqueueInSlot(group.map((i) => rows[i]!));
      group.forEach((i, k) => (results[i] = got[k]!));
    }
    return results;
  }

  /** One enqueue call for rows of one slot; a lone plain row takes the shorter `enqueue_one` script. */
  async #enqueueInSlot(part: readonly Row[]): Promise<Reply[]> {
    const lone = part.length === 1;
    const keys = lone ? [part[0]!.base] : unique(part.map((r) => r.base));
    const ok = this.#check(await this.#call(keys, [lone && part[0]!.plain ? "enqueue_one" : "enqueue", ...rowArgs(part, keys)]), [], part);
    this.#scheduler.noteDue(num(ok[2]));
    return list(ok[1]);
  }

  #assemble(items: readonly EnqueueItem[], shape: readonly string[][], flat: readonly Reply[]): EnqueueResult[] {
    const out: EnqueueResult[] = [];
    let k = 0;
    const one = (queue: string): EnqueueResult => {
      const r = list(flat[k++]);
      return { id: str(r[1]) ?? "", queue, status: str(r[0]) as EnqueueResult["status"], version: num(r[2]) ?? 1 };
    };
    items.forEach((item, i) => {
      if (item.topic === undefined) out.push(one(item.queue));
      else {
        const copies = shape[i]!.map((queue) => one(queue));
        out.push({ id: copies[0]?.id ?? "", queue: item.topic, status: "created", version: 1, copies });
      }
    });
    return out;
  }

  /** Leases up to `max`; `retryInMs` says when a limit that held starts back lets one through. */
  async #lease(queue: string, max: number, leaseMs: number): Promise<{ deliveries: Delivery[]; retryInMs: number | undefined }> {
    const base = this.keys.base(queue);
    const reply = await this.#call([base], ["lease", String(max), String(Math.ceil(leaseMs))]);
    const r = this.#check(reply, [], []);
    const leaseExpiresAt = num(r[1]) ?? 0;
    this.#emitEvents(list(r[2]));
    const deliveries = list(r[3]).map((d): Delivery => {
      const row = list(d);
      const id = str(row[0])!;
      const message = toMessage(queue, id, list(row[2]));
      return { message, receipt: encodeReceipt(queue, id, str(row[1])!), attempt: message.attempts, leaseExpiresAt };
    });
    const localEnd = performance.now() + leaseMs;
    for (const d of deliveries) this.#held.set(d.receipt, localEnd);
    // Receipts a caller never settles would otherwise stay here for good.
    if (this.#held.size > 10_000) this.#pruneHeld();
    if (deliveries.length > 0) this.#scheduler.noteDue(leaseExpiresAt);
    // A group head held back by its groupRateLimit waits as a delayed message until then.
    this.#scheduler.noteDue(num(r[4]));
    if (this.events.listenerCount("delivered") > 0) {
      for (const d of deliveries) this.events.emit("delivered", { queue, id: d.message.id, attempt: d.attempt, enqueuedAt: d.message.enqueuedAt });
    }
    return { deliveries, retryInMs: num(r[5]) };
  }

  async #tick(queue: string): Promise<{ due: number | undefined; now: number | undefined }> {
    const reply = await this.#call([this.keys.base(queue)], ["tick", String(this.#options.sweepBatch ?? 1_000)]);
    const r = this.#check(reply, [], []);
    const events = list(r[1]);
    this.#emitEvents(events);
    if (events.length > 0) this.#afterRemoval();
    // Messages are ready: say so again. A pub/sub wake-up can be lost (Redis keeps none for a
    // subscriber that is reconnecting, e.g. a Cluster subscriber moving to another node), and a
    // consumer that saw its queue empty would otherwise wait for the next enqueue; this bounds
    // that wait by one sweep interval.
    if ((num(r[4]) ?? 0) > 0 && this.#status === "open") this.#onReady(queue);
    return { due: num(r[2]), now: num(r[3]) };
  }

  async #queueStats(queue: string): Promise<QueueStats> {
    const reply = list(await this.#call([this.keys.base(queue)], ["stats"]));
    const h = list(reply[0]);
    const s: Record<string, number> = {};
    for (let i = 0; i < h.length; i += 2) s[str(h[i])!] = Number(str(h[i + 1]));
    const totals = {} as Record<keyof QueueStats["totals"], number>;
    for (const key of TOTALS) totals[key] = s[key] ?? 0;
    const [gReady, gBlocked, gActive, gThrottled] = list(reply[7]).map((x) => num(x) ?? 0);
    return {
      queue,
      // Messages waiting behind their ordering group's head count as ready.
      ready: (num(reply[1]) ?? 0) + (s.w ?? 0),
      delayed: num(reply[2]) ?? 0,
      inFlight: num(reply[3]) ?? 0,
      deadLettered: num(reply[4]) ?? 0,
      bytes: s.b ?? 0,
      capacity: num(reply[5]) ?? 0,
      maxBytes: num(reply[6]) ?? 0,
      groups: { ready: gReady ?? 0, blocked: gBlocked ?? 0, active: gActive ?? 0, throttled: gThrottled ?? 0 },
      throttled: { rateLimit: s.thrRateLimit ?? 0, groupRateLimit: s.thrGroupRateLimit ?? 0, maxInFlight: s.thrMaxInFlight ?? 0, backOff: s.backOff ?? 0 },
      settings: decodeSettings(list(reply[8]).map((x) => str(x) ?? "")),
      totals,
    };
  }

  /** Events a script reports as `{ kind, base, id, extra }`. */
  #emitEvents(events: readonly Reply[]): void {
    for (const e of events) {
      const [kind, base, id, extra] = list(e).map((x) => str(x) ?? "");
      const queue = this.keys.queueOf(base!) ?? base!;
      switch (kind) {
        case "acked":
          this.events.emit("acked", { queue, id: id! });
          break;
        case "expired":
          this.events.emit("expired", { queue, id: id! });
          break;
        case "deadLettered":
          this.events.emit("deadLettered", { queue, id: id!, reason: extra! });
          break;
        case "leaseExpired":
          this.events.emit("leaseExpired", { queue, id: id!, attempt: Number(extra) });
          break;
      }
    }
  }

  #emitEnqueued(results: readonly EnqueueResult[]): void {
    if (this.events.listenerCount("enqueued") === 0) return;
    for (const r of results) {
      if (r.copies !== undefined) for (const c of r.copies) this.events.emit("enqueued", { queue: c.queue, id: c.id, status: c.status });
      else this.events.emit("enqueued", { queue: r.queue, id: r.id, status: r.status });
    }
  }

  #onReady(queue: string): void {
    this.#readyGen.set(queue, (this.#readyGen.get(queue) ?? 0) + 1);
    const waiters = this.#readyWaiters.get(queue);
    if (waiters !== undefined) {
      this.#readyWaiters.delete(queue);
      for (const wake of waiters) wake();
    }
    if (this.events.listenerCount("ready") > 0) this.events.emit("ready", queue);
  }

  /**
   * A wake-up for this backend alone: its last lease of the queue found nothing, and Redis picked it
   * (of the consumers waiting) for a message that became ready. If nothing here leases now (the
   * handler was paused, stopped or is full, or a long poll ended), every subscriber is woken instead,
   * so the message does not wait for the next sweep.
   */
  #onDirectedReady(base: string): void {
    const queue = this.keys.queueOf(base);
    if (queue === undefined) return;
    const waiting = (this.#readyWaiters.get(queue)?.size ?? 0) > 0;
    this.#onReady(queue);
    if (this.#status === "open" && (waiting || this.#receiving.has(queue))) return;
    this.#client.publish(this.keys.readyChannel, base).catch(() => undefined); // unreachable: the sweep after the outage wakes everyone
  }

  #waitForReady(queue: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#readyWaiters.get(queue);
      if (set === undefined) this.#readyWaiters.set(queue, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#readyWaiters.get(queue)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      signal?.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  #afterRemoval(): void {
    if (this.#spaceWaiters.length === 0) return;
    const wake = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const w of wake) w();
  }

  /** Waits for this process to free room, or 100 ms (room freed by other processes is not signalled). */
  #waitForSpace(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(new AbortedError("enqueue", signal.reason));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        this.#spaceWaiters = this.#spaceWaiters.filter((w) => w !== wake);
        reject(new AbortedError("enqueue", signal?.reason));
      };
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const timer = setTimeout(wake, 100);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#spaceWaiters.push(wake);
    });
  }

  #pruneHeld(): void {
    const now = performance.now();
    for (const [receipt, end] of this.#held) if (end <= now) this.#held.delete(receipt);
  }

  async #drained(): Promise<void> {
    for (;;) {
      this.#pruneHeld();
      if (this.#held.size === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  #reportError(error: MqError): void {
    if (error.code === "MQ_CONNECTION") {
      if (!this.#available) return; // one report per outage
      this.#available = false;
    }
    if (this.events.listenerCount("error") > 0) this.events.emit("error", error);
  }

  #onConnectionLost(): void {
    if (this.#status !== "open") return;
    this.#reportError(new ConnectionError(this.#target, "connection lost; reconnecting (receives fail until it is back)"));
  }

  /**
   * The subscriber connection is back. Redis kept no wake-up published while
   * it was away (the command connection may have been back sooner, so
   * enqueues went through meanwhile): once it is subscribed again (this
   * SUBSCRIBE is answered after ioredis's own resubscribe), every queue this
   * process serves looks again.
   */
  #onSubscriberBack(): void {
    if (this.#status !== "open") return;
    this.#sub.subscribe(this.keys.readyChannel, this.#ownChannel).then(
      () => {
        if (this.#status !== "open") return;
        for (const q of this.#knownQueues) this.#onReady(q);
      },
      () => undefined, // it went away again: its next "ready" retries
    );
  }

  #onConnectionBack(): void {
    if (this.#available || this.#status !== "open") return;
    this.#available = true;
    // Handlers stopped taking work during the outage; wake every queue this process serves.
    for (const q of this.#knownQueues) this.#onReady(q);
    this.#scheduler.poke();
  }
}

/** Operations whose replies hold no payload (statuses, ids, numbers). */
const TEXT_REPLIES = new Set(["enqueue", "enqueue_one"]);
/** Script operations that change nothing (no WAIT after them); `tick` only redoes work a failover would redo. */
const READ_ONLY = new Set(["stats", "dlpage", "dlget", "dlcount", "check", "tick", "info", "peek", "cfind", "slist", "sdue"]);

const TOTALS = ["enqueued", "replaced", "duplicates", "delivered", "acked", "retried", "deadLettered", "expired"] as const;

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

