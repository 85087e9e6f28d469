import { UnsupportedVersionError, type DeadLetter, type QueueSettings, type SnapshotData, type SnapshotSink } from "@mq/core";
import { DedupIndex, type DedupSnapshot } from "@mq/dedup";
import { DeadLetterStore, type DeadLetterSnapshot } from "@mq/dlq";
import type { LeaseManager } from "@mq/lease";
import { decodePayload, encodePayload, ownBytes } from "../payload-codec";
import { PayloadArena } from "./payload-arena";
import { dedupKey, toMessage, type Entry } from "./entry";
import { CREATE_WIDTH, GROUPED_CREATE_WIDTH, readCreate, type DedupStamp, type Op, type ReplaceFields } from "./ops";
import type { Group } from "./group";
import { QueueState, type ResolvedQueueSettings } from "./queue-state";
import { fromSnapshotItem, NO_ATTEMPTS, toSnapshotItem, type SnapshotItem } from "./snapshot-item";
import { SnapshotBlockReader, type DecodeValue } from "./snapshot-block-reader";
import { CompletedStore, type CompletedItem } from "./completed-store";
import { SCHEDULE_PREFIX, type ScheduleRecord } from "./schedule-record";

/** Prefix of schedule ids that track a message's TTL (message ids never start with it). */
export const TTL_PREFIX = "\u0000ttl:";

/** Prefix of schedule ids that wake a held-back ordering group: prefix, queue, NUL, group. */
export const GROUP_PREFIX = "\u0000grp:";

/** The schedule id that wakes group `group` of `queue` (queue names hold no control characters, so the first NUL after the prefix splits). */
export function groupWakeId(queue: string, group: string): string {
  return `${GROUP_PREFIX}${queue}\u0000${group}`;
}

/** Version of the engine's snapshot layout; recovery refuses any other. */
const SNAPSHOT_VERSION = 1;

interface SnapshotMeta {
  readonly v: typeof SNAPSHOT_VERSION;
  readonly configured: [string, QueueSettings][];
  readonly bindings: [string, string[]][];
  readonly dedup: DedupSnapshot;
  readonly deadLetters: DeadLetterSnapshot;
  /** Kept completions; absent in snapshots written before completions existed (same version: additive). */
  readonly completed?: CompletedItem[];
  /** Durable schedules; absent when there are none (same version: additive). */
  readonly schedules?: ScheduleRecord[];
  /** `throttle()` pauses still running: queue, group (null: the whole queue), until (wall ms). Absent when none (additive). */
  readonly throttles?: [string, string | null, number][];
}

/** What the state machine needs from its owner. */
export interface EngineStateContext {
  readonly leases: LeaseManager;
  settingsFor(queue: string, configured: QueueSettings | undefined): ResolvedQueueSettings;
  now(): number;
  /** A message became ready in a queue, or a group's head can start (live mode only). */
  onReady(queue: QueueState): void;
  /** A message of the queue left flight (live mode only): a `maxInFlight` slot may be free. */
  onSlotFree(queue: QueueState): void;
}

/**
 * All of the engine's state and the one place that changes it: `apply(op)`.
 * The live path and journal replay both go through `apply`, so recovery
 * rebuilds exactly what the live engine had.
 */
export class EngineState {
  readonly entries = new Map<string, Entry>();
  readonly queues = new Map<string, QueueState>();
  readonly bindings = new Map<string, Set<string>>();
  readonly configured = new Map<string, QueueSettings>();
  readonly dedup = new DedupIndex();
  readonly deadLetters: DeadLetterStore;
  readonly completed = new CompletedStore();
  readonly schedules = new Map<string, ScheduleRecord>();
  readonly #ctx: EngineStateContext;
  /** While recovering: ready entries in the order they became ready; lanes are built at the end. */
  #replayOrder: Entry[] | undefined;
  /** While recovering: one copy each for replayed payloads (views of journal read buffers), in shared slabs. */
  #replayArena: PayloadArena | undefined;
  /** While restoring: the queue of the last restored entry. */
  #restoreQueue: QueueState | undefined;
  /** Set once any grouped entry is inserted: recovery skips the pass that rebuilds groups when none ever was. */
  #sawGroup = false;
  /** While recovering: group pauses by queue and group, applied once the groups are rebuilt. */
  readonly #replayThrottles = new Map<string, Map<string, number>>();
  /** Next position in the one sequence that orders every group's messages (above every position seen). */
  nextSeq = 0;

  constructor(ctx: EngineStateContext, deadLetterLimit: number) {
    this.#ctx = ctx;
    this.deadLetters = new DeadLetterStore({ maxEntries: deadLetterLimit });
  }

  get replaying(): boolean {
    return this.#replayOrder !== undefined;
  }

  /** The queue's state, created with its settings on first use. */
  queue(name: string): QueueState {
    let q = this.queues.get(name);
    if (q === undefined) {
      q = new QueueState(name, this.#ctx.settingsFor(name, this.configured.get(name)));
      this.queues.set(name, q);
    }
    return q;
  }

  /** The settings a queue has or would have, without creating it. */
  settingsOf(name: string): ResolvedQueueSettings {
    return this.queues.get(name)?.settings ?? this.#ctx.settingsFor(name, this.configured.get(name));
  }

  /** Re-resolves every queue's settings (after options or configure ops change). */
  refreshSettings(): void {
    for (const q of this.queues.values()) q.settings = this.#ctx.settingsFor(q.name, this.configured.get(q.name));
  }

  apply(op: Op): void {
    switch (op[0]) {
      case "create":
        return this.#createRows(op, 1, CREATE_WIDTH);
      case "creates":
        return this.#createRows(op[1], 0, CREATE_WIDTH);
      case "gcreates":
        return this.#createRows(op[1], 0, GROUPED_CREATE_WIDTH);
      case "regroup":
        return this.#regroup(op[1], op[2]);
      case "throttle":
        return this.#throttle(op[1], op[2], op[3]);
      case "replace":
        return this.#replace(op[1]);
      case "lease":
        return this.#lease(op[1], op[2], op[3]);
      case "leases":
        for (let i = 0; i < op[1].length; i++) this.#lease(op[1][i]!, op[2][i]!, op[3]);
        return;
      case "ack":
        return this.#ack(op[1], op[2]);
      case "acks":
        for (const id of op[1]) this.#ack(id, op[2]);
        return;
      case "retry":
        return this.#retry(op[1], op[2]);
      case "release":
        for (let i = 0; i < op[1].length; i++) this.#release(op[1][i]!, op[2][i]!);
        return;
      case "dead":
        return this.#dead(op[1], op[2], op[3], op[4]);
      case "expire":
        return this.#expire(op[1], op[2]);
      case "revive":
        return this.#revive(op[1], op[2], op[3]);
      case "discard":
        for (const id of op[1]) {
          const entry = this.entries.get(id);
          if (entry !== undefined && entry.state !== "in-flight") this.#remove(entry, op[2]);
        }
        return;
      case "purge":
        for (const id of op[1]) this.deadLetters.remove(id);
        return;
      case "bind": {
        let set = this.bindings.get(op[1]);
        if (set === undefined) this.bindings.set(op[1], (set = new Set()));
        set.add(op[2]);
        return;
      }
      case "unbind":
        this.bindings.get(op[1])?.delete(op[2]);
        if (this.bindings.get(op[1])?.size === 0) this.bindings.delete(op[1]);
        return;
      case "configure": {
        this.configured.set(op[1], { ...this.configured.get(op[1]), ...op[2] });
        const q = this.queues.get(op[1]);
        if (q !== undefined) q.settings = this.#ctx.settingsFor(op[1], this.configured.get(op[1]));
        return;
      }
      case "limit": {
        const entry = this.entries.get(op[1]);
        if (entry === undefined) return;
        if (op[2] != null) entry.maxAttempts = op[2];
        if (op[3] != null) entry.backoff = op[3];
        return;
      }
      case "completed":
        for (let i = 0; i < op[1].length; i++) this.#complete(op[1][i]!, op[2][i] ?? null, op[3]);
        return;
      case "schedule":
        return this.#putSchedule({ ...op[1] });
      case "unschedule":
        this.schedules.delete(op[1]);
        this.#ctx.leases.unschedule(SCHEDULE_PREFIX + op[1]);
        return;
      case "fired": {
        const record = this.schedules.get(op[1]);
        // A stale frame of an earlier definition of the name (replay over a newer snapshot) changes nothing.
        if (record === undefined || record.id !== op[2]) return;
        record.lastFireAt = op[3];
        record.nextFireAt = op[4];
        this.#ctx.leases.schedule(SCHEDULE_PREFIX + record.name, op[4]);
        return;
      }
      default:
        // Written by a newer version: skipping it would silently lose or corrupt state.
        throw new UnsupportedVersionError("operation", String((op as readonly unknown[])[0]), "a journal frame holds an operation type this engine does not know");
    }
  }

  /**
   * `apply(op)` for a live `lease(s)` or `ack(s)` operation whose entries the
   * caller resolved moments ago (`entries[i]` is the entry of the op's i-th
   * id, still in `entries`): the same changes without a lookup per message.
   * Any other operation, or an entry that does not match, goes through `apply`.
   */
  applyResolved(op: Op, entries: readonly Entry[]): void {
    switch (op[0]) {
      case "leases":
        for (let i = 0; i < op[1].length; i++) {
          const entry = entries[i];
          if (entry !== undefined && entry.id === op[1][i]) this.#leaseEntry(entry, op[2][i]!, op[3]);
          else this.#lease(op[1][i]!, op[2][i]!, op[3]);
        }
        return;
      case "acks":
        for (let i = 0; i < op[1].length; i++) {
          const entry = entries[i];
          if (entry !== undefined && entry.id === op[1][i] && entry.state !== "gone") this.#ackEntry(entry, op[2]);
          else this.#ack(op[1][i]!, op[2]);
        }
        return;
      default:
        return this.apply(op);
    }
  }

  // ---- recovery ----------------------------------------------------------

  beginRecovery(): void {
    this.#replayOrder = [];
    this.#replayArena = new PayloadArena();
  }

  restore(snapshot: SnapshotData): void {
    const sink = this.beginRestore(snapshot.meta);
    sink.items(snapshot.items);
    sink.end();
  }

  /**
   * Restores a snapshot's meta now and returns the sink for its items, so the
   * journal can hand them over block by block as it decodes them.
   */
  beginRestore(snapshotMeta: unknown): SnapshotSink {
    const meta = snapshotMeta as SnapshotMeta;
    if (typeof meta !== "object" || meta === null || meta.v !== SNAPSHOT_VERSION) {
      throw new UnsupportedVersionError("snapshot version", String((meta as { v?: unknown } | null)?.v), `this engine reads version ${SNAPSHOT_VERSION}`);
    }
    for (const [name, settings] of meta.configured) this.configured.set(name, settings);
    for (const [topic, queues] of meta.bindings) this.bindings.set(topic, new Set(queues));
    this.dedup.restore(meta.dedup);
    this.deadLetters.restore(meta.deadLetters);
    if (meta.completed !== undefined) this.completed.restore(meta.completed);
    for (const record of meta.schedules ?? []) this.#putSchedule({ ...record });
    for (const [queue, group, until] of meta.throttles ?? []) this.#throttle(queue, group, until);
    const arena = this.#replayArena ?? new PayloadArena();
    const reader = new SnapshotBlockReader();
    return {
      items: (block) => this.#restoreBlock(block, arena),
      encodedItems: (bytes, start, end, decode) => this.#restoreEncoded(reader, bytes, start, end, decode),
      end: () => reader.close(),
    };
  }

  /** One block of snapshot items as stored, decoded straight into entries (see {@link SnapshotBlockReader}). */
  #restoreEncoded(reader: SnapshotBlockReader, bytes: Uint8Array, start: number, end: number, decode: DecodeValue): number {
    const count = reader.open(bytes, start, end, decode);
    const now = this.#ctx.now();
    const order = this.#replayOrder;
    for (let i = 0; i < count; i++) {
      const entry = reader.next();
      if (entry.state !== "gone") this.#restoreEntry(entry, now, order);
    }
    return count;
  }

  /**
   * One block of snapshot items into the state. The same outcome as
   * `#insert` per item, with what is the same for the whole block hoisted out
   * of the loop (a million items: the clock, the queue lookup by a freshly
   * decoded name): consecutive items almost always share their queue.
   */
  #restoreBlock(block: readonly unknown[], arena: PayloadArena): void {
    const now = this.#ctx.now();
    const order = this.#replayOrder;
    for (let i = 0; i < block.length; i++) {
      const item = block[i];
      // Adapters that do not apply encodeItem hand back the entries as objects.
      const entry = Array.isArray(item) ? fromSnapshotItem(item as SnapshotItem) : (item as Entry);
      if (entry.state === "gone") continue;
      // Decoded bytes are views into the snapshot's read buffer: keep only the payload (one copy).
      entry.payload = arena.copy(entry.payload);
      this.#restoreEntry(entry, now, order);
    }
  }

  /**
   * One restored entry into the state: the same outcome as `#insert`, with
   * the common case inlined. Restore runs once, on empty state: items are
   * unique by construction, so no lookup per item.
   */
  #restoreEntry(entry: Entry, now: number, order: Entry[] | undefined): void {
    let q = this.#restoreQueue;
    // Consecutive items almost always share their queue: no map lookup by a freshly decoded name.
    if (q === undefined || q.name !== entry.queue) q = this.#restoreQueue = this.queue(entry.queue);
    // One string per queue name, not one per message.
    entry.queue = q.name;
    if (order === undefined || entry.group !== undefined || entry.expiresAt !== undefined) {
      // Callers skip tombstones.
      this.#insert(entry, entry.state as "ready" | "delayed" | "in-flight");
      return;
    }
    // The common case, inlined: ungrouped, no TTL, while recovering (ready entries are queued at the end).
    this.entries.set(entry.id, entry);
    q.bytes += entry.payload.byteLength;
    // A snapshot may say "delayed" for a delay that has since passed (the release is not journaled).
    if (entry.state === "ready" || (entry.state === "delayed" && entry.availableAt <= now)) {
      entry.state = "ready";
      q.ready++;
      entry.replayOrder = order.length;
      order.push(entry);
    } else if (entry.state === "delayed") {
      q.delayed++;
      this.#ctx.leases.schedule(entry.id, entry.availableAt);
    } else q.inFlight++;
  }

  /**
   * Ends recovery: every lease of the previous life is void, so in-flight
   * messages become ready (their attempt already counted). Returns those that
   * have used up their attempts, for the caller to dead-letter.
   */
  finishRecovery(): Entry[] {
    const order = this.#replayOrder ?? [];
    const exhausted: Entry[] = [];
    // The gauges count in-flight entries exactly: a million queued messages with none in flight need no pass over them all.
    let inFlight = 0;
    for (const q of this.queues.values()) inFlight += q.inFlight;
    if (inFlight > 0) for (const entry of this.entries.values()) {
      if (entry.state !== "in-flight") continue;
      const q = this.queue(entry.queue);
      q.inFlight--;
      q.ready++;
      entry.state = "ready";
      entry.replayOrder = order.length;
      order.push(entry);
      if (entry.attempts >= (entry.maxAttempts ?? q.settings.maxAttempts)) exhausted.push(entry);
      else if (entry.key !== undefined) this.dedup.markPending(dedupKey(entry.queue, entry.key), entry.id);
    }
    this.#replayOrder = undefined;
    this.#replayArena = undefined;
    this.#restoreQueue = undefined;
    for (const q of this.queues.values()) q.clearLanes();
    // An entry that became ready more than once during replay is queued at its last position only.
    for (let i = 0; i < order.length; i++) {
      const entry = order[i]!;
      if (entry.state === "ready" && entry.replayOrder === i && entry.group === undefined) this.queue(entry.queue).pushReady(entry);
    }
    if (this.#sawGroup || this.#replayThrottles.size > 0) this.#rebuildGroups();
    return exhausted;
  }

  capture(): SnapshotData {
    const items: Entry[] = [];
    for (const q of this.queues.values()) q.collectReady(items);
    // Grouped entries in any state: recovery sorts each group by position, so their order here does not matter.
    for (const entry of this.entries.values()) if (entry.state === "delayed" || entry.state === "in-flight" || (entry.group !== undefined && entry.state === "ready")) items.push(entry);
    const throttles = this.#liveThrottles();
    const meta: SnapshotMeta = {
      v: SNAPSHOT_VERSION,
      configured: [...this.configured],
      bindings: [...this.bindings].map(([topic, queues]) => [topic, [...queues]]),
      dedup: this.dedup.snapshot(),
      deadLetters: this.deadLetters.snapshot(),
      ...(this.completed.size > 0 ? { completed: this.completed.snapshot() } : {}),
      ...(this.schedules.size > 0 ? { schedules: [...this.schedules.values()].map((r) => ({ ...r })) } : {}),
      ...(throttles.length > 0 ? { throttles } : {}),
    };
    return { meta, items, encodeItem: toSnapshotItem };
  }

  /** Builds the dead letter for an entry that is about to be removed. */
  deadLetterOf(entry: Entry, reason: string, error: DeadLetter["error"], at: number): DeadLetter {
    const message = toMessage(entry, decodePayload(entry.payload));
    return {
      message,
      queue: entry.queue,
      reason,
      ...(error === undefined ? {} : { error }),
      attemptTimestamps: entry.attemptTimestamps.slice(),
      deadLetteredAt: at,
    };
  }

  // ---- operations --------------------------------------------------------

  /** The messages of a create operation, its rows from `from` on; the clock and each run of one queue looked up once. */
  #createRows(fields: readonly unknown[], from: number, width: number): void {
    const now = this.#ctx.now();
    const replaying = this.#replayOrder !== undefined;
    let q: QueueState | undefined;
    for (let at = from; at < fields.length; at += width) {
      const own = readCreate(fields, at, width);
      if (this.entries.has(own.id)) continue;
      // Replayed bytes are views into a journal read buffer; live ones are already the engine's own.
      if (replaying) own.payload = this.#replayArena === undefined ? ownBytes(own.payload) : this.#replayArena.copy(own.payload);
      if (q === undefined || q.name !== own.queue) q = this.queue(own.queue);
      this.#place(q, own, own.availableAt <= now ? "ready" : "delayed", now);
      const mode = fields[at + 12] as DedupStamp["mode"] | null;
      if (own.key !== undefined && mode !== null) {
        this.dedup.accept(dedupKey(own.queue, own.key), { messageId: own.id, version: own.version, mode, now: own.enqueuedAt, windowMs: fields[at + 13] as number });
      }
      if (!replaying) q.totals.enqueued++;
    }
  }

  #insert(entry: Entry, wanted: "ready" | "delayed" | "in-flight"): void {
    this.#place(this.queue(entry.queue), entry, wanted, wanted === "delayed" ? this.#ctx.now() : 0);
  }

  /** Puts `entry` into `q` in state `wanted` (`now` is read only for "delayed"). */
  #place(q: QueueState, entry: Entry, wanted: "ready" | "delayed" | "in-flight", now: number): void {
    // A snapshot may say "delayed" for a delay that has since passed (the release is not journaled).
    const state = wanted === "delayed" && entry.availableAt <= now ? "ready" : wanted;
    entry.state = state;
    this.entries.set(entry.id, entry);
    q.bytes += entry.payload.byteLength;
    if (entry.group !== undefined) {
      this.#sawGroup = true;
      if (entry.groupSeq === undefined) entry.groupSeq = this.nextSeq;
      if (entry.groupSeq >= this.nextSeq) this.nextSeq = entry.groupSeq + 1;
      if (!this.replaying) {
        const g = q.group(entry.group);
        g.push(entry);
        g.live++;
      }
    }
    if (state === "ready") this.#makeReady(q, entry);
    else if (state === "delayed") {
      q.delayed++;
      this.#ctx.leases.schedule(entry.id, entry.availableAt);
    } else q.inFlight++;
    if (entry.expiresAt !== undefined) this.#ctx.leases.schedule(TTL_PREFIX + entry.id, entry.expiresAt);
  }

  /** Marks an entry ready and queues it (the caller has already removed it from its previous gauge). */
  #makeReady(q: QueueState, entry: Entry): void {
    entry.state = "ready";
    q.ready++;
    if (this.#replayOrder !== undefined) {
      entry.replayOrder = this.#replayOrder.length;
      this.#replayOrder.push(entry);
      return;
    }
    if (entry.group === undefined) {
      q.pushReady(entry);
      this.#ctx.onReady(q);
      return;
    }
    const g = q.groups.get(entry.group);
    if (g !== undefined && q.offer(g)) this.#ctx.onReady(q);
  }

  #replace(f: ReplaceFields): void {
    const entry = this.entries.get(f.id);
    if (entry === undefined || entry.state === "gone") return;
    const q = this.queue(entry.queue);
    q.bytes += f.payload.byteLength - entry.payload.byteLength;
    entry.payload = this.replaying ? ownBytes(f.payload) : f.payload;
    entry.version = f.version;
    if (f.headers !== undefined) entry.headers = f.headers;
    if (f.expiresAt !== entry.expiresAt && f.expiresAt !== undefined) {
      entry.expiresAt = f.expiresAt;
      this.#ctx.leases.schedule(TTL_PREFIX + entry.id, f.expiresAt);
    }
    if (entry.key !== undefined) {
      this.dedup.accept(dedupKey(entry.queue, entry.key), { messageId: entry.id, version: f.version, mode: "replace", now: f.at, windowMs: 0 });
    }
    if (!this.replaying) q.totals.replaced++;
  }

  /** Delivery: the entry is in flight with its attempt counted (the live path already took it off its lane). */
  #lease(id: string, attempts: number, at: number): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) this.#leaseEntry(entry, attempts, at);
  }

  #leaseEntry(entry: Entry, attempts: number, at: number): void {
    if (entry.state === "gone") return;
    const id = entry.id;
    const q = this.queue(entry.queue);
    if (entry.state === "ready") {
      q.ready--;
    } else if (entry.state === "delayed") {
      q.delayed--;
      this.#ctx.leases.unschedule(id);
    } else q.inFlight--;
    entry.state = "in-flight";
    q.inFlight++;
    if (entry.attempts < attempts) {
      entry.attempts = attempts;
      // Restored entries share one frozen empty history until their first attempt.
      if (entry.attemptTimestamps === NO_ATTEMPTS) entry.attemptTimestamps = [at];
      else entry.attemptTimestamps.push(at);
    }
    if (entry.key !== undefined) this.dedup.markInFlight(dedupKey(entry.queue, entry.key), id);
    if (!this.replaying) q.totals.delivered++;
  }

  #ack(id: string, at: number): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) this.#ackEntry(entry, at);
  }

  #ackEntry(entry: Entry, at: number): void {
    this.#remove(entry, at);
    if (!this.replaying) this.queue(entry.queue).totals.acked++;
  }

  /** Back to the queue after a failed attempt: ready now, or delayed until `availableAt`. */
  #putSchedule(record: ScheduleRecord): void {
    this.schedules.set(record.name, record);
    this.#ctx.leases.schedule(SCHEDULE_PREFIX + record.name, record.nextFireAt);
  }

  /** A completion to keep; the queue's message itself is removed by the ack in the same frame. */
  #complete(id: string, result: Uint8Array | null, at: number): void {
    const entry = this.entries.get(id);
    // Replay after the ack (or over a snapshot taken after it): the queue is known from the kept record, or unknown and skipped.
    const queue = entry?.queue;
    if (queue === undefined) return;
    const keep = this.settingsOf(queue).keepCompleted;
    if (keep === undefined) return;
    this.completed.add({ id, queue, result: result === null ? null : this.replaying ? ownBytes(result) : result, at }, keep);
  }

  #retry(id: string, availableAt: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.state === "gone") return;
    const q = this.queue(entry.queue);
    this.#leaveGauge(q, entry);
    entry.availableAt = availableAt;
    if (entry.key !== undefined) this.dedup.markPending(dedupKey(entry.queue, entry.key), id);
    if (availableAt <= this.#ctx.now()) this.#makeReady(q, entry);
    else {
      entry.state = "delayed";
      q.delayed++;
      this.#ctx.leases.schedule(id, availableAt);
    }
    if (!this.replaying) q.totals.retried++;
  }

  /** A delivery handed back unstarted: ready again with its attempt count restored (absolute, so replay is idempotent). */
  #release(id: string, attempts: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.state === "gone") return;
    const q = this.queue(entry.queue);
    this.#leaveGauge(q, entry);
    while (entry.attemptTimestamps.length > attempts) entry.attemptTimestamps.pop();
    entry.attempts = attempts;
    if (entry.key !== undefined) this.dedup.markPending(dedupKey(entry.queue, entry.key), id);
    this.#makeReady(q, entry);
  }

  /** In-memory only: a lease ran out, so the message is ready again (its attempt was already counted). */
  requeueExpiredLease(entry: Entry): void {
    const q = this.queue(entry.queue);
    q.inFlight--;
    if (entry.key !== undefined) this.dedup.markPending(dedupKey(entry.queue, entry.key), entry.id);
    this.#makeReady(q, entry);
    this.#ctx.onSlotFree(q);
  }

  /** In-memory only: a delay elapsed. */
  releaseDelayed(entry: Entry): void {
    const q = this.queue(entry.queue);
    q.delayed--;
    this.#makeReady(q, entry);
  }

  #dead(id: string, reason: string, error: DeadLetter["error"], at: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    const letter = this.deadLetterOf(entry, reason, error, at);
    this.#remove(entry, at);
    this.deadLetters.add(letter);
    if (!this.replaying) this.queue(entry.queue).totals.deadLettered++;
  }

  #expire(id: string, at: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.#remove(entry, at);
    if (!this.replaying) this.queue(entry.queue).totals.expired++;
  }

  #revive(ids: readonly string[], at: number, targetQueue: string | undefined): void {
    for (const id of ids) {
      if (this.entries.has(id)) continue;
      for (const message of this.deadLetters.take(id)) {
        const entry: Entry = {
          id: message.id,
          queue: targetQueue ?? message.queue,
          payload: encodePayload(message.payload),
          key: message.key,
          version: message.version,
          priority: message.priority,
          enqueuedAt: message.enqueuedAt,
          availableAt: at,
          expiresAt: undefined,
          attempts: 0,
          attemptTimestamps: [],
          correlationId: message.correlationId,
          causationId: message.causationId,
          headers: message.headers === undefined ? undefined : { ...message.headers },
          state: "ready",
          replayOrder: 0,
          // A replayed message joins the back of its group (position from the sequence, above every one seen).
          ...(message.group === undefined ? {} : { group: message.group }),
        };
        this.#insert(entry, "ready");
      }
    }
  }

  #leaveGauge(q: QueueState, entry: Entry): void {
    if (entry.state === "ready") {
      q.ready--;
    } else if (entry.state === "delayed") {
      q.delayed--;
      this.#ctx.leases.unschedule(entry.id);
    } else if (entry.state === "in-flight") {
      q.inFlight--;
      if (!this.replaying) this.#ctx.onSlotFree(q);
    }
  }

  #remove(entry: Entry, at: number): void {
    const q = this.queue(entry.queue);
    this.#leaveGauge(q, entry);
    entry.state = "gone";
    q.bytes -= entry.payload.byteLength;
    this.entries.delete(entry.id);
    this.#ctx.leases.releaseId(entry.id);
    if (entry.expiresAt !== undefined) this.#ctx.leases.unschedule(TTL_PREFIX + entry.id);
    if (entry.key !== undefined) this.dedup.release(dedupKey(entry.queue, entry.key), entry.id, at);
    if (entry.group !== undefined && !this.replaying) this.#leaveGroup(q, entry.group);
  }

  // ---- ordering groups ---------------------------------------------------

  /** A message of the group was removed: drop the group when it was the last, else offer the (maybe new) head. */
  #leaveGroup(q: QueueState, name: string): void {
    const g = q.groups.get(name);
    if (g === undefined) return;
    if (--g.live <= 0) {
      q.groups.delete(name);
      if (g.throttledUntil > 0 || g.parkedUntil > 0) this.#ctx.leases.unschedule(groupWakeId(q.name, name));
      return;
    }
    if (q.offer(g)) this.#ctx.onReady(q);
  }

  /** A failed head goes behind the rest of its group (`groupOnFailure: "skip"`); `seq` is its new position. */
  #regroup(id: string, seq: number): void {
    const entry = this.entries.get(id);
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    if (entry === undefined || entry.state === "gone" || entry.group === undefined) return;
    entry.groupSeq = seq;
    if (this.replaying) return;
    const q = this.queue(entry.queue);
    const g = q.groups.get(entry.group);
    if (g === undefined) return;
    g.moveToBack(entry);
    if (q.offer(g)) this.#ctx.onReady(q);
  }

  /** `throttle()`: no starts for the queue (group null) or the group until `until`. */
  #throttle(queue: string, group: string | null, until: number): void {
    const q = this.queue(queue);
    if (!this.replaying) q.throttleCounts.backOff++;
    if (group === null) {
      q.throttledUntil = until;
      return;
    }
    if (this.replaying) {
      let byGroup = this.#replayThrottles.get(queue);
      if (byGroup === undefined) this.#replayThrottles.set(queue, (byGroup = new Map<string, number>()));
      byGroup.set(group, until);
      return;
    }
    const g = q.groups.get(group);
    if (g === undefined) return;
    g.throttledUntil = until;
    this.#ctx.leases.schedule(groupWakeId(queue, group), until);
  }

  /** End of recovery: every group's messages sorted by position, pauses put back, heads offered oldest group first. */
  #rebuildGroups(): void {
    const members = new Map<QueueState, Map<string, Entry[]>>();
    for (const entry of this.entries.values()) {
      if (entry.group === undefined || entry.state === "gone") continue;
      const q = this.queue(entry.queue);
      let byGroup = members.get(q);
      if (byGroup === undefined) members.set(q, (byGroup = new Map<string, Entry[]>()));
      let list = byGroup.get(entry.group);
      if (list === undefined) byGroup.set(entry.group, (list = []));
      list.push(entry);
    }
    const now = this.#ctx.now();
    for (const [q, byGroup] of members) {
      const groups: Group[] = [];
      for (const [name, list] of byGroup) {
        list.sort((a, b) => (a.groupSeq ?? 0) - (b.groupSeq ?? 0));
        const g = q.group(name);
        for (const entry of list) g.push(entry);
        g.live = list.length;
        const until = this.#replayThrottles.get(q.name)?.get(name);
        if (until !== undefined && until > now) {
          g.throttledUntil = until;
          this.#ctx.leases.schedule(groupWakeId(q.name, name), until);
        }
        groups.push(g);
      }
      groups.sort((a, b) => (a.head?.groupSeq ?? 0) - (b.head?.groupSeq ?? 0));
      for (const g of groups) q.offer(g);
    }
    this.#replayThrottles.clear();
  }

  /** Pauses still running, for the snapshot. */
  #liveThrottles(): [string, string | null, number][] {
    const now = this.#ctx.now();
    const out: [string, string | null, number][] = [];
    for (const q of this.queues.values()) {
      if (q.throttledUntil > now) out.push([q.name, null, q.throttledUntil]);
      for (const g of q.groups.values()) if (g.throttledUntil > now) out.push([q.name, g.name, g.throttledUntil]);
    }
    return out;
  }
}
