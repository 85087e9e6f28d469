import { join } from "node:path";
import type { FailpointHook } from "./failpoints";
import type { JournalFs } from "./fs/journal-fs";
import { segmentName } from "./layout";
import type { SegmentInfo } from "./recovery";
import { writeAll } from "./snapshot-file";

const noop = (): void => undefined;

/**
 * The journal folder's segment files: which exist (oldest first) and the
 * active one that frames are written to. It knows nothing of LSN order or
 * durability policy; {@link GroupCommit} decides when to write, sync and roll.
 */
export class SegmentFiles {
  readonly #fs: JournalFs;
  readonly #dir: string;
  readonly #fp: FailpointHook;
  #list: SegmentInfo[];
  #fd = -1;
  #size = 0;

  constructor(fs: JournalFs, dir: string, failpoint: FailpointHook, existing: SegmentInfo[] = []) {
    this.#fs = fs;
    this.#dir = dir;
    this.#fp = failpoint;
    this.#list = existing;
  }

  /** Bytes in the active segment. */
  get size(): number {
    return this.#size;
  }

  /** Segments present, oldest first (the last one is active). */
  get list(): readonly SegmentInfo[] {
    return this.#list;
  }

  /** Continues the last known segment, which holds `size` valid bytes. */
  async reopenLast(size: number): Promise<void> {
    const last = this.#list[this.#list.length - 1]!;
    this.#fd = await this.#fs.open(join(this.#dir, last.name), "readWrite");
    this.#size = size;
  }

  /** Deletes the last known segment (empty, possibly named for the wrong LSN), if any. */
  async dropLast(): Promise<void> {
    const last = this.#list.pop();
    if (last) await this.#fs.unlink(join(this.#dir, last.name));
  }

  /**
   * Creates the segment whose first frame is `firstLsn` and makes it the active
   * one, closing the previous. The caller must have synced the previous one:
   * recovery demands contiguous LSNs across segments.
   */
  async create(firstLsn: number): Promise<void> {
    const name = segmentName(firstLsn);
    this.#fp("segment.roll.beforeCreate");
    const fd = await this.#fs.open(join(this.#dir, name), "createExclusive");
    const old = this.#fd;
    this.#fd = fd;
    this.#size = 0;
    this.#list.push({ base: firstLsn, name });
    this.#fp("segment.roll.afterCreate");
    // The new name must survive power loss before anything written into it is acknowledged.
    await this.#fs.syncDir(this.#dir);
    this.#fp("segment.roll.afterDirSync");
    if (old >= 0) await this.#fs.close(old).catch(noop);
  }

  /** Appends `bytes` to the active segment (one positional write, continued after short writes). */
  async write(bytes: Uint8Array): Promise<void> {
    await writeAll(this.#fs, this.#fd, [bytes], bytes.length, this.#size);
    this.#size += bytes.length;
  }

  /** fdatasync of the active segment. */
  sync(): Promise<void> {
    return this.#fs.fdatasync(this.#fd);
  }

  /**
   * Deletes the oldest segments while every frame they hold is at or below
   * `coveredLsn` (the active segment always stays). Stops at the first failure;
   * the next call retries.
   */
  async dropCoveredBy(coveredLsn: number): Promise<void> {
    let deleted = 0;
    while (this.#list.length > 1 && this.#list[1]!.base - 1 <= coveredLsn) {
      if (deleted === 0) this.#fp("compaction.beforeUnlink");
      await this.#fs.unlink(join(this.#dir, this.#list[0]!.name));
      this.#list.shift();
      if (++deleted === 1) this.#fp("compaction.afterFirstUnlink");
    }
    if (deleted > 0) this.#fp("compaction.afterAllUnlinks");
  }

  /** Closes the active segment's descriptor. */
  async close(): Promise<void> {
    if (this.#fd >= 0) await this.#fs.close(this.#fd).catch(noop);
    this.#fd = -1;
  }
}
