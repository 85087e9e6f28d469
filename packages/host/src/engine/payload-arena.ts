// Slabs this size: a message that outlives its neighbours pins at most this much.
const SLAB_BYTES = 64 * 1024;

/**
 * Copies payloads restored from a snapshot (views of the snapshot file's bytes,
 * which must not stay pinned) into shared slabs, one copy each. Node's
 * `Buffer.from` does the same into 8 KiB pools; slabs 8× larger mean 8× fewer
 * ArrayBuffers to allocate and track for a million messages. Returns Buffers
 * (msgpackr decodes strings from a Buffer natively).
 */
export class PayloadArena {
  #slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
  #used = 0;

  /** A copy of `bytes` in a slab (or on its own, when larger than a quarter slab). */
  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.byteLength;
    if (n > SLAB_BYTES >>> 2) return Buffer.from(bytes);
    if (this.#used + n > SLAB_BYTES) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#used = 0;
    }
    const at = this.#used;
    this.#slab.set(bytes, at);
    // Keep the next payload 8-byte aligned, as Node's pool does.
    this.#used = (at + n + 7) & ~7;
    return Buffer.from(this.#slab.buffer, this.#slab.byteOffset + at, n);
  }
}
