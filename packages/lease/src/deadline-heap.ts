/** What a heap slot holds: a lease (reported through `onExpire`) or a scheduled timer (`onDue`). */
export const KIND_LEASE = 0;
export const KIND_SCHEDULE = 1;
export type EntryKind = typeof KIND_LEASE | typeof KIND_SCHEDULE;

const INITIAL_CAPACITY = 64;

/**
 * A binary min-heap of deadlines keyed by slot number, ordered by deadline and
 * then by the order the deadline was set (so ties fire in insertion order).
 *
 * Every field lives in a typed array indexed by slot (struct of arrays): a
 * million live entries cost a few flat buffers instead of a million objects
 * and boxed doubles, and no operation allocates. `#pos` maps a slot to its heap
 * index so removal and deadline changes are O(log n).
 */
export class DeadlineHeap {
  #capacity = 0;
  #deadline = new Float64Array(0);
  #seq = new Float64Array(0);
  #gen = new Float64Array(0);
  #pos = new Int32Array(0);
  #kind = new Uint8Array(0);
  #ids: (string | undefined)[] = [];
  /** Heap order: `#heap[i]` is a slot. */
  #heap = new Int32Array(0);
  #size = 0;
  /** Slots below `#used` have been handed out at least once; freed ones wait on `#free`. */
  #used = 0;
  #free = new Int32Array(0);
  #freeTop = 0;
  #nextSeq = 0;

  constructor() {
    this.#allocate(INITIAL_CAPACITY);
  }

  /** Live entries. */
  get size(): number {
    return this.#size;
  }

  /** The sequence number the next insert or update will get; entries set from now on compare ≥ it. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** The slot with the earliest deadline, or -1 when empty. */
  top(): number {
    return this.#size === 0 ? -1 : (this.#heap[0] as number);
  }

  deadline(slot: number): number {
    return this.#deadline[slot] as number;
  }

  seq(slot: number): number {
    return this.#seq[slot] as number;
  }

  gen(slot: number): number {
    return this.#gen[slot] as number;
  }

  kind(slot: number): EntryKind {
    return this.#kind[slot] as EntryKind;
  }

  id(slot: number): string {
    return this.#ids[slot] as string;
  }

  /** Adds an entry and returns its slot. */
  insert(id: string, kind: EntryKind, gen: number, deadline: number): number {
    const slot = this.#takeSlot();
    this.#ids[slot] = id;
    this.#kind[slot] = kind;
    this.#gen[slot] = gen;
    this.#deadline[slot] = deadline;
    this.#seq[slot] = this.#nextSeq++;
    const i = this.#size++;
    this.#heap[i] = slot;
    this.#pos[slot] = i;
    this.#up(i);
    return slot;
  }

  /** Moves `slot` to a new deadline; it now sorts after entries already at that deadline. */
  update(slot: number, deadline: number, gen: number): void {
    this.#deadline[slot] = deadline;
    this.#gen[slot] = gen;
    this.#seq[slot] = this.#nextSeq++;
    const i = this.#pos[slot] as number;
    if (!this.#up(i)) this.#down(i);
  }

  /** Removes `slot` and frees it for reuse. */
  remove(slot: number): void {
    const i = this.#pos[slot] as number;
    const last = this.#heap[--this.#size] as number;
    if (i !== this.#size) {
      this.#heap[i] = last;
      this.#pos[last] = i;
      if (!this.#up(i)) this.#down(i);
    }
    this.#pos[slot] = -1;
    // Drop the id so the heap does not keep a caller's string alive.
    this.#ids[slot] = undefined;
    this.#free[this.#freeTop++] = slot;
  }

  /** Slots of every live entry, earliest first (allocates; for snapshots). */
  sortedSlots(): number[] {
    const slots = Array.from(this.#heap.subarray(0, this.#size));
    return slots.sort((a, b) => (this.#less(a, b) ? -1 : 1));
  }

  /** Drops every entry and gives the memory back. */
  clear(): void {
    this.#size = 0;
    this.#used = 0;
    this.#freeTop = 0;
    this.#ids = [];
    this.#allocate(INITIAL_CAPACITY);
  }

  // ---------------------------------------------------------------------------

  #less(a: number, b: number): boolean {
    const da = this.#deadline[a] as number;
    const db = this.#deadline[b] as number;
    return da < db || (da === db && (this.#seq[a] as number) < (this.#seq[b] as number));
  }

  /** Sifts the entry at heap index `i` up; true if it moved. */
  #up(i: number): boolean {
    const heap = this.#heap;
    const slot = heap[i] as number;
    const start = i;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as number;
      if (!this.#less(slot, p)) break;
      heap[i] = p;
      this.#pos[p] = i;
      i = parent;
    }
    heap[i] = slot;
    this.#pos[slot] = i;
    return i !== start;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const size = this.#size;
    const slot = heap[i] as number;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && this.#less(heap[right] as number, heap[child] as number)) child = right;
      const c = heap[child] as number;
      if (!this.#less(c, slot)) break;
      heap[i] = c;
      this.#pos[c] = i;
      i = child;
    }
    heap[i] = slot;
    this.#pos[slot] = i;
  }

  #takeSlot(): number {
    if (this.#freeTop > 0) return this.#free[--this.#freeTop] as number;
    if (this.#used === this.#capacity) this.#grow();
    return this.#used++;
  }

  #grow(): void {
    const old = {
      deadline: this.#deadline,
      seq: this.#seq,
      gen: this.#gen,
      pos: this.#pos,
      kind: this.#kind,
      heap: this.#heap,
    };
    this.#allocate(this.#capacity * 2);
    this.#deadline.set(old.deadline);
    this.#seq.set(old.seq);
    this.#gen.set(old.gen);
    this.#pos.set(old.pos);
    this.#kind.set(old.kind);
    this.#heap.set(old.heap);
    // The free list is empty whenever the heap grows, so it need not be copied.
  }

  #allocate(capacity: number): void {
    this.#capacity = capacity;
    this.#deadline = new Float64Array(capacity);
    this.#seq = new Float64Array(capacity);
    this.#gen = new Float64Array(capacity);
    this.#pos = new Int32Array(capacity);
    this.#kind = new Uint8Array(capacity);
    this.#heap = new Int32Array(capacity);
    this.#free = new Int32Array(capacity);
  }
}
