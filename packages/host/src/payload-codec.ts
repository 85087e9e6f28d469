import { Packr } from "msgpackr";

// No records or structured-clone extensions: a payload's bytes must decode the
// same in any process, with no shared state between messages.
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false, mapsAsObjects: true, int64AsType: "bigint" });

/**
 * Encodes a validated payload to msgpack bytes, in a buffer of its own
 * size: the encoder's result is a view into a larger shared buffer, which a
 * long-lived message would otherwise keep alive whole.
 */
export function encodePayload(value: unknown): Uint8Array {
  return ownBytes(packr.pack(value));
}

/** Copies `bytes` into Node's small-buffer pool, so the copy pins nothing larger than itself. */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}

/** Decodes payload bytes produced by {@link encodePayload}. */
export function decodePayload<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
