import { Packr, RESERVE_START_SPACE, REUSE_BUFFER_MODE } from "msgpackr";

/**
 * One msgpackr configuration for everything the journal stores. Records and
 * structured clone are off so every frame decodes on its own (no state shared
 * across frames or files); maps decode as plain objects; bigints keep their
 * type at any size; binary is copied so decoded values never pin a segment buffer.
 */
const FORMAT = {
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: true,
  bundleStrings: false,
  useBigIntExtension: true,
  int64AsType: "bigint",
} as const;

export const packr = new Packr({ ...FORMAT, copyBuffers: true });

/**
 * The same format, decoded without copying binary values: they come back as
 * views of the bytes decoded. Used for snapshot item blocks only, where a
 * consumer keeps a few fields of millions of items and copies what it keeps:
 * a copy per value here would be a second copy (and an ArrayBuffer each).
 */
const viewPackr = new Packr({ ...FORMAT, copyBuffers: false });

// Every encode starts at the front of one reusable buffer: no allocation per append (callers copy the result at once).
const scratch = Buffer.allocUnsafe(256 * 1024);

/** Encodes a value; the result is a view of a shared buffer, valid only until the next encode. */
export function encode(value: unknown): Uint8Array {
  packr.useBuffer(scratch);
  return packr.pack(value);
}

/**
 * Encodes `value` into `target` so that its bytes start exactly at `at` (no
 * intermediate buffer); returns the end offset. When msgpackr needed more room
 * than `target` has, returns the encoded bytes (a view of msgpackr's own buffer,
 * valid until the next encode) for the caller to copy once it has grown.
 * `target` should have a few KiB free past `at`: msgpackr starts a fresh buffer otherwise.
 */
export function encodeInto(value: unknown, target: Buffer, at: number): number | Uint8Array {
  // msgpackr starts each value on an 8-byte boundary: start at the boundary below `at` and have it
  // skip the 0–7 bytes up to `at` (RESERVE_START_SPACE), so the value lands exactly there without a move.
  const skip = at & 7;
  packr.useBuffer(target);
  packr.position = at - skip;
  const out = packr.pack(value, REUSE_BUFFER_MODE | RESERVE_START_SPACE | skip) as Buffer & { start: number; end: number };
  if (out !== target) return out.subarray(out.start + skip, out.end);
  // Not expected (the start is aligned already); kept so frames stay contiguous whatever msgpackr does.
  if (out.start + skip !== at) target.copyWithin(at, out.start + skip, out.end);
  return at + (out.end - out.start - skip);
}

// One options object for every decode: recovery decodes millions of frames.
const region = { start: 0, end: 0 };

/** Decodes bytes written by {@link encode}; `start`/`end` select a region without creating a view. */
export function decode(bytes: Uint8Array, start = 0, end = bytes.length): unknown {
  // Passing the same (whole-segment) buffer each time lets msgpackr reuse its DataView.
  region.start = start;
  region.end = end;
  return packr.unpack(bytes, region);
}

/** Like {@link decode}, but binary values are views of `bytes` (not copies): they keep `bytes` alive. */
export function decodeViews(bytes: Uint8Array, start: number, end: number): unknown {
  region.start = start;
  region.end = end;
  return viewPackr.unpack(bytes, region);
}

/**
 * Decodes the records of a group frame (msgpack values back to back in
 * `bytes[start..end)`) with one call; every value is checked by the caller.
 */
export function decodeRecords(bytes: Uint8Array, start: number, end: number): unknown[] {
  return packr.unpackMultiple(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start)) as unknown[];
}
