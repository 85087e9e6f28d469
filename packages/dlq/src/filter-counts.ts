import type { DeadLetter, DeadLetterFilter } from "@mq/core";

/**
 * Per-queue, per-reason and per-(queue, reason) entry counts, kept up to date on
 * every insert and removal so filtered counts never scan.
 */
export class FilterCounts {
  #byQueue = new Map<string, number>();
  #byReason = new Map<string, number>();
  #byQueueReason = new Map<string, Map<string, number>>();

  /** Counts one more entry. */
  add(letter: DeadLetter): void {
    bump(this.#byQueue, letter.queue, 1);
    bump(this.#byReason, letter.reason, 1);
    let reasons = this.#byQueueReason.get(letter.queue);
    if (reasons === undefined) {
      reasons = new Map();
      this.#byQueueReason.set(letter.queue, reasons);
    }
    bump(reasons, letter.reason, 1);
  }

  /** Counts one entry fewer. */
  remove(letter: DeadLetter): void {
    bump(this.#byQueue, letter.queue, -1);
    bump(this.#byReason, letter.reason, -1);
    const reasons = this.#byQueueReason.get(letter.queue);
    if (reasons === undefined) return;
    bump(reasons, letter.reason, -1);
    if (reasons.size === 0) this.#byQueueReason.delete(letter.queue);
  }

  /** Entries matching a filter that names a queue, a reason, or both. */
  get(filter: DeadLetterFilter): number {
    const { queue, reason } = filter;
    if (queue !== undefined && reason !== undefined) return this.#byQueueReason.get(queue)?.get(reason) ?? 0;
    if (queue !== undefined) return this.#byQueue.get(queue) ?? 0;
    if (reason !== undefined) return this.#byReason.get(reason) ?? 0;
    throw new RangeError("FilterCounts.get needs a queue or a reason");
  }

  /** Forgets every count. */
  clear(): void {
    this.#byQueue.clear();
    this.#byReason.clear();
    this.#byQueueReason.clear();
  }
}

// ---------------------------------------------------------------------------

// Zero counts are deleted so the maps only hold queues and reasons still present.
function bump(map: Map<string, number>, key: string, delta: number): void {
  const next = (map.get(key) ?? 0) + delta;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}
