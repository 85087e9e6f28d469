import { checkInteger, nextPowerOfTwo, resolveTimeout } from "./_validate";
import { waitAsync } from "./_wait-async";
import {
  H_DATA_EPOCH,
  H_DEQUEUE,
  H_ENQUEUE,
  H_MAGIC,
  H_READERS_ASLEEP,
  H_SLOT_SIZE,
  H_SLOTS,
  H_SPACE_EPOCH,
  H_VERSION,
  H_WRITERS_ASLEEP,
  HEADER_BYTES,
  LAYOUT_VERSION,
  MAGIC,
  MAX_BYTES,
  MAX_SLOT_SIZE,
  MAX_SLOTS,
  SLOT_HEADER_BYTES,
  byteLengthFor,
  strideBytes,
} from "./_shared-ring-layout";
import { AbortedError } from "./errors/aborted-error";
import { InvalidArgumentError } from "./errors/invalid-argument-error";
import { RecordTooLargeError } from "./errors/record-too-large-error";
import { TimeoutError } from "./errors/timeout-error";

/** Options of {@link SharedRing.create}. */
export interface SharedRingOptions {
  /** How many records the ring holds at once; rounded up to a power of two, at least 2 (1 to 2^24). */
  readonly slots: number;
  /** The largest record in bytes (1 to 2^28); larger records are rejected. */
  readonly slotSize: number;
}

/** Options of {@link SharedRing.read} and {@link SharedRing.write}. */
export interface SharedRingWaitOptions {
  /** Give up with {@link TimeoutError} after this many milliseconds. @default Infinity */
  readonly timeoutMs?: number;
  /** Give up with {@link AbortedError} when this signal aborts. */
  readonly signal?: AbortSignal;
}

// Tries before a waiting call goes to sleep: a peer thread usually frees a slot
// or publishes a record within a few hundred nanoseconds, far less than the
// cost of a futex sleep and wake-up.
const SPIN_TRIES = 64;

/**
 * A bounded, lock-free multi-producer multi-consumer ring of byte records on a
 * SharedArrayBuffer (Vyukov's bounded MPMC queue), shared between worker threads.
 */
export class SharedRing {
  readonly #buffer: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #slots: number;
  readonly #mask: number;
  readonly #slotSize: number;
  readonly #strideWords: number;

  private constructor(buffer: SharedArrayBuffer) {
    this.#buffer = buffer;
    this.#words = new Int32Array(buffer);
    this.#bytes = new Uint8Array(buffer);
    this.#slots = this.#words[H_SLOTS]!;
    this.#mask = this.#slots - 1;
    this.#slotSize = this.#words[H_SLOT_SIZE]!;
    this.#strideWords = strideBytes(this.#slotSize) / 4;
  }

  /** Allocates a new empty ring; pass its `buffer` to other threads and `attach` there. */
  static create(options: SharedRingOptions): SharedRing {
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError("options", "SharedRing.create needs an options object { slots, slotSize }");
    }
    const asked = checkInteger("slots", options.slots, 1, MAX_SLOTS, "pass how many records the ring holds at once");
    const slotSize = checkInteger("slotSize", options.slotSize, 1, MAX_SLOT_SIZE, "pass the largest record size in bytes");
    // At least two: with one slot, "published at pos" and "free for pos + 1"
    // would be the same sequence number and writers would overwrite.
    const slots = Math.max(2, nextPowerOfTwo(asked));
    const byteLength = byteLengthFor(slots, slotSize);
    if (byteLength > MAX_BYTES) {
      throw new InvalidArgumentError("slots", `slots × slotSize needs ${byteLength} bytes, more than the ${MAX_BYTES} a ring may use; pass fewer slots or a smaller slotSize`);
    }
    const buffer = new SharedArrayBuffer(byteLength);
    const words = new Int32Array(buffer);
    words[H_MAGIC] = MAGIC;
    words[H_VERSION] = LAYOUT_VERSION;
    words[H_SLOTS] = slots;
    words[H_SLOT_SIZE] = slotSize;
    const stride = strideBytes(slotSize) / 4;
    // Vyukov: slot i starts with sequence i, meaning "free for the write at position i".
    for (let i = 0; i < slots; i++) words[HEADER_BYTES / 4 + i * stride] = i;
    return new SharedRing(buffer);
  }

  /** Opens a ring another thread created, from its `buffer`; the header carries slots and slotSize. */
  static attach(buffer: SharedArrayBuffer): SharedRing {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError("buffer", "SharedRing.attach needs the SharedArrayBuffer of a ring (ring.buffer), sent to this thread with postMessage or workerData");
    }
    const words = buffer.byteLength >= HEADER_BYTES ? new Int32Array(buffer, 0, HEADER_BYTES / 4) : undefined;
    if (words === undefined || Atomics.load(words, H_MAGIC) !== MAGIC) {
      throw new InvalidArgumentError("buffer", "buffer is not a SharedRing buffer; pass the `buffer` of a ring made by SharedRing.create");
    }
    if (words[H_VERSION] !== LAYOUT_VERSION) {
      throw new InvalidArgumentError("buffer", `ring buffer has layout version ${words[H_VERSION]}, this @mq/ring reads version ${LAYOUT_VERSION}; use the same @mq/ring version in every thread`);
    }
    const slots = words[H_SLOTS]!;
    const slotSize = words[H_SLOT_SIZE]!;
    if (slots < 2 || (slots & (slots - 1)) !== 0 || slotSize < 1 || buffer.byteLength !== byteLengthFor(slots, slotSize)) {
      throw new InvalidArgumentError("buffer", "ring buffer header does not match its length; pass the unmodified `buffer` of a ring made by SharedRing.create");
    }
    return new SharedRing(buffer);
  }

  /** The SharedArrayBuffer holding the ring; send it to another thread and call `SharedRing.attach`. */
  get buffer(): SharedArrayBuffer {
    return this.#buffer;
  }

  /** How many records the ring holds at once (the requested count rounded up to a power of two). */
  get slots(): number {
    return this.#slots;
  }

  /** The largest record in bytes. */
  get slotSize(): number {
    return this.#slotSize;
  }

  /** Records written and not yet read; a snapshot that other threads may change at once. */
  get size(): number {
    const written = Atomics.load(this.#words, H_ENQUEUE);
    const read = Atomics.load(this.#words, H_DEQUEUE);
    return Math.min(Math.max((written - read) | 0, 0), this.#slots);
  }

  /** Copies `bytes` into a free slot and returns true, or returns false at once when the ring is full. */
  tryWrite(bytes: Uint8Array): boolean {
    const length = bytes.length;
    if (length > this.#slotSize) throw new RecordTooLargeError(length, this.#slotSize);
    const words = this.#words;
    let pos = Atomics.load(words, H_ENQUEUE);
    for (;;) {
      const base = HEADER_BYTES / 4 + (pos & this.#mask) * this.#strideWords;
      const diff = (Atomics.load(words, base) - pos) | 0;
      if (diff === 0) {
        const seen = Atomics.compareExchange(words, H_ENQUEUE, pos, (pos + 1) | 0);
        if (seen === pos) {
          words[base + 1] = length;
          this.#bytes.set(bytes, base * 4 + SLOT_HEADER_BYTES);
          // Publish after the bytes: this sequentially consistent store orders the
          // plain writes above before any reader's load that sees pos + 1.
          Atomics.store(words, base, (pos + 1) | 0);
          wakeSleepers(words, H_READERS_ASLEEP, H_DATA_EPOCH);
          return true;
        }
        pos = seen;
      } else if (diff < 0) {
        return false; // the slot still holds the record from one lap ago: full
      } else {
        pos = Atomics.load(words, H_ENQUEUE); // another producer took pos; catch up
      }
    }
  }

  /** Removes and returns the oldest record as a fresh copy, or undefined at once when the ring is empty. */
  tryRead(): Uint8Array | undefined {
    const words = this.#words;
    let pos = Atomics.load(words, H_DEQUEUE);
    for (;;) {
      const base = HEADER_BYTES / 4 + (pos & this.#mask) * this.#strideWords;
      const next = (pos + 1) | 0;
      const diff = (Atomics.load(words, base) - next) | 0;
      if (diff === 0) {
        const seen = Atomics.compareExchange(words, H_DEQUEUE, pos, next);
        if (seen === pos) {
          const start = base * 4 + SLOT_HEADER_BYTES;
          const record = this.#bytes.slice(start, start + words[base + 1]!);
          // Free the slot for the write one lap ahead, after the copy is taken.
          Atomics.store(words, base, (pos + this.#slots) | 0);
          wakeSleepers(words, H_WRITERS_ASLEEP, H_SPACE_EPOCH);
          return record;
        }
        pos = seen;
      } else if (diff < 0) {
        return undefined; // nothing published at pos yet: empty
      } else {
        pos = Atomics.load(words, H_DEQUEUE);
      }
    }
  }

  /** Writes `bytes`, waiting without blocking the event loop while the ring is full. */
  async write(bytes: Uint8Array, options: SharedRingWaitOptions = {}): Promise<void> {
    const timeoutMs = resolveTimeout(options.timeoutMs);
    if (options.signal?.aborted === true) throw new AbortedError("write", options.signal.reason);
    if (this.tryWrite(bytes)) return;
    await this.#waitAsync("write", () => (this.tryWrite(bytes) ? true : undefined), H_WRITERS_ASLEEP, H_SPACE_EPOCH, timeoutMs, options.signal);
  }

  /** Reads the oldest record, waiting without blocking the event loop while the ring is empty. */
  async read(options: SharedRingWaitOptions = {}): Promise<Uint8Array> {
    const timeoutMs = resolveTimeout(options.timeoutMs);
    if (options.signal?.aborted === true) throw new AbortedError("read", options.signal.reason);
    return this.tryRead() ?? this.#waitAsync("read", () => this.tryRead(), H_READERS_ASLEEP, H_DATA_EPOCH, timeoutMs, options.signal);
  }

  /** Writes `bytes`, blocking the thread (`Atomics.wait`) while the ring is full; meant for worker threads. */
  writeSync(bytes: Uint8Array, timeoutMs?: number): void {
    const limit = resolveTimeout(timeoutMs);
    for (let i = 0; i < SPIN_TRIES; i++) if (this.tryWrite(bytes)) return;
    this.#waitSync("writeSync", () => (this.tryWrite(bytes) ? true : undefined), H_WRITERS_ASLEEP, H_SPACE_EPOCH, limit);
  }

  /** Reads the oldest record, blocking the thread (`Atomics.wait`) while the ring is empty; meant for worker threads. */
  readSync(timeoutMs?: number): Uint8Array {
    const limit = resolveTimeout(timeoutMs);
    for (let i = 0; i < SPIN_TRIES; i++) {
      const record = this.tryRead();
      if (record !== undefined) return record;
    }
    return this.#waitSync("readSync", () => this.tryRead(), H_READERS_ASLEEP, H_DATA_EPOCH, limit);
  }

  // -------------------------------------------------------------------------

  // Sleeping protocol (both directions): read the epoch, raise the "asleep"
  // flag, try once more, then sleep only while the epoch is unchanged. A peer
  // publishes first and then takes the flag down (Atomics.exchange); if it was
  // up, the peer bumps the epoch and wakes every sleeper. So either the peer
  // saw our flag and the epoch moved past what we read (the wait returns at
  // once), or it published before our flag went up and our retry sees it. One
  // peer wakes each round of sleep; the rest skip notify while the flag is down.
  #waitSync<R>(operation: string, attempt: () => R | undefined, flagIndex: number, epochIndex: number, timeoutMs: number): R {
    const words = this.#words;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const epoch = Atomics.load(words, epochIndex);
      Atomics.store(words, flagIndex, 1);
      let result = attempt();
      if (result !== undefined) return result;
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new TimeoutError(operation, timeoutMs);
      Atomics.wait(words, epochIndex, epoch, remaining);
      for (let i = 0; i < SPIN_TRIES; i++) {
        result = attempt();
        if (result !== undefined) return result;
      }
    }
  }

  async #waitAsync<R>(operation: string, attempt: () => R | undefined, flagIndex: number, epochIndex: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<R> {
    const words = this.#words;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted === true) throw new AbortedError(operation, signal.reason);
      const epoch = Atomics.load(words, epochIndex);
      Atomics.store(words, flagIndex, 1);
      const result = attempt();
      if (result !== undefined) return result;
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new TimeoutError(operation, timeoutMs);
      await waitAsync(words, epochIndex, epoch, remaining, signal, operation);
    }
  }
}

// Called after every publish or release: if a peer may be asleep, take the flag
// down and wake all sleepers on the epoch. All, not one: an abandoned async
// waiter could absorb a single wake-up.
function wakeSleepers(words: Int32Array, flagIndex: number, epochIndex: number): void {
  if (Atomics.load(words, flagIndex) === 0 || Atomics.exchange(words, flagIndex, 0) === 0) return;
  Atomics.add(words, epochIndex, 1);
  Atomics.notify(words, epochIndex);
}
