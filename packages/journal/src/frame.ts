import { crc32 } from "./crc";

/**
 * Frame layout (little endian):
 *   0  u32 crc32 of bytes 4 .. end (length, LSN and body: the length is never trusted unchecked)
 *   4  u32 body length
 *   8  u64 LSN
 *   16 body (msgpack array of ops)
 */
export const FRAME_HEADER_BYTES = 16;

/** Largest body a frame may carry; anything claiming more is corrupt, not torn. */
export const MAX_FRAME_BODY_BYTES = 256 * 1024 * 1024;

/** Writes a frame for `body` at `offset` of `target` (which must have room); returns the frame's size. */
export function writeFrame(target: Buffer, offset: number, lsn: number, body: Uint8Array): number {
  target.writeUInt32LE(body.length, offset + 4);
  target.writeUInt32LE(lsn >>> 0, offset + 8);
  target.writeUInt32LE(Math.floor(lsn / 0x1_0000_0000), offset + 12);
  target.set(body, offset + FRAME_HEADER_BYTES);
  const end = offset + FRAME_HEADER_BYTES + body.length;
  target.writeUInt32LE(crc32(view(target, offset + 4, end)), offset);
  return end - offset;
}

/**
 * Completes a frame whose body is already in place at `offset + FRAME_HEADER_BYTES`
 * (encoded there directly): writes the header and the checksum; returns the frame's size.
 */
export function sealFrame(target: Buffer, offset: number, lsn: number, bodyLength: number): number {
  target.writeUInt32LE(bodyLength, offset + 4);
  target.writeUInt32LE(lsn >>> 0, offset + 8);
  target.writeUInt32LE(Math.floor(lsn / 0x1_0000_0000), offset + 12);
  const end = offset + FRAME_HEADER_BYTES + bodyLength;
  target.writeUInt32LE(crc32(view(target, offset + 4, end)), offset);
  return end - offset;
}

/** Reads the LSN field of the frame at `offset`. */
export function frameLsn(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 8) + buf.readUInt32LE(offset + 12) * 0x1_0000_0000;
}

/** Reads the body-length field of the frame at `offset`. */
export function frameBodyLength(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 4);
}

/** True when a whole, checksum-valid frame starts at `offset` of `buf[0..end)`. */
export function isValidFrame(buf: Buffer, offset: number, end: number): boolean {
  if (end - offset < FRAME_HEADER_BYTES) return false;
  const len = buf.readUInt32LE(offset + 4);
  if (len === 0 || len > MAX_FRAME_BODY_BYTES || offset + FRAME_HEADER_BYTES + len > end) return false;
  return crc32(view(buf, offset + 4, offset + FRAME_HEADER_BYTES + len)) === buf.readUInt32LE(offset);
}

/** A plain Uint8Array view of `buf[start..end)`: much cheaper to create than a Buffer subarray. */
export function view(buf: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
}
