import { EventEmitter } from "eventemitter3";
import { InvalidArgumentError } from "@mq/core";
import type { DeadLetter, DeadLetterFilter, DeadLetterPage, Message } from "@mq/core";
import { decodeCursor, encodeCursor } from "./cursor";
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from "./defaults";
import { FilterCounts } from "./filter-counts";
import { resolveOptions } from "./options";
import type { DeadLetterStoreOptions, ResolvedDeadLetterStoreOptions } from "./options";
import { assertValidSnapshot, invalidSnapshot, letterId } from "./snapshot";
import type { DeadLetterSnapshot } from "./snapshot";

/** Events a {@link DeadLetterStore} emits. */
export interface DeadLetterStoreEvents {
  /** The `maxEntries` bound dropped the oldest entry to make room. */
  overflow: (dropped: DeadLetter) => void;
}

/** Options of {@link DeadLetterStore.list}: an optional filter, a page size and where to resume. */
export type DeadLetterListOptions = DeadLetterFilter & {
  /** Page size, 1–1000 (larger values are clamped). @default 100 */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
};

// One stored entry. Removal flips `live` and leaves the slot in #order until the
// next compaction, so removing from the middle never shifts the array.
interface Slot {
  readonly seq: number;
  readonly letter: DeadLetter;
  live: boolean;
}

// Compaction runs once dead slots outnumber live ones (and this floor), which
// keeps removal amortized O(1) and #order at most about twice the live size.
const COMPACT_FLOOR = 1024;

/**
 * A bounded, in-memory dead-letter store keyed by message id, in the order letters
 * died, with stable cursor paging, O(1) filtered counts, replay and purge.
 */
export class DeadLetterStore {
  /** `overflow` fires after the bound dropped an entry, with the entry dropped. */
  readonly events: EventEmitter<DeadLetterStoreEvents> = new EventEmitter<DeadLetterStoreEvents>();
  /** The resolved options. */
  readonly options: ResolvedDeadLetterStoreOptions;

  readonly #maxEntries: number;
  #byId = new Map<string, Slot>();
  #counts = new FilterCounts();
  // Ascending seq; dead slots are skipped and swept out by #maybeCompact.
  #order: Slot[] = [];
  // Every slot before #head is dead.
  #head = 0;
  #dead = 0;
  #nextSeq = 1;
  #dropped = 0;

  constructor(options?: DeadLetterStoreOptions) {
    this.options = resolveOptions(options);
    this.#maxEntries = this.options.maxEntries;
  }

  /** Entries held now. */
  get size(): number {
    return this.#byId.size;
  }

  /** Entries dropped by the `maxEntries` bound since creation (or the last `clear()`), carried in snapshots. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /**
   * Stores a dead letter under its message id; a letter for an id already held
   * replaces it and moves to the end. When the store is over `maxEntries`, the
   * oldest entry is dropped, counted, emitted as `overflow` and returned.
   */
  add(letter: DeadLetter): DeadLetter | undefined {
    const id = letterId(letter);
    if (id === undefined) {
      throw new InvalidArgumentError("dlq", "letter", "expected a dead letter with message.id, queue and reason strings");
    }
    const existing = this.#byId.get(id);
    if (existing !== undefined) this.#unlink(existing);
    this.#append(letter);
    let dropped: DeadLetter | undefined;
    if (this.#byId.size > this.#maxEntries) dropped = this.#dropOldest();
    this.#maybeCompact();
    // Emit last, with the state already consistent, so a throwing listener cannot leave it half-updated.
    if (dropped !== undefined) this.events.emit("overflow", dropped);
    return dropped;
  }

  /** The dead letter for a message id, if held. */
  get(id: string): DeadLetter | undefined {
    return this.#byId.get(id)?.letter;
  }

  /** Whether a dead letter for this message id is held. */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Removes the dead letter for a message id; false when none was held. */
  remove(id: string): boolean {
    const slot = this.#byId.get(id);
    if (slot === undefined) return false;
    this.#unlink(slot);
    this.#maybeCompact();
    return true;
  }

  /**
   * One page of dead letters, oldest first. `nextCursor` is present while more
   * matching entries follow; it resumes right after the last item returned, even
   * if entries were added or removed in between.
   * @throws InvalidArgumentError for a malformed cursor or a limit that is not a positive integer.
   */
  list(options: DeadLetterListOptions = {}): DeadLetterPage {
    const limit = resolveLimit(options.limit);
    const after = options.cursor === undefined ? 0 : decodeCursor(options.cursor, this.#nextSeq - 1);
    const filter = pickFilter(options);
    const items: DeadLetter[] = [];
    let ahead = this.count(filter);
    if (ahead === 0) return { items };
    const start = this.#seek(after);
    // Past the cursor the count of matches still ahead is unknown, so the scan runs on;
    // from the oldest entry they all lie ahead, and it stops at the last one.
    if (start > this.#skipDeadHead()) ahead = Number.POSITIVE_INFINITY;
    const order = this.#order;
    let lastSeq = after;
    for (let i = start; i < order.length; i++) {
      const slot = order[i] as Slot;
      if (!slot.live || !matches(slot.letter, filter)) continue;
      // One match past a full page proves there is a next page.
      if (items.length === limit) return { items, nextCursor: encodeCursor(lastSeq) };
      items.push(slot.letter);
      lastSeq = slot.seq;
      if (--ahead === 0) break;
    }
    return { items };
  }

  /** How many entries match; O(1) for no filter or a filter by queue and/or reason. */
  count(filter?: DeadLetterFilter): number {
    const f = pickFilter(filter);
    return f === undefined ? this.#byId.size : this.#counts.get(f);
  }

  /**
   * Removes the entry with this message id, or every entry matching a filter,
   * and returns their messages oldest first with `attempts` reset to 0, ready to
   * be enqueued again.
   */
  take(target: string | DeadLetterFilter): Message[] {
    const taken: Message[] = [];
    if (typeof target === "string") {
      const slot = this.#byId.get(target);
      if (slot === undefined) return taken;
      this.#unlink(slot);
      taken.push(resetAttempts(slot.letter.message));
    } else {
      this.#removeMatching(pickFilter(target), (letter) => taken.push(resetAttempts(letter.message)));
    }
    this.#maybeCompact();
    return taken;
  }

  /** Removes every entry matching the filter (all when none) and returns how many. */
  purge(filter?: DeadLetterFilter): number {
    const f = pickFilter(filter);
    if (f === undefined) {
      const removed = this.#byId.size;
      this.#reset();
      return removed;
    }
    const removed = this.#removeMatching(f, undefined);
    this.#maybeCompact();
    return removed;
  }

  /** The whole state as plain msgpack-encodable data; letters are shared, not copied. */
  snapshot(): DeadLetterSnapshot {
    const seqs: number[] = [];
    const letters: DeadLetter[] = [];
    for (let i = this.#head; i < this.#order.length; i++) {
      const slot = this.#order[i] as Slot;
      if (!slot.live) continue;
      seqs.push(slot.seq);
      letters.push(slot.letter);
    }
    return { version: 1, nextSeq: this.#nextSeq, droppedCount: this.#dropped, seqs, letters };
  }

  /**
   * Replaces the whole state with a snapshot's. If it holds more than `maxEntries`,
   * the oldest are dropped as by `add()`.
   * @throws InvalidArgumentError when the snapshot is malformed; the store is then unchanged.
   */
  restore(snapshot: DeadLetterSnapshot): void {
    assertValidSnapshot(snapshot);
    // Built aside and swapped in whole, so a snapshot that fails half way changes nothing.
    const byId = new Map<string, Slot>();
    const counts = new FilterCounts();
    const order: Slot[] = new Array<Slot>(snapshot.seqs.length);
    for (let i = 0; i < order.length; i++) {
      const slot: Slot = { seq: snapshot.seqs[i] as number, letter: snapshot.letters[i] as DeadLetter, live: true };
      const id = slot.letter.message.id;
      if (byId.has(id)) invalidSnapshot(`letters[${i}] repeats message id ${id}`);
      byId.set(id, slot);
      counts.add(slot.letter);
      order[i] = slot;
    }
    this.#byId = byId;
    this.#counts = counts;
    this.#order = order;
    this.#head = 0;
    this.#dead = 0;
    this.#nextSeq = snapshot.nextSeq;
    this.#dropped = snapshot.droppedCount;
    const dropped: DeadLetter[] = [];
    while (this.#byId.size > this.#maxEntries) dropped.push(this.#dropOldest());
    this.#maybeCompact();
    for (const letter of dropped) this.events.emit("overflow", letter);
  }

  /**
   * Removes every entry and resets `droppedCount`. Sequence numbers keep counting,
   * so an old cursor never skips entries added afterwards.
   */
  clear(): void {
    this.#reset();
    this.#dropped = 0;
  }

  // ---------------------------------------------------------------------------

  #append(letter: DeadLetter): void {
    const slot: Slot = { seq: this.#nextSeq++, letter, live: true };
    this.#order.push(slot);
    this.#byId.set(letter.message.id, slot);
    this.#counts.add(letter);
  }

  #unlink(slot: Slot): void {
    slot.live = false;
    this.#dead++;
    this.#byId.delete(slot.letter.message.id);
    this.#counts.remove(slot.letter);
  }

  // Moves #head to the oldest live slot (or the end) and returns it.
  #skipDeadHead(): number {
    const order = this.#order;
    while (this.#head < order.length && !(order[this.#head] as Slot).live) this.#head++;
    return this.#head;
  }

  // Only called while the store is non-empty, so a live slot exists at or after #head.
  #dropOldest(): DeadLetter {
    const slot = this.#order[this.#skipDeadHead()] as Slot;
    this.#head++;
    this.#unlink(slot);
    this.#dropped++;
    return slot.letter;
  }

  // Index of the first slot whose seq is above `after` (binary search; seqs ascend).
  #seek(after: number): number {
    const order = this.#order;
    let lo = this.#head;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((order[mid] as Slot).seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Scans oldest first, stopping as soon as the incrementally kept count says no match remains.
  #removeMatching(filter: DeadLetterFilter | undefined, onRemove: ((letter: DeadLetter) => void) | undefined): number {
    let remaining = this.count(filter);
    const total = remaining;
    const order = this.#order;
    for (let i = this.#head; remaining > 0 && i < order.length; i++) {
      const slot = order[i] as Slot;
      if (!slot.live || !matches(slot.letter, filter)) continue;
      this.#unlink(slot);
      onRemove?.(slot.letter);
      remaining--;
    }
    return total;
  }

  #maybeCompact(): void {
    if (this.#dead <= COMPACT_FLOOR || this.#dead <= this.#byId.size) return;
    const order = this.#order;
    let write = 0;
    for (let read = this.#head; read < order.length; read++) {
      const slot = order[read] as Slot;
      if (slot.live) order[write++] = slot;
    }
    order.length = write;
    this.#head = 0;
    this.#dead = 0;
  }

  #reset(): void {
    this.#byId.clear();
    this.#counts.clear();
    this.#order = [];
    this.#head = 0;
    this.#dead = 0;
  }
}

// ---------------------------------------------------------------------------

// Undefined when a filter selects everything, so callers take the fast path; no copy, counts are hot.
function pickFilter(filter: DeadLetterFilter | undefined): DeadLetterFilter | undefined {
  if (filter === undefined || (filter.queue === undefined && filter.reason === undefined)) return undefined;
  return filter;
}

function matches(letter: DeadLetter, filter: DeadLetterFilter | undefined): boolean {
  if (filter === undefined) return true;
  return (filter.queue === undefined || letter.queue === filter.queue) && (filter.reason === undefined || letter.reason === filter.reason);
}

function resolveLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError("dlq", "limit", `expected a positive integer, got ${String(limit)}`);
  }
  return Math.min(limit, MAX_LIST_LIMIT);
}

function resetAttempts(message: Message): Message {
  return { ...message, attempts: 0 };
}
