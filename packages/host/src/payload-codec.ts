import { Packr } from "msgpackr";

// No records or structured-clone extensions: a payload's bytes must decode the
// same in any process, with no shared state between messages.
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false, mapsAsObjects: true, int64AsType: "bigint" });

/** Encodes a validated payload to msgpack bytes. */
export function encodePayload(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes payload bytes produced by {@link encodePayload}. */
export function decodePayload<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
