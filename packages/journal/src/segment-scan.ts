import { crc32 } from "./crc";
import { FRAME_HEADER_BYTES, GROUP_COUNT_BYTES, GROUP_FLAG, MAX_FRAME_BODY_BYTES, frameBodyLength, frameLsn, isValidFrame, plausibleCount } from "./frame";

const SECTOR = 512;
// A zero run this long, aligned to a sector edge, is taken as a sector that never reached the disk.
const MIN_ZERO_RUN = 32;

/** What scanning one segment found. */
export interface SegmentScan {
  /** Where the valid data ends; a torn or skipped tail starts here. */
  readonly validEnd: number;
  /** A torn tail (Decision 1): incomplete or zero-filled, nothing valid after it. */
  readonly torn?: { readonly offset: number; readonly bytes: number };
  /** The first corrupt frame (only when not skipping). */
  readonly corrupt?: { readonly offset: number; readonly problem: string };
  /** Corrupt regions passed over when skipping. */
  readonly skipped: readonly { readonly offset: number }[];
  /** LSN of the last valid frame, or `prevLsn` when none. */
  readonly lastLsn: number;
}

/** Options of {@link scanSegment}. */
export interface ScanOptions {
  /** The newest segment: only here can a bad tail be torn rather than corrupt. */
  readonly last: boolean;
  /** Skip corrupt frames instead of stopping at the first. */
  readonly skip: boolean;
  /** LSN of the frame before this segment (0 when none). */
  readonly prevLsn: number;
  /** Called for each corrupt region passed over when skipping. */
  readonly onSkip?: (offset: number) => void;
  /**
   * Called for every valid frame in file order. `lsn` is its (first) LSN; a
   * group frame (`group`) holds `count` records encoded back to back in
   * `bodyStart..bodyEnd`, a record frame one.
   */
  readonly onFrame: (lsn: number, bodyStart: number, bodyEnd: number, offset: number, count: number, group: boolean) => void;
}

/**
 * Walks the frames of one segment and classifies the first bad one, exactly as
 * DESIGN Decision 1 says: torn only when it is in the last segment, nothing
 * valid follows it (a scan ahead checks), and it is incomplete or zero-filled;
 * otherwise corrupt.
 */
export function scanSegment(buf: Buffer, options: ScanOptions): SegmentScan {
  const end = buf.length;
  const skipped: { offset: number }[] = [];
  let lastLsn = options.prevLsn;
  let o = 0;
  const onFrame = options.onFrame;
  // One plain view over the segment: each frame's checksum view is cut from it without going through Buffer.
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  while (o < end) {
    // The common case, inline: a whole frame whose checksum matches.
    if (end - o >= FRAME_HEADER_BYTES) {
      const field = buf.readUInt32LE(o + 4);
      const group = field >= GROUP_FLAG;
      const len = group ? field - GROUP_FLAG : field;
      const bodyEnd = o + FRAME_HEADER_BYTES + len;
      if (
        len !== 0 &&
        len <= MAX_FRAME_BODY_BYTES &&
        bodyEnd <= end &&
        crc32(bytes.subarray(o + 4, bodyEnd)) === buf.readUInt32LE(o) &&
        (!group || plausibleCount(buf, o, len))
      ) {
        const lsn = buf.readUInt32LE(o + 8) + buf.readUInt32LE(o + 12) * 0x1_0000_0000;
        const count = group ? buf.readUInt32LE(o + FRAME_HEADER_BYTES) : 1;
        onFrame(lsn, o + FRAME_HEADER_BYTES + (group ? GROUP_COUNT_BYTES : 0), bodyEnd, o, count, group);
        lastLsn = lsn + count - 1;
        o = bodyEnd;
        continue;
      }
    }
    const next = findNextFrame(buf, o + 1, lastLsn);
    if (next < 0 && options.last && isTornTail(buf, o)) return { validEnd: o, torn: { offset: o, bytes: end - o }, skipped, lastLsn };
    const problem = describe(buf, o, next);
    if (!options.skip) return { validEnd: o, corrupt: { offset: o, problem }, skipped, lastLsn };
    skipped.push({ offset: o });
    options.onSkip?.(o);
    if (next < 0) return { validEnd: o, skipped, lastLsn };
    o = next;
  }
  return { validEnd: end, skipped, lastLsn };
}

/** Offset of the next checksum-valid frame with a plausible LSN after `from`, or -1. */
export function findNextFrame(buf: Buffer, from: number, prevLsn: number): number {
  const end = buf.length;
  // Candidates are found by the high word of their LSN (native search), then checked in full.
  const hi = Buffer.alloc(4);
  hi.writeUInt32LE(Math.floor((prevLsn + 1) / 0x1_0000_0000));
  let search = from + 12;
  for (;;) {
    const h = buf.indexOf(hi, search);
    if (h < 0) return -1;
    const p = h - 12;
    search = h + 1;
    if (p + FRAME_HEADER_BYTES >= end) return -1;
    const len = frameBodyLength(buf, p);
    if (len === 0 || p + FRAME_HEADER_BYTES + len > end) continue;
    const lsn = frameLsn(buf, p);
    // Every record in between takes at least one byte (a group frame packs many), which bounds how far the LSN can have moved.
    if (lsn <= prevLsn || lsn > prevLsn + 2 + (p - from + 1)) continue;
    if (isValidFrame(buf, p, end)) return p;
  }
}

/** Decision 1's torn test for a bad frame at `o` with nothing valid after it. */
export function isTornTail(buf: Buffer, o: number): boolean {
  const end = buf.length;
  if (isZero(buf, o, end)) return true;
  if (end - o < FRAME_HEADER_BYTES) return true;
  const len = frameBodyLength(buf, o);
  const plausible = len > 0 && len <= MAX_FRAME_BODY_BYTES;
  if (plausible && o + FRAME_HEADER_BYTES + len > end) {
    // It runs past the end: torn, unless the bytes that are there form a whole frame whose length field was damaged.
    return !checksumMatchesWithLength(buf, o, end - o - FRAME_HEADER_BYTES);
  }
  return hasZeroSector(buf, o, plausible ? o + FRAME_HEADER_BYTES + len : end);
}

function checksumMatchesWithLength(buf: Buffer, o: number, len: number): boolean {
  if (len <= 0) return false;
  const lenBytes = Buffer.alloc(4);
  // The damaged field may have belonged to a record frame or to a group frame.
  for (const field of [len, (len | GROUP_FLAG) >>> 0]) {
    lenBytes.writeUInt32LE(field);
    if (crc32(buf.subarray(o + 8, o + FRAME_HEADER_BYTES + len), crc32(lenBytes)) === buf.readUInt32LE(o)) return true;
  }
  return false;
}

function hasZeroSector(buf: Buffer, start: number, stop: number): boolean {
  for (let s = Math.floor(start / SECTOR) * SECTOR; s < stop; s += SECTOR) {
    const a = Math.max(s, start);
    const b = Math.min(s + SECTOR, stop);
    if ((b - a >= MIN_ZERO_RUN || (a === start && b === stop)) && isZero(buf, a, b)) return true;
  }
  return false;
}

function isZero(buf: Buffer, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) if (buf[i] !== 0) return false;
  return true;
}

function describe(buf: Buffer, o: number, next: number): string {
  const end = buf.length;
  const after = next >= 0 ? ` (a valid frame follows at byte ${next})` : "";
  if (end - o < FRAME_HEADER_BYTES) return `truncated frame header${after}`;
  const len = frameBodyLength(buf, o);
  if (len === 0 || len > MAX_FRAME_BODY_BYTES) return `implausible frame length ${len}${after}`;
  if (o + FRAME_HEADER_BYTES + len > end) return `frame length ${len} runs past the end of the file${after}`;
  return `checksum mismatch${after}`;
}
