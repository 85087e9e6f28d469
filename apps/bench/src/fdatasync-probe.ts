import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import { summarize } from "./stats";
import { makeTempDir, removeTempDir } from "./temp-dir";

/** The disk's own group-commit floor: how long one append + fdatasync takes. */
export interface FdatasyncFloor {
  readonly samples: number;
  /** fdatasync duration percentiles, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Sequential append + fdatasync rounds per second (the most group commits one writer can make). */
  readonly perSecond: number;
  /** Where it was measured (the same file system as every data folder). */
  readonly dir: string;
}

/**
 * Append 256 bytes and fdatasync, `samples` times, on a temp file in the same
 * folder the data folders are made in (os.tmpdir()).
 */
export function probeFdatasync(samples: number): FdatasyncFloor {
  const dir = makeTempDir("fdatasync");
  const fd = openSync(path.join(dir, "probe"), "a");
  const block = Buffer.alloc(256, 0x61);
  const durations: number[] = [];
  try {
    const begin = performance.now();
    for (let i = 0; i < samples; i++) {
      writeSync(fd, block);
      const t = performance.now();
      fdatasyncSync(fd);
      durations.push(performance.now() - t);
    }
    const seconds = (performance.now() - begin) / 1000;
    const s = summarize(durations);
    return { samples, p50Ms: s.p50, p99Ms: s.p99, maxMs: s.max, perSecond: samples / seconds, dir: path.dirname(dir) };
  } finally {
    closeSync(fd);
    removeTempDir(dir);
  }
}
