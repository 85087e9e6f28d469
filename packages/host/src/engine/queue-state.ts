import { MAX_PRIORITY, type KeepCompleted, type QueueStats } from "@mq/core";
import type { Entry } from "./entry";
import { Lane } from "./lane";

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
}

type Totals = { -readonly [K in keyof QueueStats["totals"]]: number };

/** One queue's ready lanes (one per priority), gauges and totals. */
export class QueueState {
  readonly name: string;
  settings: ResolvedQueueSettings;
  readonly #lanes: Lane<Entry>[] = Array.from({ length: MAX_PRIORITY + 1 }, () => new Lane<Entry>());
  ready = 0;
  delayed = 0;
  inFlight = 0;
  bytes = 0;
  readonly totals: Totals = { enqueued: 0, replaced: 0, duplicates: 0, delivered: 0, acked: 0, retried: 0, deadLettered: 0, expired: 0 };

  constructor(name: string, settings: ResolvedQueueSettings) {
    this.name = name;
    this.settings = settings;
  }

  /** Messages held: ready, delayed and in flight. */
  get count(): number {
    return this.ready + this.delayed + this.inFlight;
  }

  /** Appends a ready entry to its priority's lane (the caller counts it). */
  pushReady(entry: Entry): void {
    this.#lanes[entry.priority]!.push(entry);
  }

  /** Removes and returns the next ready entry, highest priority first, skipping tombstones. */
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

  /** Appends the ready entries, in delivery order, to `into` (for snapshots). */
  collectReady(into: Entry[]): void {
    for (let p = MAX_PRIORITY; p >= 0; p--) for (const entry of this.#lanes[p]!) if (entry.state === "ready") into.push(entry);
  }

  /** Up to `limit` ready entries in delivery order, left where they are. */
  peekReady(limit: number): Entry[] {
    const out: Entry[] = [];
    for (let p = MAX_PRIORITY; p >= 0 && out.length < limit; p--) {
      for (const entry of this.#lanes[p]!) {
        if (entry.state !== "ready") continue;
        out.push(entry);
        if (out.length === limit) break;
      }
    }
    return out;
  }

  clearLanes(): void {
    for (const lane of this.#lanes) lane.clear();
  }

  /** Public stats; dead letters are counted by the caller. */
  stats(deadLettered: number): QueueStats {
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
    };
  }
}
