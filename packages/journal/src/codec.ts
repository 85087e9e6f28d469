import { Packr } from "msgpackr";

/**
 * One msgpackr configuration for everything the journal stores. Records and
 * structured clone are off so every frame decodes on its own (no state shared
 * across frames or files); maps decode as plain objects; bigints keep their
 * type at any size; binary is copied so decoded values never pin a segment buffer.
 */
export const packr = new Packr({
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: true,
  bundleStrings: false,
  useBigIntExtension: true,
  int64AsType: "bigint",
  copyBuffers: true,
});

// Every encode starts at the front of one reusable buffer: no allocation per append (callers copy the result at once).
const scratch = Buffer.allocUnsafe(256 * 1024);

/** Encodes a value; the result is a view of a shared buffer, valid only until the next encode. */
export function encode(value: unknown): Uint8Array {
  packr.useBuffer(scratch);
  return packr.pack(value);
}

/** Decodes bytes written by {@link encode}; `start`/`end` select a region without creating a view. */
export function decode(bytes: Uint8Array, start = 0, end = bytes.length): unknown {
  // Passing the same (whole-segment) buffer each time lets msgpackr reuse its DataView.
  return packr.unpack(bytes, { start, end });
}
