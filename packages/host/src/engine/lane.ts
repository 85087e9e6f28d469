import { RingBuffer } from "@mq/ring";

const CHUNK_CAPACITY = 1024;

/**
 * An unbounded FIFO made of fixed-size ring chunks: O(1) push and shift, no
 * per-item allocation, memory returned chunk by chunk as it drains.
 */
export class Lane<T> {
  readonly #chunks: RingBuffer<T>[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    let tail = this.#chunks[this.#chunks.length - 1];
    if (tail === undefined || !tail.tryPush(item)) {
      tail = new RingBuffer<T>(CHUNK_CAPACITY);
      tail.push(item);
      this.#chunks.push(tail);
    }
    this.#size++;
  }

  shift(): T | undefined {
    const head = this.#chunks[0];
    if (head === undefined) return undefined;
    const item = head.shift();
    if (item === undefined) return undefined;
    this.#size--;
    // Only the tail chunk takes pushes, so a drained non-tail chunk is done for good.
    if (head.isEmpty && this.#chunks.length > 1) this.#chunks.shift();
    return item;
  }

  /** The next item without removing it. */
  peek(): T | undefined {
    return this.#chunks[0]?.peek();
  }

  clear(): void {
    this.#chunks.length = 0;
    this.#size = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const chunk of this.#chunks) yield* chunk;
  }
}
