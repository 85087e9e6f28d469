import {
  assertScheduleName,
  assertValidPayload,
  InvalidArgumentError,
  MessageInFlightError,
  MQ_ERROR_CODES,
  NotFoundError,
  toMqError,
  type AckOptions,
  type BackendEvents,
  type CompletedMessage,
  type EnqueueResult,
  type ErrorInfo,
  type KeepCompleted,
  type MqError,
  type Message,
  type MessageInfo,
  type ScheduleInfo,
  type ScheduleSpec,
} from "@mq/core";
import type { EventEmitter } from "eventemitter3";
import type { Cluster, Redis } from "ioredis";
import { decodePayload, encodePayload } from "./codec";
import { list, num, str, toMessage, type Reply } from "./decode";
import { itemArgs } from "./enqueue-args";
import type { KeySpace, ParsedReceipt } from "./keys";
import { buildSchedule, planFire, toScheduleInfo, type ScheduleDefinition } from "@mq/schedule";
import { SCHEDULE_OPTION_CHECKS } from "./schedule-option-checks";
import type { DueSchedule } from "./schedule-runner";
import { assertDuration, assertName, assertPositiveInt } from "./validate";

/** Default bound on kept completions per queue when `keepCompleted` gives no `count` (as in @mq/host). */
export const DEFAULT_KEEP_COMPLETED_COUNT = 1_000;
/** Ready and delayed messages one purge call removes before it yields Redis to other clients. */
const PURGE_BATCH = 1_000;
/** Most messages one peek returns (as a receive). */
const PEEK_MAX = 10_000;

/** What the job features need from the backend. */
export interface JobsDeps {
  readonly keys: KeySpace;
  /** This backend's id in announcements, so it ignores its own. */
  readonly origin: string;
  readonly events: EventEmitter<BackendEvents>;
  client(): Redis | Cluster;
  assertOpen(operation: string): void;
  call(keys: readonly string[], args: readonly (string | Buffer)[]): Promise<Reply>;
  /** Turns an error reply into its MqError (LEASE_LOST names one of `receipts`). */
  check(reply: Reply, receipts: readonly ParsedReceipt[]): Reply[];
  parseReceipt(receipt: string, operation: string): ParsedReceipt;
  register(queue: string): Promise<void>;
  bySlot<T>(items: readonly T[], baseOf: (t: T) => string): T[][];
  guard<T>(p: Promise<T>): Promise<T>;
  newId(): string;
  /** A delayed message is due at this Redis time (the sweeper should look then). */
  noteDue(due: number | undefined): void;
  /** A schedule is due at this Redis time. */
  noteScheduleDue(at: number): void;
  afterRemoval(): void;
  reportError(error: MqError): void;
}

/**
 * Lookup, cancel, purge, peek, progress, kept completions and durable
 * schedules of {@link RedisBackend}, each an atomic script call (see
 * jobs-script.ts for the keys they use).
 */
export class RedisJobs {
  readonly #d: JobsDeps;
  /**
   * Queues that keep completions, as this process knows them: loaded at open,
   * updated at once by configureQueue here and by its announcement elsewhere,
   * and re-read at every schedule look-up. An ack encodes and sends handler
   * results only for these queues, so the others pay nothing for results.
   */
  readonly #kept = new Set<string>();

  constructor(deps: JobsDeps) {
    this.#d = deps;
  }

  async getMessage(queue: string, id: string): Promise<MessageInfo> {
    this.#d.assertOpen("getMessage");
    assertName("getMessage", "queue", queue);
    assertMessageId("getMessage", id);
    const r = list(await this.#d.call([this.#d.keys.base(queue)], ["info", id]));
    const kind = str(r[0]);
    if (kind === "m") {
      const f = list(r[2]);
      const message = toMessage(queue, id, f);
      const st = str(r[1]);
      const err = str(f[12]);
      const lastError = err === undefined || err === "" ? undefined : (JSON.parse(err) as ErrorInfo);
      const base = { id, queue, attempts: message.attempts, enqueuedAt: message.enqueuedAt, ...(lastError === undefined ? {} : { lastError }), message };
      if (st === "x") return { ...base, state: "dead-lettered", deadLetterReason: str(f[11]) ?? "rejected" };
      const progress = r[3];
      return {
        ...base,
        // "w": waiting behind its ordering group's head, which is pending too.
        state: st === "r" || st === "w" ? "ready" : st === "d" ? "delayed" : "in-flight",
        ...(message.availableAt === undefined ? {} : { availableAt: message.availableAt }),
        ...(Buffer.isBuffer(progress) && progress.length > 0 ? { progress: decodePayload(progress) } : {}),
      };
    }
    if (kind === "c") return { id, queue, state: "completed", attempts: 0, completedAt: num(r[1]) ?? 0, result: decodeResult(r[2]) };
    return { id, queue, state: "unknown", attempts: 0 };
  }

  async cancel(queue: string, id: string): Promise<void> {
    this.#d.assertOpen("cancel");
    assertName("cancel", "queue", queue);
    assertMessageId("cancel", id);
    const r = list(await this.#d.call([this.#d.keys.base(queue)], ["cancel", id]));
    if (str(r[0]) === "E") {
      const code = str(list(r[1])[0]);
      if (code === "IN_FLIGHT") throw new MessageInFlightError(queue, id);
      if (code === "NOT_FOUND") throw new NotFoundError("pending message", id, `queue "${queue}" holds no ready or delayed message with this id (it may have completed, been dead-lettered or cancelled already)`);
      this.#d.check(r, []);
    }
    this.#d.afterRemoval();
  }

  async purge(queue: string): Promise<number> {
    this.#d.assertOpen("purge");
    assertName("purge", "queue", queue);
    let total = 0;
    for (;;) {
      const n = num(await this.#d.call([this.#d.keys.base(queue)], ["purge", String(PURGE_BATCH)])) ?? 0;
      total += n;
      if (n < PURGE_BATCH) break;
    }
    if (total > 0) this.#d.afterRemoval();
    return total;
  }

  async peek(queue: string, limit: number): Promise<Message[]> {
    this.#d.assertOpen("peek");
    assertName("peek", "queue", queue);
    assertPositiveInt("peek", "limit", limit, PEEK_MAX);
    const rows = list(await this.#d.call([this.#d.keys.base(queue)], ["peek", String(limit)]));
    return rows.map((row) => {
      const [id, f] = list(row);
      return toMessage(queue, str(id)!, list(f));
    });
  }

  async progress(receipt: string, value: unknown): Promise<void> {
    this.#d.assertOpen("progress");
    const r = this.#d.parseReceipt(receipt, "progress");
    assertValidPayload(value);
    const reply = await this.#d.call([this.#d.keys.base(r.queue)], ["progress", r.id, r.token, encodePayload(value)]);
    this.#d.check(reply, [r]);
    if (this.#d.events.listenerCount("progress") > 0) this.#d.events.emit("progress", { queue: r.queue, id: r.id, value });
  }

  /** Backs a delivery's group (or its whole queue when ungrouped) off for `ms`, handing the delivery back unstarted. */
  async throttle(receipt: string, ms: number): Promise<void> {
    this.#d.assertOpen("throttle");
    const r = this.#d.parseReceipt(receipt, "throttle");
    assertDuration("throttle", "ms", ms, { timer: true });
    const reply = await this.#d.call([this.#d.keys.base(r.queue)], ["throttle", r.id, r.token, String(Math.ceil(ms))]);
    const ok = this.#d.check(reply, [r]);
    this.#d.noteDue(num(ok[1]));
  }

  /** Looks in every queue that keeps completions: one script call per hash slot (one on a single node). */
  async completion(id: string): Promise<CompletedMessage | undefined> {
    this.#d.assertOpen("completion");
    assertMessageId("completion", id);
    const queues = (await this.#d.guard(this.#d.client().smembers(this.#d.keys.keptKey))).sort();
    for (const group of this.#d.bySlot(queues, (q) => this.#d.keys.base(q))) {
      const r = list(await this.#d.call(group.map((q) => this.#d.keys.base(q)), ["cfind", id]));
      if (r.length === 0) continue;
      const queue = group[(num(r[0]) ?? 1) - 1]!;
      return { id, queue, completedAt: num(r[1]) ?? 0, result: decodeResult(r[2]) };
    }
    return undefined;
  }

  async bindings(topic: string): Promise<string[]> {
    this.#d.assertOpen("bindings");
    assertName("bindings", "topic", topic);
    return (await this.#d.guard(this.#d.client().smembers(this.#d.keys.bindingKey(topic)))).sort();
  }

  /** Reads the queues that keep completions (at open). */
  async loadKept(): Promise<void> {
    for (const q of await this.#d.guard(this.#d.client().smembers(this.#d.keys.keptKey))) this.#kept.add(q);
  }

  /** Writes a queue's `keepCompleted` (the script reads `kcCount` and `kcAge` from its settings hash). */
  async configureKeep(queue: string, keep: KeepCompleted): Promise<void> {
    this.#kept.add(queue);
    const c = this.#d.client();
    const settings = `${this.#d.keys.base(queue)}:c`;
    await this.#d.guard(c.hset(settings, "kcCount", String(keep.count ?? DEFAULT_KEEP_COMPLETED_COUNT)));
    if (keep.ageMs === undefined) await this.#d.guard(c.hdel(settings, "kcAge"));
    else await this.#d.guard(c.hset(settings, "kcAge", String(Math.ceil(keep.ageMs))));
    await this.#d.guard(c.sadd(this.#d.keys.keptKey, queue));
    // Other processes start sending results for this queue now rather than at their next look-up.
    await this.#d.guard(c.publish(this.#d.keys.readyChannel, `~${JSON.stringify({ k: "kc", q: queue })}`));
  }

  /** Ack arguments for handler results: a count (0, or one per receipt), then the encoded results. */
  resultArgs(group: readonly ParsedReceipt[], results: ReadonlyMap<string, Buffer> | undefined): (string | Buffer)[] {
    if (results === undefined) return ["0"];
    return [String(group.length), ...group.map((r) => results.get(r.receipt) ?? "")];
  }

  /** Encoded results by receipt, for receipts of queues that keep completions; undefined when there is none to send. */
  encodeResults(receipts: readonly string[], parsed: readonly ParsedReceipt[], options: AckOptions | undefined): Map<string, Buffer> | undefined {
    const results = options?.results;
    if (results === undefined || this.#kept.size === 0) return undefined;
    if (!Array.isArray(results)) throw new InvalidArgumentError("ack", "options.results", "must be an array with one result per receipt");
    if (!parsed.some((r) => this.#kept.has(r.queue))) return undefined;
    const queueOf = new Map(parsed.map((r) => [r.receipt, r.queue]));
    const out = new Map<string, Buffer>();
    receipts.forEach((receipt, i) => {
      const value: unknown = results[i];
      if (value === undefined || out.has(receipt) || !this.#kept.has(queueOf.get(receipt) ?? "")) return;
      try {
        out.set(receipt, encodePayload(value));
      } catch {
        // A result that cannot be encoded is kept as "no result" rather than failing the ack (as in @mq/host).
      }
    });
    return out;
  }

  /** `completed` events of an ack reply, with the results this process passed. */
  emitCompleted(events: readonly Reply[], results: ReadonlyMap<string, Buffer> | undefined, group: readonly ParsedReceipt[]): void {
    if (this.#d.events.listenerCount("completed") === 0) return;
    for (const e of events) {
      const [kind, base, id] = list(e).map((x) => str(x) ?? "");
      if (kind !== "completed") continue;
      const receipt = group.find((r) => r.id === id)?.receipt;
      const bytes = receipt === undefined ? undefined : results?.get(receipt);
      this.#d.events.emit("completed", { queue: this.#d.keys.queueOf(base!) ?? base!, id: id!, result: bytes === undefined ? undefined : decodePayload(bytes) });
    }
  }

  /**
   * An announcement from a script (a `~` + JSON message on the ready
   * channel): a completion or dead letter on a queue that keeps completions,
   * made by another process. It becomes this backend's event too, so
   * `waitForResult` works whichever process ran the handler.
   */
  onAnnouncement(message: string): void {
    if (!message.startsWith("~")) return;
    let a: { k?: string; o?: string; b?: string; i?: string | string[]; r?: string; q?: string };
    try {
      a = JSON.parse(message.slice(1)) as typeof a;
    } catch {
      return;
    }
    if (a.k === "kc" && typeof a.q === "string") {
      this.#kept.add(a.q);
      return;
    }
    if (a.o === this.#d.origin || a.b === undefined || a.i === undefined) return;
    const queue = this.#d.keys.queueOf(a.b);
    if (queue === undefined) return;
    // A dead letter names one id; completions of one ack call come as a list.
    const ids = Array.isArray(a.i) ? a.i : [a.i];
    if (a.k === "d" && this.#d.events.listenerCount("deadLettered") > 0) this.#d.events.emit("deadLettered", { queue, id: ids[0]!, reason: a.r ?? "rejected" });
    if (a.k === "c" && this.#d.events.listenerCount("completed") > 0) {
      for (const id of ids) {
        this.getMessage(queue, id).then(
          (info) => {
            if (info.state === "completed") this.#d.events.emit("completed", { queue, id, result: info.result });
          },
          () => undefined, // closed or unreachable meanwhile: a waiter's own lookup or timeout covers it
        );
      }
    }
  }

  // ---- schedules ----------------------------------------------------------

  async schedule(name: string, spec: ScheduleSpec): Promise<ScheduleInfo> {
    this.#d.assertOpen("schedule");
    const now = await this.#redisNow();
    // The fire state lives in its own keys: store the definition alone.
    const { nextFireAt, ...record } = buildSchedule(name, spec, this.#d.newId(), now, SCHEDULE_OPTION_CHECKS);
    const reply = await this.#d.call([this.#d.keys.globalBase], ["sput", name, record.id, encodePayload(record), String(nextFireAt)]);
    this.#d.check(reply, []);
    this.#d.noteScheduleDue(nextFireAt);
    return toScheduleInfo({ ...record, nextFireAt });
  }

  async unschedule(name: string): Promise<boolean> {
    this.#d.assertOpen("unschedule");
    assertScheduleName("unschedule", name);
    return (num(await this.#d.call([this.#d.keys.globalBase], ["sdel", name])) ?? 0) > 0;
  }

  async schedules(): Promise<ScheduleInfo[]> {
    this.#d.assertOpen("schedules");
    const [defs, due, last] = list(await this.#d.call([this.#d.keys.globalBase], ["slist"])).map(list);
    const next = pairs(due!);
    const lastAt = pairs(last!);
    const out: ScheduleInfo[] = [];
    const d = defs!;
    for (let i = 0; i < d.length; i += 2) {
      const name = str(d[i])!;
      const at = next.get(name);
      if (at === undefined) continue;
      const l = lastAt.get(name);
      out.push(toScheduleInfo({ ...decodePayload<ScheduleDefinition>(d[i + 1] as Buffer), nextFireAt: Number(at), ...(l === undefined ? {} : { lastFireAt: Number(l) }) }));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The runner's look-up: due schedules, Redis time and the earliest next fire. */
  async due(batch: number): Promise<{ now: number; due: DueSchedule[]; next: number | undefined }> {
    // Piggybacks the re-read of the kept queues (an announcement missed during an outage is caught here).
    const [reply] = await Promise.all([this.#d.call([this.#d.keys.globalBase], ["sdue", String(batch)]), this.loadKept()]);
    const r = list(reply);
    const due = list(r[1]).map((row): DueSchedule => {
      const f = list(row);
      return { name: str(f[0])!, nextFireAt: Number(str(f[1])), id: str(f[2]) ?? "", record: f[3] as Buffer };
    });
    return { now: num(r[0]) ?? Date.now(), due, next: num(r[2]) };
  }

  /**
   * Enqueues a due schedule's fires (marked in the queue's slot, so never
   * twice), then moves its next fire time on with a compare-and-set. A fire
   * the queue refuses (full, payload too large) is skipped, as on the
   * embedded engine; a connection failure leaves the schedule due for a retry.
   */
  async fire(due: DueSchedule, now: number): Promise<void> {
    if (!Buffer.isBuffer(due.record) || due.record.length === 0) return;
    const record = decodePayload<ScheduleDefinition>(due.record);
    if (record.id !== due.id) return; // replaced meanwhile
    const plan = planFire({ ...record, nextFireAt: due.nextFireAt }, now);
    if (plan.items.length > 0) {
      try {
        await this.#d.register(record.queue);
        const rows = plan.items.flatMap((item) => ["1", ...itemArgs(this.#d.newId(), item, encodePayload(item.payload))]);
        const reply = await this.#d.call([this.#d.keys.base(record.queue)], ["fire", record.name, record.id, String(plan.last), ...rows]);
        const ok = this.#d.check(reply, []);
        this.#d.noteDue(num(ok[2]));
        this.#emitEnqueued(record.queue, list(ok[1]));
      } catch (error) {
        const e = toMqError(error, `schedule "${record.name}" could not enqueue`);
        if (!SKIPPABLE.has(e.code)) throw e;
        this.#d.reportError(e);
      }
    }
    await this.#d.call([this.#d.keys.globalBase], ["sadv", record.name, record.id, String(due.nextFireAt), String(plan.last), plan.next === undefined ? "" : String(plan.next)]);
    if (plan.next !== undefined) this.#d.noteScheduleDue(plan.next);
  }

  #emitEnqueued(queue: string, results: readonly Reply[]): void {
    if (this.#d.events.listenerCount("enqueued") === 0) return;
    for (const r of results) {
      const [status, id] = list(r).map((x) => str(x) ?? "");
      this.#d.events.emit("enqueued", { queue, id: id!, status: status as EnqueueResult["status"] });
    }
  }

  async #redisNow(): Promise<number> {
    const [sec, usec] = await this.#d.guard(this.#d.client().time());
    return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  }
}

/** Refusals of the queue that skip one fire rather than stall the schedule. */
const SKIPPABLE: ReadonlySet<string> = new Set([MQ_ERROR_CODES.QUEUE_FULL, MQ_ERROR_CODES.PAYLOAD_TOO_LARGE, MQ_ERROR_CODES.INVALID_ARGUMENT, MQ_ERROR_CODES.INVALID_PAYLOAD, MQ_ERROR_CODES.VERSION_CONFLICT]);

function decodeResult(r: Reply | undefined): unknown {
  return Buffer.isBuffer(r) && r.length > 0 ? decodePayload(r) : undefined;
}

function pairs(flat: readonly Reply[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) m.set(str(flat[i])!, str(flat[i + 1])!);
  return m;
}

function assertMessageId(operation: string, id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0 || id.length > 200) throw new InvalidArgumentError(operation, "id", "must be a message id (a non-empty string)");
}

