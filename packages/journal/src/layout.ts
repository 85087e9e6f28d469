import { join } from "node:path";

/** File names inside the data folder. */
export const JOURNAL_DIR = "journal";
export const SNAPSHOT_DIR = "snapshots";

const SEGMENT_RE = /^(\d{20})\.seg$/;
const SNAPSHOT_RE = /^snap-(\d{20})\.snap$/;

/** `journal/<first LSN, 20 digits>.seg` */
export function segmentName(firstLsn: number): string {
  return `${String(firstLsn).padStart(20, "0")}.seg`;
}

/** `snapshots/snap-<LSN, 20 digits>.snap` */
export function snapshotName(lsn: number): string {
  return `snap-${String(lsn).padStart(20, "0")}.snap`;
}

/** The first LSN a segment file name encodes, or undefined for other names. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_RE.exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** The LSN a snapshot file name encodes, or undefined for other names. */
export function parseSnapshotName(name: string): number | undefined {
  const m = SNAPSHOT_RE.exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Absolute paths of the data folder's parts. */
export function layout(dataDir: string): { journal: string; snapshots: string } {
  return { journal: join(dataDir, JOURNAL_DIR), snapshots: join(dataDir, SNAPSHOT_DIR) };
}
