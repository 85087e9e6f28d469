// Memory layout of a SharedRing, in Int32 words unless a name says bytes.
//
// header (320 bytes, five 64-byte cache lines so producers and consumers do not
// contend for one line):
//   line 0: magic, layout version, slots, slotSize         (written once by create)
//   line 1: enqueue position                               (producers CAS it)
//   line 2: dequeue position                               (consumers CAS it)
//   line 3: data epoch, "a reader may be asleep" flag     (readers wait on the epoch)
//   line 4: space epoch, "a writer may be asleep" flag    (writers wait on the epoch)
// then `slots` slots, each [sequence i32][length i32][slotSize bytes, padded to 8].
//
// Positions are Int32 and wrap; with a power-of-two slot count `pos & mask`
// stays consistent across the wrap, and sequence comparisons use `(a - b) | 0`.

export const MAGIC = 0x4d51_5247; // "MQRG"
export const LAYOUT_VERSION = 1;

export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_SLOTS = 2;
export const H_SLOT_SIZE = 3;
export const H_ENQUEUE = 16;
export const H_DEQUEUE = 32;
export const H_DATA_EPOCH = 48;
export const H_READERS_ASLEEP = 49;
export const H_SPACE_EPOCH = 64;
export const H_WRITERS_ASLEEP = 65;

export const HEADER_BYTES = 320;
export const SLOT_HEADER_BYTES = 8;

/** Most slots a ring may have (after rounding up to a power of two). */
export const MAX_SLOTS = 2 ** 24;
/** Most bytes one record may have. */
export const MAX_SLOT_SIZE = 2 ** 28;
/** Most bytes the whole SharedArrayBuffer may have (Int32Array indexing and typical memory). */
export const MAX_BYTES = 2 ** 31 - 8;

/** Bytes one slot takes, header and padding included. */
export function strideBytes(slotSize: number): number {
  return Math.ceil((SLOT_HEADER_BYTES + slotSize) / 8) * 8;
}

/** Bytes of the SharedArrayBuffer for `slots` slots of `slotSize` bytes. */
export function byteLengthFor(slots: number, slotSize: number): number {
  return HEADER_BYTES + slots * strideBytes(slotSize);
}
