// Slabs this size by default: a message that outlives its neighbours pins at most this much.
const SLAB_BYTES = 64 * 1024;

/**
 * Copies payloads into shared slabs, one copy each: restored payloads (views
 * of the snapshot file's bytes, which must not stay pinned) and freshly
 * encoded ones (the encoder's scratch buffer is reused at once). Node's
 * `Buffer.from` does the same into 8 KiB pools; larger slabs mean fewer
 * ArrayBuffers to allocate and track (an ArrayBuffer costs far more than the
 * copy of a small payload). Returns Buffers (msgpackr decodes strings from a
 * Buffer natively).
 */
export class PayloadArena {
  readonly #slabBytes: number;
  #slab: Buffer;
  #used = 0;

  constructor(slabBytes = SLAB_BYTES) {
    this.#slabBytes = slabBytes;
    this.#slab = Buffer.allocUnsafeSlow(slabBytes);
  }

  /** A copy of `bytes` in a slab (or on its own, when larger than a quarter slab). */
  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.byteLength;
    if (n > this.#slabBytes >>> 2) return Buffer.from(bytes);
    const at = this.#reserve(n);
    this.#slab.set(bytes, at);
    return Buffer.from(this.#slab.buffer, this.#slab.byteOffset + at, n);
  }

  /** A copy of `source[start..end)` (no view of the source is made). */
  copyFrom(source: Buffer, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > this.#slabBytes >>> 2) return Buffer.from(source.subarray(start, end));
    const at = this.#reserve(n);
    source.copy(this.#slab, at, start, end);
    return Buffer.from(this.#slab.buffer, this.#slab.byteOffset + at, n);
  }

  /** Room for `n` bytes in the current slab (a new one when it is full); returns where. */
  #reserve(n: number): number {
    if (this.#used + n > this.#slabBytes) {
      this.#slab = Buffer.allocUnsafeSlow(this.#slabBytes);
      this.#used = 0;
    }
    const at = this.#used;
    // Keep the next payload 8-byte aligned, as Node's pool does.
    this.#used = (at + n + 7) & ~7;
    return at;
  }
}
