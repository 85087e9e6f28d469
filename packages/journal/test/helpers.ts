import { RecordingHandler } from "@mq/core/testing";
import { encode } from "../src/codec";
import { FRAME_HEADER_BYTES, writeFrame } from "../src/frame";
import { createFilePersistence, type FilePersistence } from "../src/file-persistence";
import type { FilePersistenceOptions } from "../src/options";
import type { FaultFs } from "../src/fs/fault-fs";
import { segmentName } from "../src/layout";

export { RecordingHandler };

/** Encodes frames into one segment's bytes; returns the bytes and each frame's offset. */
export function buildSegment(frames: readonly { lsn: number; ops: unknown[] }[]): { bytes: Buffer; offsets: number[] } {
  const bodies = frames.map((f) => Buffer.from(encode(f.ops)));
  const total = bodies.reduce((n, b) => n + FRAME_HEADER_BYTES + b.length, 0);
  const bytes = Buffer.alloc(total);
  const offsets: number[] = [];
  let o = 0;
  frames.forEach((f, i) => {
    offsets.push(o);
    o += writeFrame(bytes, o, f.lsn, bodies[i]!);
  });
  return { bytes, offsets };
}

/** Frames with LSNs from..to, each holding one op `{ n: lsn, pad }` of about `padBytes`. */
export function framesFor(from: number, to: number, padBytes = 8): { lsn: number; ops: unknown[] }[] {
  const out: { lsn: number; ops: unknown[] }[] = [];
  for (let lsn = from; lsn <= to; lsn++) out.push({ lsn, ops: [{ n: lsn, pad: "p".repeat(padBytes) }] });
  return out;
}

/** Writes a segment file straight into a FaultFs data folder. */
export function putSegment(fs: FaultFs, dataDir: string, firstLsn: number, bytes: Uint8Array): string {
  const path = `${dataDir}/journal/${segmentName(firstLsn)}`;
  fs.writeFileSync(path, bytes);
  return path;
}

/** Makes the folder layout on a FaultFs without opening a journal. */
export async function makeLayout(fs: FaultFs, dataDir: string): Promise<void> {
  await fs.mkdir(`${dataDir}/journal`);
  await fs.mkdir(`${dataDir}/snapshots`);
}

/** Opens a journal and returns it with its recording handler, or the error open() threw. */
export async function tryOpen(options: FilePersistenceOptions): Promise<{ p: FilePersistence; h: RecordingHandler; report: Awaited<ReturnType<FilePersistence["open"]>> } | { error: unknown }> {
  const p = createFilePersistence({ snapshotEveryMs: 0, snapshotEveryOps: 0, ...options });
  const h = new RecordingHandler();
  try {
    const report = await p.open(h);
    return { p, h, report };
  } catch (error) {
    return { error };
  }
}

/** The `n` fields of recovered ops, in order. */
export function ns(h: RecordingHandler): number[] {
  return h.ops.map((op) => (op as { n: number }).n);
}

/** [from, from+1, …, to] */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
