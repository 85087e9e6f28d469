import { join } from "node:path";
import { JournalCorruptError, MqError, type RecoveryHandler, type RecoveryReport } from "@mq/core";
import { decode, decodeRecords } from "./codec";
import type { FailpointHook } from "./failpoints";
import type { JournalFs } from "./fs/journal-fs";
import { parseSegmentName, parseSnapshotName, snapshotName } from "./layout";
import { scanSegment } from "./segment-scan";
import { checkSnapshotFile } from "./snapshot-file";

/** A segment file known to the journal. */
export interface SegmentInfo {
  readonly base: number;
  readonly name: string;
}

/** Everything `open()` needs after recovery. */
export interface RecoveryResult {
  readonly report: RecoveryReport;
  readonly segments: SegmentInfo[];
  /** Size of the last segment after any truncation (0 when there is none). */
  readonly activeSize: number;
  /** LSNs of the snapshot files present, ascending. */
  readonly snapshots: number[];
}

/** Inputs of {@link recover}. */
export interface RecoveryContext {
  readonly fs: JournalFs;
  readonly journalDir: string;
  readonly snapshotDir: string;
  readonly handler: RecoveryHandler;
  readonly skip: boolean;
  readonly failpoint: FailpointHook;
  readonly now: () => number;
  readonly onTruncated: (info: { file: string; offset: number; bytes: number }) => void;
}

type Skipped = { file: string; offset: number; lsnGap?: readonly [number, number] };

/**
 * Newest valid snapshot, then every frame after it in LSN order. Torn tails
 * are truncated (and the truncation synced); anything else that is wrong is a
 * `JournalCorruptError` unless skipping. Recovered segments are fsynced before
 * `open()` lets anything be deleted.
 */
export async function recover(ctx: RecoveryContext): Promise<RecoveryResult> {
  const started = ctx.now();
  const { fs } = ctx;
  let tempFilesRemoved = 0;

  const snapshotLsns: number[] = [];
  for (const entry of await fs.readdir(ctx.snapshotDir)) {
    if (entry.type !== "file") continue; // symlinks and folders are never followed
    if (entry.name.endsWith(".tmp")) {
      await fs.unlink(join(ctx.snapshotDir, entry.name));
      tempFilesRemoved++;
      continue;
    }
    const lsn = parseSnapshotName(entry.name);
    if (lsn !== undefined) snapshotLsns.push(lsn);
  }
  snapshotLsns.sort((a, b) => a - b);

  const segments: SegmentInfo[] = [];
  for (const entry of await fs.readdir(ctx.journalDir)) {
    if (entry.type !== "file") continue;
    const base = parseSegmentName(entry.name);
    if (base !== undefined) segments.push({ base, name: entry.name });
  }
  segments.sort((a, b) => a.base - b.base);
  // Empty segments (a crash right after a roll) hold nothing; drop them so their names can be reused.
  for (let i = segments.length - 1; i >= 0; i--) {
    const path = join(ctx.journalDir, segments[i]!.name);
    const fd = await fs.open(path, "read");
    let size: number;
    try {
      size = await fs.size(fd);
    } finally {
      await fs.close(fd);
    }
    if (size === 0) {
      await fs.unlink(path);
      segments.splice(i, 1);
    }
  }

  // The next segment is read while this one is scanned, and the first while the snapshot is restored.
  const read = (i: number): Promise<Buffer> | undefined => {
    const seg = segments[i];
    if (!seg) return undefined;
    const pending = readBytes(fs, join(ctx.journalDir, seg.name));
    pending.catch(() => undefined); // awaited below; never an unhandled rejection if we stop early
    return pending;
  };
  let nextRead = read(0);

  // Newest snapshot that validates; an older one (and the longer replay it needs) if it does not.
  let snapLsn = 0;
  const problems: string[] = [];
  for (let i = snapshotLsns.length - 1; i >= 0; i--) {
    const lsn = snapshotLsns[i]!;
    const file = join(ctx.snapshotDir, snapshotName(lsn));
    let restoring = false;
    try {
      const snap = checkSnapshotFile(await readBytes(fs, file), lsn, file);
      const handler = ctx.handler;
      if (handler.beginRestore === undefined) {
        const items: unknown[] = [];
        for (const block of snap.blocks()) for (const item of block) items.push(item);
        handler.restore({ meta: snap.meta, items }, lsn);
      } else {
        // Streamed: each block is decoded, handed over and dropped, so the decoded items are never all alive at once.
        restoring = true;
        const sink = handler.beginRestore(snap.meta, lsn, snap.count);
        // A sink that decodes its own items gets the blocks as stored: no intermediate array per item.
        if (sink.encodedItems !== undefined) snap.encodedBlocks(sink.encodedItems.bind(sink));
        else for (const block of snap.blocks()) sink.items(block);
        sink.end();
      }
      snapLsn = lsn;
      break;
    } catch (error) {
      // Part of this snapshot is restored already: an older one cannot be layered over it.
      if (restoring && !MqError.isInstance(error)) throw new JournalCorruptError(file, 0, `snapshot damaged past its checksums: ${error instanceof Error ? error.message : String(error)}`);
      if (restoring) throw error;
      // Data written by a newer version is not damage: never fall back past it or skip it.
      if (MqError.hasCode(error, "MQ_UNSUPPORTED_VERSION")) throw error;
      problems.push(`${snapshotName(lsn)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (snapshotLsns.length > 0 && snapLsn === 0 && segments[0]?.base !== 1) {
    const newest = snapshotLsns[snapshotLsns.length - 1]!;
    throw new JournalCorruptError(join(ctx.snapshotDir, snapshotName(newest)), 0, `no snapshot is valid and the journal does not reach back to LSN 1 (${problems.join("; ")})`);
  }

  let prev = 0;
  let framesReplayed = 0;
  let opsReplayed = 0;
  let activeSize = 0;
  let truncated: RecoveryReport["truncated"];
  const skipped: Skipped[] = [];
  const replay = (ops: unknown, lsn: number, file: string, offset: number): void => {
    if (!Array.isArray(ops)) throw new JournalCorruptError(file, offset, `record ${lsn} is not an array of ops`);
    ctx.handler.apply(ops, lsn);
    framesReplayed++;
    opsReplayed += ops.length;
  };
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const file = join(ctx.journalDir, seg.name);
    const last = i === segments.length - 1;
    const buf = await nextRead!;
    nextRead = read(i + 1);
    // Decoding from a plain Uint8Array (not a Buffer) keeps msgpackr's binary copies on V8's fast path.
    const plain = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    let gapPending: Skipped | undefined;
    const scan = scanSegment(buf, {
      last,
      skip: ctx.skip,
      prevLsn: prev,
      onSkip: (offset) => {
        gapPending = { file, offset };
        skipped.push(gapPending);
      },
      onFrame: (lsn, bodyStart, bodyEnd, offset, count, group) => {
        if (offset === 0 && lsn !== seg.base) throw new JournalCorruptError(file, offset, `segment named for LSN ${seg.base} starts with LSN ${lsn}`);
        if (lsn <= prev) throw new JournalCorruptError(file, offset, `LSN ${lsn} does not follow ${prev} (duplicated or out of order)`);
        if (lsn !== prev + 1 && lsn > snapLsn + 1) {
          const gap = [prev + 1, lsn - 1] as const;
          if (!ctx.skip) throw new JournalCorruptError(file, offset, `LSNs ${gap[0]}..${gap[1]} are missing`);
          if (gapPending) Object.assign(gapPending, { lsnGap: gap });
          else skipped.push({ file, offset, lsnGap: gap });
        }
        gapPending = undefined;
        const last = lsn + count - 1;
        prev = last;
        if (last <= snapLsn) return;
        if (!group) {
          replay(decodeFrame(plain, bodyStart, bodyEnd, file, offset), lsn, file, offset);
          return;
        }
        const records = decodeGroup(plain, bodyStart, bodyEnd, count, file, offset);
        // A snapshot may be labelled with an LSN inside a group: replay only what it does not cover.
        for (let i = Math.max(0, snapLsn - lsn + 1); i < count; i++) replay(records[i], lsn + i, file, offset);
      },
    });
    if (scan.corrupt) throw new JournalCorruptError(file, scan.corrupt.offset, scan.corrupt.problem);
    if (scan.validEnd < buf.length && last) {
      // A torn tail, or (when skipping) a corrupt tail with nothing after it: cut it off and make the cut durable.
      const fd = await fs.open(file, "readWrite");
      try {
        await fs.ftruncate(fd, scan.validEnd);
        await fs.fdatasync(fd);
      } finally {
        await fs.close(fd);
      }
      if (scan.torn) {
        truncated = { file, offset: scan.torn.offset, bytes: scan.torn.bytes };
        ctx.onTruncated(truncated);
      }
      ctx.failpoint("recovery.afterTruncate");
    }
    if (last) activeSize = scan.validEnd;
  }

  // Data read back may have been only in the page cache (kill -9): make it durable before anything is deleted.
  for (const seg of segments) {
    const fd = await fs.open(join(ctx.journalDir, seg.name), "read");
    try {
      await fs.fdatasync(fd);
    } finally {
      await fs.close(fd);
    }
  }
  if (segments.length > 0) await fs.syncDir(ctx.journalDir);
  ctx.failpoint("recovery.afterReplay");

  const report: RecoveryReport = {
    snapshotLsn: snapLsn,
    framesReplayed,
    opsReplayed,
    lastLsn: Math.max(prev, snapLsn),
    ...(truncated ? { truncated } : {}),
    skipped,
    tempFilesRemoved,
    durationMs: ctx.now() - started,
  };
  return { report, segments, activeSize, snapshots: snapshotLsns };
}

async function readBytes(fs: JournalFs, file: string): Promise<Buffer> {
  const bytes = await fs.readFile(file);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeFrame(bytes: Uint8Array, start: number, end: number, file: string, offset: number): unknown {
  try {
    return decode(bytes, start, end);
  } catch (error) {
    throw new JournalCorruptError(file, offset, `frame body does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decodeGroup(bytes: Uint8Array, start: number, end: number, count: number, file: string, offset: number): unknown[] {
  let records: unknown[];
  try {
    records = decodeRecords(bytes, start, end);
  } catch (error) {
    throw new JournalCorruptError(file, offset, `group frame body does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (records.length !== count) throw new JournalCorruptError(file, offset, `group frame says ${count} records but holds ${records.length}`);
  return records;
}
