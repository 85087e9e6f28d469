import { crc32 } from "./crc";

/**
 * Frame layout (little endian):
 *   0  u32 crc32 of bytes 4 .. end (length, LSN and body: the length is never trusted unchecked)
 *   4  u32 body length; the top bit marks a group frame
 *   8  u64 LSN (of the first record, in a group frame)
 *   16 body
 *
 * A record frame's body is one msgpack array of ops (one `append()`); that is
 * the only kind the first release wrote, and `always` mode still writes it.
 * A group frame's body is `u32 count` then `count` msgpack arrays of ops back
 * to back: every append of one group-commit round, LSNs `LSN .. LSN+count-1`,
 * one checksum and one decode call for all of them. Both kinds are read; a
 * release without group frames sees the flag as an implausible length and
 * reports corruption rather than misreading them.
 */
export const FRAME_HEADER_BYTES = 16;

/**
 * Segment format version: 1 = record frames only (the first release);
 * 2 = record and group frames. This code reads both and writes 2. Segments
 * carry no version field: the group flag in the length field is what a
 * version-1 reader would reject (as an implausible length).
 */
export const SEGMENT_FORMAT_VERSION = 2;

/** Bytes of a group frame's record count, at the start of its body. */
export const GROUP_COUNT_BYTES = 4;

/** Set in the length field of a group frame. */
export const GROUP_FLAG = 0x8000_0000;

const LENGTH_MASK = 0x7fff_ffff;

/** Largest body a frame may carry; anything claiming more is corrupt, not torn. */
export const MAX_FRAME_BODY_BYTES = 256 * 1024 * 1024;

/** Writes a frame for `body` at `offset` of `target` (which must have room); returns the frame's size. */
export function writeFrame(target: Buffer, offset: number, lsn: number, body: Uint8Array): number {
  target.set(body, offset + FRAME_HEADER_BYTES);
  return sealFrame(target, offset, lsn, body.length);
}

/**
 * Completes a record frame whose body is already in place at `offset + FRAME_HEADER_BYTES`
 * (encoded there directly): writes the header and the checksum; returns the frame's size.
 */
export function sealFrame(target: Buffer, offset: number, lsn: number, bodyLength: number): number {
  return seal(target, offset, lsn, bodyLength, bodyLength);
}

/**
 * Completes a group frame of `count` records whose encoded records lie at
 * `offset + FRAME_HEADER_BYTES + GROUP_COUNT_BYTES .. end`; returns the frame's size.
 */
export function sealGroupFrame(target: Buffer, offset: number, firstLsn: number, count: number, end: number): number {
  target.writeUInt32LE(count, offset + FRAME_HEADER_BYTES);
  const bodyLength = end - offset - FRAME_HEADER_BYTES;
  return seal(target, offset, firstLsn, bodyLength, (bodyLength | GROUP_FLAG) >>> 0);
}

function seal(target: Buffer, offset: number, lsn: number, bodyLength: number, lengthField: number): number {
  target.writeUInt32LE(lengthField, offset + 4);
  target.writeUInt32LE(lsn >>> 0, offset + 8);
  target.writeUInt32LE(Math.floor(lsn / 0x1_0000_0000), offset + 12);
  const end = offset + FRAME_HEADER_BYTES + bodyLength;
  target.writeUInt32LE(crc32(view(target, offset + 4, end)), offset);
  return end - offset;
}

/** Reads the LSN field of the frame at `offset` (the first record's, in a group frame). */
export function frameLsn(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 8) + buf.readUInt32LE(offset + 12) * 0x1_0000_0000;
}

/** Reads the body length of the frame at `offset` (without the group flag). */
export function frameBodyLength(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 4) & LENGTH_MASK;
}

/** True when the frame at `offset` is a group frame. */
export function isGroupFrame(buf: Buffer, offset: number): boolean {
  return (buf.readUInt32LE(offset + 4) & GROUP_FLAG) !== 0;
}

/** How many records (appends) the valid frame at `offset` holds. */
export function frameRecordCount(buf: Buffer, offset: number): number {
  return isGroupFrame(buf, offset) ? buf.readUInt32LE(offset + FRAME_HEADER_BYTES) : 1;
}

/** True when a whole, checksum-valid frame starts at `offset` of `buf[0..end)`. */
export function isValidFrame(buf: Buffer, offset: number, end: number): boolean {
  if (end - offset < FRAME_HEADER_BYTES) return false;
  const field = buf.readUInt32LE(offset + 4);
  const len = field & LENGTH_MASK;
  if (len === 0 || len > MAX_FRAME_BODY_BYTES || offset + FRAME_HEADER_BYTES + len > end) return false;
  if (crc32(view(buf, offset + 4, offset + FRAME_HEADER_BYTES + len)) !== buf.readUInt32LE(offset)) return false;
  return (field & GROUP_FLAG) === 0 || plausibleCount(buf, offset, len);
}

/** A group frame holds at least one record, and every record takes at least one byte. */
export function plausibleCount(buf: Buffer, offset: number, bodyLength: number): boolean {
  if (bodyLength <= GROUP_COUNT_BYTES) return false;
  const count = buf.readUInt32LE(offset + FRAME_HEADER_BYTES);
  return count >= 1 && count <= bodyLength - GROUP_COUNT_BYTES;
}

/** A plain Uint8Array view of `buf[start..end)`: much cheaper to create than a Buffer subarray. */
export function view(buf: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
}
