import type { KeepCompleted } from "@mq/core";

/** Default bound on kept completions per queue when `keepCompleted` gives no `count`. */
export const DEFAULT_KEEP_COMPLETED_COUNT = 1_000;

/** One kept completion; `result` stays msgpack-encoded (null: the handler returned nothing storable). */
export interface CompletedRecord {
  readonly id: string;
  readonly queue: string;
  readonly result: Uint8Array | null;
  readonly at: number;
}

/** A completion as a snapshot stores it. */
export type CompletedItem = [id: string, queue: string, result: Uint8Array | null, at: number];

/**
 * Completions kept for lookup on queues with `keepCompleted`, bounded per
 * queue by count (oldest dropped) and by age. Pruning uses the completion's
 * own time, never "now", so replaying the journal gives the same store.
 */
export class CompletedStore {
  readonly #byId = new Map<string, CompletedRecord>();
  /** Per queue, in completion order (Map iteration order is insertion order). */
  readonly #byQueue = new Map<string, Map<string, CompletedRecord>>();

  get size(): number {
    return this.#byId.size;
  }

  add(record: CompletedRecord, keep: KeepCompleted): void {
    if (this.#byId.has(record.id)) return;
    let queue = this.#byQueue.get(record.queue);
    if (queue === undefined) this.#byQueue.set(record.queue, (queue = new Map<string, CompletedRecord>()));
    queue.set(record.id, record);
    this.#byId.set(record.id, record);
    this.#prune(queue, keep, record.at);
  }

  /** The completion of `id`, unless it is older than `ageMs` at `now`. */
  get(id: string, now: number, keep: KeepCompleted | undefined): CompletedRecord | undefined {
    const record = this.#byId.get(id);
    if (record === undefined) return undefined;
    if (keep?.ageMs !== undefined && record.at < now - keep.ageMs) return undefined;
    return record;
  }

  snapshot(): CompletedItem[] {
    return [...this.#byId.values()].map((r) => [r.id, r.queue, r.result, r.at]);
  }

  restore(items: readonly CompletedItem[]): void {
    for (const [id, queue, result, at] of items) this.add({ id, queue, result, at }, { count: Number.MAX_SAFE_INTEGER });
  }

  #prune(queue: Map<string, CompletedRecord>, keep: KeepCompleted, now: number): void {
    const limit = keep.count ?? DEFAULT_KEEP_COMPLETED_COUNT;
    const oldest = keep.ageMs === undefined ? Number.NEGATIVE_INFINITY : now - keep.ageMs;
    for (const record of queue.values()) {
      if (queue.size <= limit && record.at >= oldest) break;
      queue.delete(record.id);
      this.#byId.delete(record.id);
    }
  }
}
