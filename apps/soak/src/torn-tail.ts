import { appendFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Kinds of torn tail the writer appends, each one the journal must recognise as torn (not corrupt) and cut off. */
export const TORN_KINDS = ["garbage", "header", "zeros"] as const;
export type TornKind = (typeof TORN_KINDS)[number];

/** What was appended, to which file. */
export interface TornTail {
  readonly kind: TornKind;
  readonly file: string;
  /** Size of the file before the append: where the torn tail starts. */
  readonly offset: number;
  readonly bytes: number;
}

const FRAME_HEADER_BYTES = 16;
const SEGMENT_RE = /^\d{20}\.seg$/;

/** The newest journal segment of a data folder (highest first LSN), or undefined when there is none. */
export function newestSegment(dataDir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(path.join(dataDir, "journal")).filter((n) => SEGMENT_RE.test(n));
  } catch {
    return undefined;
  }
  names.sort();
  const last = names.at(-1);
  return last === undefined ? undefined : path.join(dataDir, "journal", last);
}

/**
 * The bytes of a torn frame, as a crash in the middle of a write leaves them:
 * - `garbage`: 1–15 random bytes (less than a frame header);
 * - `header`: a frame header claiming a body of 64 B–64 KiB, followed by only part of that body;
 * - `zeros`: a run of zero bytes (a sector that never reached the disk).
 */
export function tornBytes(kind: TornKind, random: () => number = Math.random): Buffer {
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const fill = (buf: Buffer): Buffer => {
    for (let i = 0; i < buf.length; i++) buf[i] = int(0, 255);
    return buf;
  };
  switch (kind) {
    case "garbage":
      return fill(Buffer.alloc(int(1, FRAME_HEADER_BYTES - 1)));
    case "header": {
      const bodyLength = int(64, 65_536);
      const header = fill(Buffer.alloc(FRAME_HEADER_BYTES));
      header.writeUInt32LE(bodyLength, 4);
      return Buffer.concat([header, fill(Buffer.alloc(int(0, bodyLength - 1)))]);
    }
    case "zeros":
      return Buffer.alloc([1, 7, 8, 511, 512, 4_096][int(0, 5)]!);
  }
}

/** Appends a torn frame of `kind` to the newest segment of `dataDir`; undefined when the folder has no segment yet. */
export function appendTornTail(dataDir: string, kind: TornKind, random: () => number = Math.random): TornTail | undefined {
  const file = newestSegment(dataDir);
  if (file === undefined) return undefined;
  const offset = statSync(file).size;
  const bytes = tornBytes(kind, random);
  appendFileSync(file, bytes);
  return { kind, file, offset, bytes: bytes.length };
}
