import { Packr, REUSE_BUFFER_MODE } from "msgpackr";
import { PayloadArena } from "./engine/payload-arena";

// No records or structured-clone extensions: a payload's bytes must decode the
// same in any process, with no shared state between messages.
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false, mapsAsObjects: true, int64AsType: "bigint" });

// Every payload is packed into this one buffer (msgpackr grows past it for a large one), then copied out once.
const scratch = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * Live payloads are copied into 16 KiB slabs: twice Node's 8 KiB pool, so
 * half the ArrayBuffers per message, while a message that outlives its
 * neighbours still pins little.
 */
const arena = new PayloadArena(16 * 1024);

/**
 * Encodes a validated payload to msgpack bytes of its own (a slab copy, not
 * a view of the encoder's buffer, which a long-lived message would otherwise
 * keep alive whole).
 */
export function encodePayload(value: unknown): Uint8Array {
  // msgpackr's write position is shared by every Packr in the process (the journal's too): set it each time.
  packr.useBuffer(scratch);
  const out = packr.pack(value, REUSE_BUFFER_MODE) as Buffer & { start: number; end: number };
  return arena.copyFrom(out, out.start, out.end);
}

/** Copies `bytes` into Node's small-buffer pool, so the copy pins nothing larger than itself. */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}

/** Decodes payload bytes produced by {@link encodePayload}. */
export function decodePayload<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
