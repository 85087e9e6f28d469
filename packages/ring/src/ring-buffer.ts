import { checkInteger, nextPowerOfTwo } from "./_validate";
import { RingFullError } from "./errors/ring-full-error";

/** The largest capacity a {@link RingBuffer} accepts (bitmask indexing needs a 31-bit index). */
export const MAX_RING_CAPACITY = 2 ** 30;

// Backing storage starts small and doubles up to the rounded capacity, so a
// generous bound (say one million) costs nothing until it is used. Growth is the
// only allocation; once the backing array reaches its working size, push and
// shift allocate nothing.
const INITIAL_SLOTS = 16;

/**
 * A fixed-capacity FIFO ring for one thread: O(1) push and shift, no allocation
 * per operation, released slots cleared so the garbage collector can reclaim items.
 */
export class RingBuffer<T> implements Iterable<T> {
  #slots: (T | undefined)[];
  #mask: number;
  #head = 0;
  #tail = 0;
  #size = 0;
  // min(capacity, slots.length): the one bound push checks on the fast path.
  #limit: number;
  readonly #capacity: number;

  /** @param capacity the most items the ring holds at once, enforced exactly (an integer from 1 to 2^30). */
  constructor(capacity: number) {
    this.#capacity = checkInteger("capacity", capacity, 1, MAX_RING_CAPACITY, "pass the most items the ring may hold at once");
    // Storage doubles from INITIAL_SLOTS up to nextPowerOfTwo(capacity) at most.
    this.#slots = packedArray(Math.min(nextPowerOfTwo(capacity), INITIAL_SLOTS));
    this.#mask = this.#slots.length - 1;
    this.#limit = Math.min(capacity, this.#slots.length);
  }

  /** The capacity as given to the constructor. */
  get capacity(): number {
    return this.#capacity;
  }

  /** How many items the ring holds. */
  get size(): number {
    return this.#size;
  }

  /** True when the ring holds `capacity` items. */
  get isFull(): boolean {
    return this.#size === this.#capacity;
  }

  /** True when the ring holds no items. */
  get isEmpty(): boolean {
    return this.#size === 0;
  }

  /** Appends `item`; throws {@link RingFullError} when the ring is full. */
  push(item: T): void {
    // Same body as tryPush, not a call to it: this is the hottest path.
    const size = this.#size;
    if (size === this.#limit) {
      if (size === this.#capacity) throw new RingFullError(this.#capacity);
      this.#grow();
    }
    const tail = this.#tail;
    this.#slots[tail] = item;
    this.#tail = (tail + 1) & this.#mask;
    this.#size = size + 1;
  }

  /** Appends `item` and returns true, or returns false when the ring is full. */
  tryPush(item: T): boolean {
    const size = this.#size;
    if (size === this.#limit) {
      if (size === this.#capacity) return false;
      this.#grow();
    }
    const tail = this.#tail;
    this.#slots[tail] = item;
    this.#tail = (tail + 1) & this.#mask;
    this.#size = size + 1;
    return true;
  }

  /** Removes and returns the oldest item, or undefined when empty (check `isEmpty` if `T` admits undefined). */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const head = this.#head;
    const item = this.#slots[head];
    this.#slots[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  /** Returns the oldest item without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#slots[this.#head];
  }

  /** Removes and returns up to `max` of the oldest items, oldest first (all of them by default). */
  drain(max: number = this.#size): T[] {
    if (max !== Number.POSITIVE_INFINITY) checkInteger("max", max, 0, Number.MAX_SAFE_INTEGER, "pass how many items to remove at most");
    const count = Math.min(max, this.#size);
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) out[i] = this.shift() as T;
    return out;
  }

  /** Removes every item. */
  clear(): void {
    const slots = this.#slots;
    for (let i = 0, at = this.#head; i < this.#size; i++, at = (at + 1) & this.#mask) slots[at] = undefined;
    this.#head = 0;
    this.#tail = 0;
    this.#size = 0;
  }

  /** Iterates the items oldest first without removing them; what it yields is unspecified if the ring changes meanwhile. */
  *[Symbol.iterator](): Iterator<T> {
    const size = this.#size;
    const head = this.#head;
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = 0; i < size; i++) yield slots[(head + i) & mask] as T;
  }

  // -------------------------------------------------------------------------

  // Called only when size === slots.length < capacity: the ring is full in its
  // current storage, so every slot is occupied and order starts at head.
  #grow(): void {
    const old = this.#slots;
    const next = packedArray<T>(old.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) & this.#mask];
    this.#slots = next;
    this.#mask = next.length - 1;
    this.#head = 0;
    this.#tail = this.#size;
    this.#limit = Math.min(this.#capacity, next.length);
  }
}

// Filled with push so V8 keeps the array in PACKED (not HOLEY) elements mode.
function packedArray<T>(length: number): (T | undefined)[] {
  const out: (T | undefined)[] = [];
  for (let i = 0; i < length; i++) out.push(undefined);
  return out;
}
