import { crc32 } from "./crc";
import { UnsupportedVersionError, type SnapshotData } from "@mq/core";
import { decode, decodeViews, encode } from "./codec";
import type { JournalFs } from "./fs/journal-fs";

/**
 * Snapshot layout: a sequence of blocks `[u32 length][u32 crc32 of body][body]`.
 * Block 0 is a msgpack header `{ format, v, lsn, items, meta }`, then blocks of
 * item arrays, then a trailer `{ end: lsn, items }`. A file is valid only if
 * every block checks out and the trailer is present and agrees.
 */
const FORMAT = "mq-snapshot";
/** The snapshot format version this code writes and the newest it reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;
const BLOCK_HEADER_BYTES = 8;
// Encoding pauses after this long so a large snapshot never stalls the event loop.
const SLICE_BUDGET_MS = 4;
const FLUSH_BYTES = 1024 * 1024;

/** Hooks {@link writeSnapshotFile} calls while it writes. */
export interface SnapshotWriteHooks {
  /** Called once, after the first block of items is written. */
  readonly midWrite?: () => void;
  readonly now: () => number;
}

/** Encodes `data` into `fd` in slices, yielding to the event loop between them; returns bytes written. */
export async function writeSnapshotFile(fs: JournalFs, fd: number, lsn: number, data: SnapshotData, hooks: SnapshotWriteHooks): Promise<number> {
  let position = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let announced = false;
  const push = (body: Uint8Array): void => {
    const block = Buffer.allocUnsafe(BLOCK_HEADER_BYTES + body.length);
    block.writeUInt32LE(body.length, 0);
    block.writeUInt32LE(crc32(body), 4);
    block.set(body, BLOCK_HEADER_BYTES);
    pending.push(block);
    pendingBytes += block.length;
  };
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    const buffers = pending;
    const total = pendingBytes;
    pending = [];
    pendingBytes = 0;
    await writeAll(fs, fd, buffers, total, position);
    position += total;
    if (!announced) {
      announced = true;
      hooks.midWrite?.();
    }
  };

  const items = data.items;
  push(encode({ format: FORMAT, v: SNAPSHOT_FORMAT_VERSION, lsn, items: items.length, meta: data.meta }));
  let i = 0;
  let chunk = 256;
  while (i < items.length) {
    const started = hooks.now();
    while (i < items.length && hooks.now() - started < SLICE_BUDGET_MS && pendingBytes < FLUSH_BYTES) {
      const stop = Math.min(items.length, i + chunk);
      push(encode(data.encodeItem === undefined ? items.slice(i, stop) : mapSlice(items, i, stop, data.encodeItem)));
      i = stop;
      if (chunk < 1024) chunk *= 2;
    }
    await flush();
  }
  push(encode({ end: lsn, items: items.length }));
  await flush();
  return position;
}

/** A snapshot file whose every block checked out: its meta, item count, and the item blocks still to decode. */
export interface CheckedSnapshot {
  readonly lsn: number;
  readonly meta: unknown;
  readonly count: number;
  readonly bytes: number;
  /**
   * Decodes the item blocks one at a time, in order (binary values as views
   * of the file's buffer: the consumer copies what it keeps). Throws when a
   * block that passed its checksum does not decode to items, or the counts
   * disagree: damage no checksum caught, after the consumer took earlier blocks.
   */
  blocks(): Generator<readonly unknown[]>;
  /**
   * Hands the item blocks over undecoded, in order, for a consumer that
   * decodes its own items: `consume(bytes, start, end, decode)` reads the
   * msgpack array in `bytes[start..end)` (`decode(s, e)` decodes one value
   * as {@link blocks} would) and returns how many items it held. Throws as
   * {@link blocks} does when the counts disagree with the header.
   */
  encodedBlocks(consume: EncodedBlockConsumer): void;
}

/** Reads one encoded item block; returns its item count. */
export type EncodedBlockConsumer = (bytes: Uint8Array, start: number, end: number, decode: (start: number, end: number) => unknown) => number;

/**
 * Validates a snapshot file without decoding its items: every block's length
 * and checksum, the header and the trailer. Throws an Error describing the
 * first problem, or an `UnsupportedVersionError` when a newer version wrote it.
 */
export function checkSnapshotFile(buf: Buffer, expectedLsn: number, file = "snapshot"): CheckedSnapshot {
  const plain = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  // Offsets of every block's body, checked once here; decoding comes later, block by block.
  const starts: number[] = [];
  const ends: number[] = [];
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < BLOCK_HEADER_BYTES) throw new Error(`snapshot ends inside a block header at byte ${o}`);
    const len = buf.readUInt32LE(o);
    if (o + BLOCK_HEADER_BYTES + len > buf.length) throw new Error(`snapshot block at byte ${o} runs past the end`);
    const start = o + BLOCK_HEADER_BYTES;
    if (crc32(new Uint8Array(buf.buffer, buf.byteOffset + start, len)) !== buf.readUInt32LE(o + 4)) throw new Error(`snapshot block at byte ${o} fails its checksum`);
    starts.push(start);
    ends.push(start + len);
    o = start + len;
  }
  if (starts.length === 0) throw new Error("not an mq snapshot (bad header)");
  const header = decode(plain, starts[0], ends[0]) as { format?: unknown; v?: unknown; lsn?: unknown; items?: unknown; meta?: unknown } | null;
  if (header?.format !== FORMAT) throw new Error("not an mq snapshot (bad header)");
  // Checked before anything else in the header: a newer format may lay the rest out differently.
  if (typeof header.v === "number" && Number.isInteger(header.v) && header.v > SNAPSHOT_FORMAT_VERSION) {
    throw new UnsupportedVersionError("snapshot format version", header.v, `${file} was written by a newer @mq/journal; this one reads snapshot format versions up to ${SNAPSHOT_FORMAT_VERSION}; recovery stopped and changed nothing`);
  }
  if (header.v !== SNAPSHOT_FORMAT_VERSION) throw new Error(`snapshot header has an invalid format version ${String(header.v)}`);
  if (header.lsn !== expectedLsn) throw new Error(`snapshot header says LSN ${String(header.lsn)}, its name says ${expectedLsn}`);
  const count = header.items;
  if (typeof count !== "number") throw new Error("snapshot header has no item count");
  const last = starts.length - 1;
  if (last === 0) throw new Error("snapshot trailer missing or inconsistent");
  const trailer = decode(plain, starts[last], ends[last]) as { end?: unknown; items?: unknown } | null;
  if (trailer?.end !== expectedLsn || trailer.items !== count) throw new Error("snapshot trailer missing or inconsistent");
  return {
    lsn: expectedLsn,
    meta: header.meta,
    count,
    bytes: buf.length,
    *blocks() {
      let seen = 0;
      for (let i = 1; i < last; i++) {
        const block = decodeViews(plain, starts[i]!, ends[i]!);
        if (!Array.isArray(block)) throw new Error(`snapshot item block at byte ${starts[i]! - BLOCK_HEADER_BYTES} is not an array`);
        seen += block.length;
        if (seen > count) throw new Error("snapshot holds more items than its header says");
        yield block;
      }
      if (seen !== count) throw new Error(`snapshot holds ${seen} items, its header says ${count}`);
    },
    encodedBlocks(consume) {
      const decodeOne = (start: number, end: number): unknown => decodeViews(plain, start, end);
      let seen = 0;
      for (let i = 1; i < last; i++) {
        seen += consume(plain, starts[i]!, ends[i]!, decodeOne);
        if (seen > count) throw new Error("snapshot holds more items than its header says");
      }
      if (seen !== count) throw new Error(`snapshot holds ${seen} items, its header says ${count}`);
    },
  };
}

/**
 * Decodes and validates a snapshot file whole (the non-streaming form of
 * {@link checkSnapshotFile}); throws as it does.
 */
export function readSnapshotFile(buf: Buffer, expectedLsn: number, file = "snapshot"): { lsn: number; data: SnapshotData; bytes: number } {
  const checked = checkSnapshotFile(buf, expectedLsn, file);
  const items: unknown[] = [];
  for (const block of checked.blocks()) for (const item of block) items.push(item);
  return { lsn: expectedLsn, data: { meta: checked.meta, items }, bytes: buf.length };
}

/** Writes every byte of `buffers` at `position`, continuing after short writes; a write of 0 bytes is an error. */
export async function writeAll(fs: JournalFs, fd: number, buffers: readonly Uint8Array[], total: number, position: number): Promise<void> {
  let written = await fs.writev(fd, buffers, position);
  while (written < total) {
    if (written <= 0) throw Object.assign(new Error("short write: the file system accepted no bytes"), { code: "ESHORTWRITE" });
    const rest = sliceFrom(buffers, written);
    const n = await fs.writev(fd, rest, position + written);
    if (n <= 0) throw Object.assign(new Error(`short write: ${written} of ${total} bytes written`), { code: "ESHORTWRITE" });
    written += n;
  }
}

function sliceFrom(buffers: readonly Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = skip;
  for (const b of buffers) {
    if (left >= b.length) {
      left -= b.length;
      continue;
    }
    out.push(left > 0 ? b.subarray(left) : b);
    left = 0;
  }
  return out;
}

/** `items[start..stop)` through `encodeItem`, read now: live items are stored as they are at this moment. */
function mapSlice(items: readonly unknown[], start: number, stop: number, encodeItem: (item: unknown) => unknown): unknown[] {
  const out = new Array<unknown>(stop - start);
  for (let k = start; k < stop; k++) out[k - start] = encodeItem(items[k]);
  return out;
}
