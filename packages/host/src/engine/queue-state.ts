import { MAX_PRIORITY, type GroupFailureMode, type GroupStats, type KeepCompleted, type QueueStats, type RateLimit, type ThrottleStats, type TimerHandle } from "@mq/core";
import type { Entry } from "./entry";
import { Group } from "./group";
import { Lane } from "./lane";
import { TokenBucket } from "./token-bucket";

/** Settings a queue runs with, every field resolved. */
export interface ResolvedQueueSettings {
  readonly maxAttempts: number;
  readonly capacity: number;
  readonly maxBytes: number;
  readonly maxPayloadBytes: number;
  readonly dedupMode: "replace" | "drop";
  readonly dedupWindowMs: number;
  readonly onExpire: "drop" | "dead-letter";
  readonly defaultLeaseMs: number;
  /** Absent (the default): completions are not kept. */
  readonly keepCompleted?: KeepCompleted;
  /** Token bucket on the queue's starts; null: none. */
  readonly rateLimit: RateLimit | null;
  /** Token bucket on each group's starts; null: none. */
  readonly groupRateLimit: RateLimit | null;
  /** Most messages of the queue in flight at once; null: no cap. */
  readonly maxInFlight: number | null;
  readonly groupOnFailure: GroupFailureMode;
}

type Totals = { -readonly [K in keyof QueueStats["totals"]]: number };
type ThrottleCounts = { -readonly [K in keyof ThrottleStats]: number };

/** Says whether a lane's entry may start now (ordering groups and their limits decide). */
export type CandidateCheck = (entry: Entry) => boolean;

/**
 * One queue's ready lanes (one per priority), ordering groups, limits,
 * gauges and totals. A lane holds ungrouped ready messages and, for each
 * group that can start, its head: so receive serves ready groups round robin
 * and never looks at the groups that cannot start.
 */
export class QueueState {
  readonly name: string;
  settings: ResolvedQueueSettings;
  readonly #lanes: Lane<Entry>[] = Array.from({ length: MAX_PRIORITY + 1 }, () => new Lane<Entry>());
  ready = 0;
  delayed = 0;
  inFlight = 0;
  bytes = 0;
  readonly totals: Totals = { enqueued: 0, replaced: 0, duplicates: 0, delivered: 0, acked: 0, retried: 0, deadLettered: 0, expired: 0 };
  readonly throttleCounts: ThrottleCounts = { rateLimit: 0, groupRateLimit: 0, maxInFlight: 0, backOff: 0 };
  /** Ordering groups with at least one message. */
  readonly groups = new Map<string, Group>();
  /** Wall-clock epoch ms until which `throttle()` of an ungrouped message holds the whole queue back (durable). */
  throttledUntil = 0;
  /** The one timer that wakes the queue when a queue-wide limit frees (monotonic deadline). */
  wakeTimer: TimerHandle;
  wakeAt: number | undefined;
  #bucket: TokenBucket | undefined;
  /** Group buckets outlive their group while not full, so emptying a group does not reset its limit. */
  readonly #groupBuckets = new Map<string, TokenBucket>();

  constructor(name: string, settings: ResolvedQueueSettings) {
    this.name = name;
    this.settings = settings;
  }

  /** Messages held: ready, delayed and in flight. */
  get count(): number {
    return this.ready + this.delayed + this.inFlight;
  }

  /** Appends a ready ungrouped entry to its priority's lane (the caller counts it). */
  pushReady(entry: Entry): void {
    this.#lanes[entry.priority]!.push(entry);
  }

  /** The group, created on first use. */
  group(name: string): Group {
    let g = this.groups.get(name);
    if (g === undefined) this.groups.set(name, (g = new Group(name)));
    return g;
  }

  /** Puts the group's head in its priority's lane when it is ready and not there yet; true if it did. */
  offer(g: Group): boolean {
    const head = g.head;
    if (head === undefined || head.state !== "ready" || g.queued === head) return false;
    g.queued = head;
    this.#lanes[head.priority]!.push(head);
    return true;
  }

  /** Removes and returns the next ready entry, highest priority first, skipping tombstones (no group checks). */
  shiftReady(): Entry | undefined {
    for (let p = MAX_PRIORITY; p >= 0; p--) {
      const lane = this.#lanes[p]!;
      while (lane.size > 0) {
        const entry = lane.shift()!;
        if (entry.state === "ready") return entry;
      }
    }
    return undefined;
  }

  /**
   * The next entry that may start, left in its lane. Entries before it that
   * cannot start (tombstones, stale group heads, held-back groups) are dropped
   * from the lanes: a held-back group is offered again when it can start.
   */
  firstCandidate(check: CandidateCheck): Entry | undefined {
    for (let p = MAX_PRIORITY; p >= 0; p--) {
      const lane = this.#lanes[p]!;
      for (let entry = lane.peek(); entry !== undefined; entry = lane.peek()) {
        if (entry.state === "ready" && check(entry)) return entry;
        lane.shift();
        this.#dropped(entry);
      }
    }
    return undefined;
  }

  /** Removes and returns the next entry that may start (see {@link firstCandidate}). */
  takeCandidate(check: CandidateCheck): Entry | undefined {
    const entry = this.firstCandidate(check);
    if (entry === undefined) return undefined;
    this.#lanes[entry.priority]!.shift();
    this.#dropped(entry);
    return entry;
  }

  /** The queue's bucket under its current `rateLimit`, or undefined when it has none. */
  bucket(now: number): TokenBucket | undefined {
    const limit = this.settings.rateLimit;
    if (limit == null) return (this.#bucket = undefined);
    if (this.#bucket === undefined) this.#bucket = new TokenBucket(limit, now);
    else if (!this.#bucket.matches(limit)) this.#bucket.reshape(limit, now);
    return this.#bucket;
  }

  /** A group's bucket under the current `groupRateLimit`, or undefined when there is none. */
  groupBucket(name: string, now: number): TokenBucket | undefined {
    const limit = this.settings.groupRateLimit;
    if (limit == null) {
      if (this.#groupBuckets.size > 0) this.#groupBuckets.clear();
      return undefined;
    }
    let bucket = this.#groupBuckets.get(name);
    if (bucket === undefined) {
      bucket = new TokenBucket(limit, now);
      this.#pruneGroupBuckets(now);
    } else {
      if (!bucket.matches(limit)) bucket.reshape(limit, now);
      // Re-inserted at the end: the map stays ordered by last use, so pruning looks at the oldest.
      this.#groupBuckets.delete(name);
    }
    this.#groupBuckets.set(name, bucket);
    return bucket;
  }

  /** Appends the ready ungrouped entries, in delivery order, to `into` (for snapshots; grouped ones are taken from their groups). */
  collectReady(into: Entry[]): void {
    for (let p = MAX_PRIORITY; p >= 0; p--) for (const entry of this.#lanes[p]!) if (entry.state === "ready" && entry.group === undefined) into.push(entry);
  }

  /** Up to `limit` entries that could be delivered next, in delivery order, left where they are. */
  peekReady(limit: number): Entry[] {
    const out: Entry[] = [];
    for (let p = MAX_PRIORITY; p >= 0 && out.length < limit; p--) {
      for (const entry of this.#lanes[p]!) {
        if (entry.state !== "ready") continue;
        if (entry.group !== undefined && this.groups.get(entry.group)?.queued !== entry) continue;
        out.push(entry);
        if (out.length === limit) break;
      }
    }
    return out;
  }

  clearLanes(): void {
    for (const lane of this.#lanes) lane.clear();
    for (const g of this.groups.values()) g.queued = undefined;
  }

  /** Counts of groups by state; walks the groups, so it is for stats, never for a delivery. */
  groupStats(now: number): GroupStats {
    let ready = 0;
    let blocked = 0;
    let active = 0;
    let throttled = 0;
    for (const g of this.groups.values()) {
      const head = g.head;
      if (head === undefined) continue;
      if (head.state === "in-flight") active++;
      else if (g.throttledUntil > now || g.parkedUntil > now) throttled++;
      else if (head.state === "delayed") blocked++;
      else ready++;
    }
    return { ready, blocked, active, throttled };
  }

  /** Public stats; dead letters are counted by the caller. */
  stats(deadLettered: number, now: number): QueueStats {
    return {
      queue: this.name,
      ready: this.ready,
      delayed: this.delayed,
      inFlight: this.inFlight,
      deadLettered,
      bytes: this.bytes,
      capacity: this.settings.capacity,
      maxBytes: this.settings.maxBytes,
      settings: this.settings,
      totals: { ...this.totals },
      groups: this.groupStats(now),
      throttled: { ...this.throttleCounts },
    };
  }

  // ---- private -------------------------------------------------------------

  /** An entry left its lane: if it was its group's offered head, the group is no longer offered. */
  #dropped(entry: Entry): void {
    if (entry.group === undefined) return;
    const g = this.groups.get(entry.group);
    if (g !== undefined && g.queued === entry) g.queued = undefined;
  }

  /** Drops up to two least recently used full buckets: O(1) per new bucket, and idle groups cost nothing for long. */
  #pruneGroupBuckets(now: number): void {
    let checked = 0;
    for (const [name, bucket] of this.#groupBuckets) {
      if (checked++ === 2 || !bucket.full(now)) return;
      this.#groupBuckets.delete(name);
    }
  }
}
