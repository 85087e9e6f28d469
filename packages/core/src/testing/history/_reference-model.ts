import type { Ev, EvDeadLetter, EvDelivered, EvEnqueueResult, EvInput, EvItem } from "./events";

/**
 * A small in-memory queue that behaves as the contract says (leases, replace
 * and drop dedup, priorities, delays, TTL, retries, DLQ, ack+publish, crashes
 * that void leases) and logs the history a harness would log. The checker's
 * self-tests drive it to get clean histories. Internal: test support only.
 */

/** How an operation ends: settled ok, definite failure, or indeterminate (applied or not; by an error or a crash). */
export type ModelOutcome = "ok" | "fail" | "info-applied" | "info-dropped" | "crash-applied" | "crash-dropped";

export interface ModelItem {
  readonly key?: string | undefined;
  readonly prio?: number | undefined;
  readonly delayMs?: number | undefined;
  readonly ttlMs?: number | undefined;
  readonly queue?: string | undefined;
}

interface Msg {
  readonly id: string;
  readonly queue: string;
  readonly key?: string;
  tok: string;
  version: number;
  readonly prio: number;
  readonly seq: number;
  availableAt: bigint;
  readonly expiresAt?: bigint;
  attempts: number;
  state: "ready" | "inflight" | "acked" | "dlq" | "expired";
  lease?: { receipt: string; end: bigint; consumer: string };
}

export interface ModelOptions {
  readonly maxRetries?: number;
  readonly dedupWindowMs?: number;
  /** Queues using drop-mode dedup (the rest replace). */
  readonly dropQueues?: readonly string[];
  /**
   * What a crash may forget: nothing (`always`/`batch`), writes of the last
   * `intervalMs` (`interval`, as on power loss), or anything since any earlier
   * point (`none`: memory only, snapshots at unknown times).
   */
  /** Deliberate bugs, to show the checker catches them. */
  readonly bugs?: {
    /** Acking a message clears its key even when the key already points at a newer message. */
    readonly ackClearsNewerKey?: boolean;
    /** A replace also applies to a message in flight. */
    readonly replaceInFlight?: boolean;
    /** Acks of expired or superseded leases succeed. */
    readonly noFencing?: boolean;
  };
  readonly durability?: { readonly mode: "durable" } | { readonly mode: "interval"; readonly intervalMs: number } | { readonly mode: "none" };
}

interface State {
  readonly t: bigint;
  readonly msgs: ReadonlyMap<string, Msg>;
  readonly keys: ReadonlyMap<string, { id: string; at: bigint; version: number }>;
  readonly dlq: readonly EvDeadLetter[];
  readonly expired: readonly { id: string; tok: string }[];
}

const MS = 1_000_000n;
const WALL_BASE = 1_700_000_000_000;

export class ReferenceModel {
  readonly events: Ev[] = [];
  readonly maxAttempts: number;
  readonly #window: bigint;
  readonly #drop: ReadonlySet<string>;
  readonly #durability: NonNullable<ModelOptions["durability"]>;
  readonly #bugs: NonNullable<ModelOptions["bugs"]>;
  // The state as of every logged line, for crashes that forget recent writes.
  readonly #states: State[] = [];
  #now = 1_000_000_000n;
  #gen = 1;
  #seq = 0;
  #ops = 0;
  #toks = 0;
  #receipts = 0;
  readonly #msgs = new Map<string, Msg>();
  readonly #receiptIds = new Map<string, string>();
  readonly #keys = new Map<string, { id: string; at: bigint; version: number }>();
  #dlq: EvDeadLetter[] = [];
  #expired: { id: string; tok: string }[] = [];
  /** Receipts each consumer holds (some may be stale). */
  readonly held = new Map<string, string[]>();

  constructor(options: ModelOptions = {}) {
    this.maxAttempts = (options.maxRetries ?? 3) + 1;
    this.#window = BigInt(options.dedupWindowMs ?? 1_000) * MS;
    this.#drop = new Set(options.dropQueues ?? []);
    this.#durability = options.durability ?? { mode: "durable" };
    this.#bugs = options.bugs ?? {};
  }

  /** Let time pass (leases and delays run out, TTLs pass). */
  advance(ms: number): void {
    this.#now += BigInt(Math.round(ms * 1_000)) * 1_000n;
  }

  /** Enqueue a batch; returns the tokens. */
  enqueue(queue: string, items: readonly ModelItem[], outcome: ModelOutcome = "ok", lagMs = 1): string[] {
    const op = `e${String(++this.#ops)}`;
    const evItems = items.map((it) => this.#item(it, queue));
    this.#emit({ k: "enq.invoke", op, queue, items: evItems });
    this.advance(lagMs);
    const apply = outcome === "ok" || outcome.endsWith("-applied");
    const results = apply ? evItems.map((it) => this.#apply(it.queue ?? queue, it)) : [];
    this.advance(lagMs);
    if (outcome === "ok") this.#emit({ k: "enq.ok", op, results });
    else if (outcome === "fail") this.#emit({ k: "enq.fail", op, code: "MQ_QUEUE_FULL" });
    else this.#settleIndet(outcome, () => this.#emit({ k: "enq.info", op, code: "MQ_PERSISTENCE" }));
    return evItems.map((it) => it.tok);
  }

  /** Lease up to `max` messages; `lost` leases them but the caller never hears back. */
  receive(consumer: string, queue: string, max: number, leaseMs: number, outcome: "ok" | "lost" = "ok", lagMs = 1): EvDelivered[] {
    const rop = `r${String(++this.#ops)}`;
    this.#emit({ k: "recv.invoke", rop, consumer, queue });
    this.advance(lagMs);
    this.#tick();
    const ready = [...this.#msgs.values()]
      .filter((m) => m.queue === queue && m.state === "ready" && m.availableAt <= this.#now)
      .sort((a, b) => b.prio - a.prio || a.seq - b.seq);
    const out: EvDelivered[] = [];
    for (const m of ready) {
      if (out.length >= max) break;
      if (m.attempts >= this.maxAttempts) {
        this.#deadLetter(m, "max-retries");
        continue;
      }
      m.attempts += 1;
      const receipt = `rc${String(++this.#receipts)}`;
      m.state = "inflight";
      m.lease = { receipt, end: this.#now + BigInt(leaseMs) * MS, consumer };
      this.#receiptIds.set(receipt, m.id);
      out.push({
        id: m.id,
        tok: m.tok,
        version: m.version,
        attempt: m.attempts,
        receipt,
        leaseMs,
        ...(m.availableAt > 0n ? { availableAt: wall(m.availableAt) } : {}),
        ...(m.expiresAt === undefined ? {} : { expiresAt: wall(m.expiresAt) }),
      });
    }
    this.advance(lagMs);
    if (outcome === "lost") {
      this.#emit({ k: "recv.info", rop, code: "ECONNRESET" });
      return [];
    }
    this.#emit({ k: "recv.ok", rop, d: out });
    const list = this.held.get(consumer) ?? [];
    list.push(...out.map((d) => d.receipt));
    this.held.set(consumer, list);
    return out;
  }

  /** Ack receipts and, atomically, publish items. */
  ack(receipts: readonly string[], publish: readonly ModelItem[] = [], outcome: ModelOutcome = "ok", lagMs = 1): void {
    const aop = `a${String(++this.#ops)}`;
    const items = publish.map((it) => this.#item({ ...it, queue: it.queue ?? "q0" }, "q0"));
    this.#emit({ k: "ack.invoke", aop, receipts: [...receipts], ...(items.length > 0 ? { publish: items } : {}) });
    this.#release(receipts);
    this.advance(lagMs);
    this.#tick();
    const live = receipts.map((r) => this.#leased(r));
    const valid = live.every((m) => m !== undefined);
    const apply = valid && outcome !== "fail" && outcome !== "info-dropped" && outcome !== "crash-dropped";
    if (apply) {
      for (const m of live) if (m !== undefined) this.#finish(m, "acked");
      for (const it of items) this.#apply(it.queue ?? "q0", it);
    }
    this.advance(lagMs);
    if (!valid || outcome === "fail") this.#emit({ k: "ack.fail", aop, code: valid ? "MQ_INVALID_ARGUMENT" : "MQ_LEASE_LOST" });
    else if (outcome === "ok") this.#emit({ k: "ack.ok", aop });
    else this.#settleIndet(outcome, () => this.#emit({ k: "ack.info", aop, code: "MQ_PERSISTENCE" }));
  }

  /** Fail an attempt: retry after `delayMs` or dead-letter when attempts are used up. */
  nack(receipt: string, delayMs = 0, lagMs = 1): void {
    this.#emit({ k: "nack.invoke", receipt, ...(delayMs > 0 ? { delayMs } : {}) });
    this.#release([receipt]);
    this.advance(lagMs);
    this.#tick();
    const m = this.#leased(receipt);
    let settle: EvInput;
    if (m === undefined) settle = { k: "nack.fail", receipt, code: "MQ_LEASE_LOST" };
    else if (m.attempts >= this.maxAttempts) {
      this.#deadLetter(m, "max-retries");
      settle = { k: "nack.ok", receipt, action: "dead-lettered", attempts: m.attempts };
    } else {
      m.state = "ready";
      delete m.lease;
      m.availableAt = this.#now + BigInt(delayMs) * MS;
      settle = { k: "nack.ok", receipt, action: "retried", attempts: m.attempts };
    }
    this.advance(lagMs);
    this.#emit(settle);
  }

  /** Extend a lease to end `leaseMs` from now. */
  extend(receipt: string, leaseMs: number, lagMs = 1): void {
    this.#emit({ k: "ext.invoke", receipt, leaseMs });
    this.advance(lagMs);
    this.#tick();
    const m = this.#leased(receipt);
    if (m?.lease !== undefined) m.lease.end = this.#now + BigInt(leaseMs) * MS;
    this.advance(lagMs);
    this.#emit(m === undefined ? { k: "ext.fail", receipt, code: "MQ_LEASE_LOST" } : { k: "ext.ok", receipt });
  }

  /**
   * The host dies and restarts: every lease of its previous life is void. With
   * lossy durability, state rolls back to a point the mode allows (`pick` chooses which).
   */
  crash(recoveryMs = 5, pick = 0): void {
    this.#emit({ k: "crash", gen: this.#gen });
    this.#rollBack(pick);
    for (const m of this.#msgs.values()) {
      if (m.state !== "inflight") continue;
      m.state = "ready";
      delete m.lease;
    }
    this.held.clear();
    this.advance(recoveryMs);
    this.#gen += 1;
    this.#emit({ k: "restart", gen: this.#gen, recoveryMs });
  }

  /** Consume everything left (acking it), then log `final`. Returns the whole history. */
  drain(queues: readonly string[] = ["q0", "q1"]): Ev[] {
    for (let round = 0; round < 10_000; round++) {
      this.advance(50);
      this.#tick();
      const pending = [...this.#msgs.values()].filter((m) => m.state === "ready" || m.state === "inflight");
      if (pending.length === 0) break;
      for (const q of queues) {
        const got = this.receive("drain", q, 10, 10_000);
        if (got.length > 0) this.ack(got.map((d) => d.receipt));
      }
    }
    this.#emit({
      k: "final",
      dlq: [...this.#dlq],
      expired: [...this.#expired],
      purged: [],
      stats: { ready: 0, inflight: 0, delayed: 0 },
    });
    return this.events;
  }

  // -------------------------------------------------------------------------

  #emit(ev: EvInput): void {
    this.#now += 1_000n; // every line gets its own instant, as real writes do
    this.events.push({ ...ev, t: this.#now, wall: wall(this.#now) });
    if (this.#durability.mode !== "durable") this.#states.push(this.#capture());
  }

  #capture(): State {
    return {
      t: this.#now,
      msgs: new Map([...this.#msgs].map(([id, m]) => [id, cloneMsg(m)])),
      keys: new Map([...this.#keys].map(([k, v]) => [k, { ...v }])),
      dlq: [...this.#dlq],
      expired: [...this.#expired],
    };
  }

  #rollBack(pick: number): void {
    const d = this.#durability;
    if (d.mode === "durable") return;
    const oldest = d.mode === "interval" ? this.#now - BigInt(d.intervalMs) * MS : undefined;
    const allowed = this.#states.filter((s) => oldest === undefined || s.t >= oldest);
    const empty: State = { t: 0n, msgs: new Map(), keys: new Map(), dlq: [], expired: [] };
    const options = d.mode === "none" ? [empty, ...allowed] : allowed;
    const target = options[pick % Math.max(1, options.length)];
    if (target === undefined) return;
    this.#msgs.clear();
    for (const [id, m] of target.msgs) this.#msgs.set(id, cloneMsg(m));
    this.#keys.clear();
    for (const [k, v] of target.keys) this.#keys.set(k, { ...v });
    this.#dlq = [...target.dlq];
    this.#expired = [...target.expired];
  }

  #item(it: ModelItem, opQueue: string): EvItem {
    const tok = `p:${String(++this.#toks)}`;
    const queue = it.queue;
    return {
      tok,
      prio: it.prio ?? 0,
      ...(it.key === undefined ? {} : { key: it.key, mode: this.#drop.has(queue ?? opQueue) ? ("drop" as const) : ("replace" as const) }),
      ...(it.delayMs === undefined ? {} : { delayMs: it.delayMs }),
      ...(it.ttlMs === undefined ? {} : { ttlMs: it.ttlMs }),
      ...(queue === undefined ? {} : { queue }),
    };
  }

  #apply(queue: string, it: EvItem): EvEnqueueResult {
    this.#tick();
    const k = it.key === undefined ? undefined : `${queue}\u0000${it.key}`;
    const entry = k === undefined ? undefined : this.#keys.get(k);
    if (entry !== undefined && it.mode === "drop" && this.#now < entry.at + this.#window) {
      return { tok: it.tok, id: entry.id, result: "duplicate", version: entry.version };
    }
    const current = entry === undefined ? undefined : this.#msgs.get(entry.id);
    const replaceable = current?.state === "ready" || (this.#bugs.replaceInFlight === true && current?.state === "inflight");
    if (it.mode === "replace" && replaceable && current !== undefined && entry !== undefined) {
      current.tok = it.tok;
      current.version += 1;
      entry.version = current.version;
      return { tok: it.tok, id: current.id, result: "replaced", version: current.version };
    }
    const id = `m${String(++this.#seq).padStart(6, "0")}`;
    const m: Msg = {
      id,
      queue,
      tok: it.tok,
      version: 1,
      prio: it.prio,
      seq: this.#seq,
      availableAt: it.delayMs === undefined ? 0n : this.#now + BigInt(it.delayMs) * MS,
      ...(it.ttlMs === undefined ? {} : { expiresAt: this.#now + BigInt(it.ttlMs) * MS }),
      attempts: 0,
      state: "ready",
      ...(it.key === undefined ? {} : { key: it.key }),
    };
    this.#msgs.set(id, m);
    if (k !== undefined) this.#keys.set(k, { id, at: this.#now, version: 1 });
    return { tok: it.tok, id, result: "created", version: 1 };
  }

  // Lease expiry and TTL, as the engine's timer would apply them by now.
  #tick(): void {
    for (const m of this.#msgs.values()) {
      if (m.state === "inflight" && m.lease !== undefined && m.lease.end <= this.#now) {
        m.state = "ready";
        delete m.lease;
      }
      if (m.state === "ready" && m.expiresAt !== undefined && m.expiresAt <= this.#now) {
        this.#finish(m, "expired");
        this.#expired.push({ id: m.id, tok: m.tok });
      }
    }
  }

  #leased(receipt: string): Msg | undefined {
    for (const m of this.#msgs.values()) if (m.state === "inflight" && m.lease?.receipt === receipt && m.lease.end > this.#now) return m;
    if (this.#bugs.noFencing === true) {
      const id = this.#receiptIds.get(receipt);
      const m = id === undefined ? undefined : this.#msgs.get(id);
      if (m !== undefined && m.state !== "acked" && m.state !== "dlq" && m.state !== "expired") return m;
    }
    return undefined;
  }

  #deadLetter(m: Msg, reason: string): void {
    this.#finish(m, "dlq");
    this.#dlq.push({ id: m.id, tok: m.tok, version: m.version, reason, attempts: m.attempts });
  }

  #finish(m: Msg, state: "acked" | "dlq" | "expired"): void {
    m.state = state;
    delete m.lease;
    const k = m.key === undefined ? undefined : `${m.queue}\u0000${m.key}`;
    // Replace mode frees the key once its message is gone; drop mode keeps it for the window.
    const ours = this.#keys.get(k ?? "")?.id === m.id || this.#bugs.ackClearsNewerKey === true;
    if (k !== undefined && !this.#drop.has(m.queue) && ours) this.#keys.delete(k);
  }

  #settleIndet(outcome: ModelOutcome, info: () => void): void {
    if (outcome.startsWith("info")) info();
    else this.crash();
  }

  #release(receipts: readonly string[]): void {
    const gone = new Set(receipts);
    for (const [c, list] of this.held) this.held.set(c, list.filter((r) => !gone.has(r)));
  }
}

function cloneMsg(m: Msg): Msg {
  return { ...m, ...(m.lease === undefined ? {} : { lease: { ...m.lease } }) };
}

function wall(ns: bigint): number {
  return WALL_BASE + Number(ns / 1_000n) / 1_000;
}
