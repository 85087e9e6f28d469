/** What a heap slot holds: a lease (reported through `onExpire`) or a scheduled timer (`onDue`). */
export const KIND_LEASE = 0;
export const KIND_SCHEDULE = 1;
export type EntryKind = typeof KIND_LEASE | typeof KIND_SCHEDULE;

const INITIAL_CAPACITY = 64;

/**
 * A binary min-heap of deadlines keyed by slot number, ordered by deadline and
 * then by the order the deadline was set (so ties fire in insertion order).
 *
 * Every field lives in a typed array (struct of arrays): a million live
 * entries cost a few flat buffers instead of a million objects and boxed
 * doubles, and no operation allocates. The sort keys are stored in heap order
 * (`#keyDeadline[i]` belongs to `#heap[i]`) so sifting compares neighbours in
 * memory instead of chasing slots; `#pos` maps a slot back to its heap index
 * so removal and deadline changes are O(log n).
 */
export class DeadlineHeap {
  #capacity = 0;
  // Indexed by heap position.
  #heap = new Int32Array(0);
  #keyDeadline = new Float64Array(0);
  #keySeq = new Float64Array(0);
  // Indexed by slot.
  #pos = new Int32Array(0);
  #gen = new Float64Array(0);
  #kind = new Uint8Array(0);
  #ids: (string | undefined)[] = [];
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
    return this.#keyDeadline[this.#pos[slot] as number] as number;
  }

  seq(slot: number): number {
    return this.#keySeq[this.#pos[slot] as number] as number;
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
    this.#up(this.#size++, slot, deadline, this.#nextSeq++);
    return slot;
  }

  /** Moves `slot` to a new deadline; it now sorts after entries already at that deadline. */
  update(slot: number, deadline: number, gen: number): void {
    this.#gen[slot] = gen;
    this.#place(this.#pos[slot] as number, slot, deadline, this.#nextSeq++);
  }

  /** Removes `slot` and frees it for reuse. */
  remove(slot: number): void {
    const i = this.#pos[slot] as number;
    const last = --this.#size;
    if (i !== last) this.#place(i, this.#heap[last] as number, this.#keyDeadline[last] as number, this.#keySeq[last] as number);
    this.#pos[slot] = -1;
    // Drop the id so the heap does not keep a caller's string alive.
    this.#ids[slot] = undefined;
    this.#free[this.#freeTop++] = slot;
  }

  /** Slots of every live entry, earliest first (allocates; for snapshots). */
  sortedSlots(): number[] {
    const order = Array.from({ length: this.#size }, (_, i) => i);
    const d = this.#keyDeadline;
    const q = this.#keySeq;
    order.sort((a, b) => (d[a] as number) - (d[b] as number) || (q[a] as number) - (q[b] as number));
    return order.map((i) => this.#heap[i] as number);
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

  /** Puts an entry at heap index `i` (whose old occupant is gone) and sifts it whichever way it must go. */
  #place(i: number, slot: number, deadline: number, seq: number): void {
    if (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = this.#keyDeadline[parent] as number;
      if (deadline < pd || (deadline === pd && seq < (this.#keySeq[parent] as number))) {
        this.#up(i, slot, deadline, seq);
        return;
      }
    }
    this.#down(i, slot, deadline, seq);
  }

  /** Sifts an entry up from the free heap index `i`. */
  #up(i: number, slot: number, deadline: number, seq: number): void {
    const heap = this.#heap;
    const kd = this.#keyDeadline;
    const ks = this.#keySeq;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = kd[parent] as number;
      if (deadline > pd || (deadline === pd && seq > (ks[parent] as number))) break;
      const p = heap[parent] as number;
      heap[i] = p;
      kd[i] = pd;
      ks[i] = ks[parent] as number;
      this.#pos[p] = i;
      i = parent;
    }
    heap[i] = slot;
    kd[i] = deadline;
    ks[i] = seq;
    this.#pos[slot] = i;
  }

  /** Sifts an entry down from the free heap index `i`. */
  #down(i: number, slot: number, deadline: number, seq: number): void {
    const heap = this.#heap;
    const kd = this.#keyDeadline;
    const ks = this.#keySeq;
    const size = this.#size;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      let cd = kd[child] as number;
      let cs = ks[child] as number;
      const right = child + 1;
      if (right < size) {
        const rd = kd[right] as number;
        const rs = ks[right] as number;
        if (rd < cd || (rd === cd && rs < cs)) {
          child = right;
          cd = rd;
          cs = rs;
        }
      }
      if (deadline < cd || (deadline === cd && seq < cs)) break;
      const c = heap[child] as number;
      heap[i] = c;
      kd[i] = cd;
      ks[i] = cs;
      this.#pos[c] = i;
      i = child;
    }
    heap[i] = slot;
    kd[i] = deadline;
    ks[i] = seq;
    this.#pos[slot] = i;
  }

  #takeSlot(): number {
    if (this.#freeTop > 0) return this.#free[--this.#freeTop] as number;
    if (this.#used === this.#capacity) this.#grow();
    return this.#used++;
  }

  #grow(): void {
    const old = [this.#heap, this.#keyDeadline, this.#keySeq, this.#pos, this.#gen, this.#kind] as const;
    this.#allocate(this.#capacity * 2);
    this.#heap.set(old[0]);
    this.#keyDeadline.set(old[1]);
    this.#keySeq.set(old[2]);
    this.#pos.set(old[3]);
    this.#gen.set(old[4]);
    this.#kind.set(old[5]);
    // The free list is empty whenever the heap grows, so it need not be copied.
  }

  #allocate(capacity: number): void {
    this.#capacity = capacity;
    this.#heap = new Int32Array(capacity);
    this.#keyDeadline = new Float64Array(capacity);
    this.#keySeq = new Float64Array(capacity);
    this.#pos = new Int32Array(capacity);
    this.#gen = new Float64Array(capacity);
    this.#kind = new Uint8Array(capacity);
    this.#free = new Int32Array(capacity);
  }
}
