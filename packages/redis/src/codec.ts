import { Packr } from "msgpackr";

// The same encoding as the embedded engine: no records or structured-clone
// extensions, so any process decodes a payload with no shared state.
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false, mapsAsObjects: true, int64AsType: "bigint" });

/** Encodes a validated payload to msgpack bytes. */
export function encodePayload(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes payload bytes produced by {@link encodePayload}. */
export function decodePayload<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
