import { Packr, REUSE_BUFFER_MODE } from "msgpackr";

// No records or structured-clone extensions: a payload's bytes must decode the
// same in any process, with no shared state between messages.
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false, mapsAsObjects: true, int64AsType: "bigint" });

/**
 * Live payloads are packed straight into 16 KiB slabs and kept as views of
 * them: no copy, and half the ArrayBuffers per message of Node's 8 KiB pool
 * (an ArrayBuffer costs far more than a small payload), while a message that
 * outlives its neighbours still pins little. Larger payloads get their own.
 */
const SLAB_BYTES = 16 * 1024;
const OWN_BUFFER_BYTES = SLAB_BYTES >>> 2;
// msgpackr starts a buffer of its own when less than 2 KiB is free past the position: keep more than that.
const HEADROOM_BYTES = 2048 + 64;
// Payloads that come when the slab's tail is below the headroom are packed here and copied into the tail.
const scratch = Buffer.allocUnsafeSlow(64 * 1024);
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let used = 0;

type Packed = Buffer & { start: number; end: number };

/**
 * Encodes a validated payload to msgpack bytes of its own (a view of a slab
 * no other live value is written over, never of the encoder's reused buffer,
 * which a long-lived message would otherwise keep alive whole).
 */
export function encodePayload(value: unknown): Uint8Array {
  // msgpackr's write position is shared by every Packr in the process (the journal's too): set it each time.
  if (SLAB_BYTES - used >= HEADROOM_BYTES) {
    packr.useBuffer(slab);
    packr.position = used;
    const out = packr.pack(value, REUSE_BUFFER_MODE) as Packed;
    if (out === slab) return take(out.start, out.end);
    // It outgrew the slab: msgpackr finished in a buffer of its own.
    return place(out, out.start, out.end);
  }
  packr.useBuffer(scratch);
  const out = packr.pack(value, REUSE_BUFFER_MODE) as Packed;
  return place(out, out.start, out.end);
}

/** The slab's bytes `start..end` as a payload; the next one starts 8-byte aligned after them. */
function take(start: number, end: number): Uint8Array {
  used = (end + 7) & ~7;
  return slab.subarray(start, end);
}

/** Copies packed bytes in: into the slab's tail if they fit, else a new slab, or a buffer of their own if large. */
function place(source: Buffer, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n > OWN_BUFFER_BYTES) return Buffer.from(source.subarray(start, end));
  if (SLAB_BYTES - used < n) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  slab.set(new Uint8Array(source.buffer, source.byteOffset + start, n), used);
  return take(used, used + n);
}

/** Copies `bytes` into Node's small-buffer pool, so the copy pins nothing larger than itself. */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}

// msgpackr decodes through a DataView it caches on the source object: decoding each payload view
// directly would make (and attach) a DataView per message. Decoding a region of one view of the
// whole slab instead reuses it for every payload of that slab (deliveries mostly follow slab order).
let lastBuffer: ArrayBufferLike | undefined;
let wholeView: Buffer | undefined;
const region = { start: 0, end: 0 };

/** Decodes payload bytes produced by {@link encodePayload}. */
export function decodePayload<T>(bytes: Uint8Array): T {
  if (bytes.buffer !== lastBuffer) {
    lastBuffer = bytes.buffer;
    wholeView = Buffer.from(bytes.buffer);
  }
  region.start = bytes.byteOffset;
  region.end = bytes.byteOffset + bytes.byteLength;
  return packr.unpack(wholeView!, region) as T;
}
