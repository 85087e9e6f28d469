import { join } from "node:path";
import type { SnapshotData, SnapshotInfo } from "@mq/core";
import type { FailpointHook } from "./failpoints";
import type { JournalFs } from "./fs/journal-fs";
import { snapshotName } from "./layout";
import { writeSnapshotFile } from "./snapshot-file";

/** What {@link SnapshotWriter} needs. */
export interface SnapshotWriterOptions {
  readonly fs: JournalFs;
  readonly dir: string;
  readonly failpoint: FailpointHook;
  readonly now: () => number;
  /** Snapshots kept; older ones are deleted after a new one is in place. */
  readonly keep: number;
  /** LSNs of the snapshot files already present, ascending. */
  readonly existing: number[];
  /** The error that stopped the journal, if one did: no snapshot is written after it. */
  readonly failure: () => Error | undefined;
  /** The caller's state, taken synchronously. */
  readonly capture: () => SnapshotData;
  /** Last LSN assigned so far: the label of a snapshot taken now. */
  readonly lastLsn: () => number;
  /** Resolves once every frame up to `lsn` is fdatasynced. */
  readonly waitDurable: (lsn: number) => Promise<void>;
  /** Deletes journal segments wholly covered by `lsn` (the oldest snapshot kept); may throw, retried next time. */
  readonly dropCoveredBy: (lsn: number) => Promise<void>;
}

const noop = (): void => undefined;

/**
 * Writes snapshots one at a time: capture, encode in slices to `*.tmp`, fsync,
 * wait until every frame the state may reflect is durable, rename into place,
 * fsync the folder, then compact (old snapshots, then covered segments).
 * A failure leaves the previous snapshot and every segment in place.
 */
export class SnapshotWriter {
  readonly #o: SnapshotWriterOptions;
  readonly #lsns: number[];
  #queue: Promise<unknown> = Promise.resolve();
  #busy = false;

  constructor(options: SnapshotWriterOptions) {
    this.#o = options;
    this.#lsns = options.existing;
  }

  /** True while a snapshot is being written. */
  get busy(): boolean {
    return this.#busy;
  }

  /** LSN of the newest snapshot on disk (0 when none). */
  get newestLsn(): number {
    return this.#lsns[this.#lsns.length - 1] ?? 0;
  }

  /** Writes a snapshot after any already queued one. */
  write(): Promise<SnapshotInfo> {
    const run = this.#queue.then(() => this.#write());
    this.#queue = run.catch(noop);
    return run;
  }

  /** Resolves when every queued snapshot has finished (successfully or not). */
  idle(): Promise<unknown> {
    return this.#queue;
  }

  async #write(): Promise<SnapshotInfo> {
    const { fs, dir, failpoint: fp, now } = this.#o;
    const failure = this.#o.failure();
    if (failure) throw failure;
    const started = now();
    this.#busy = true;
    let fd = -1;
    let tmp = "";
    try {
      const data = this.#o.capture();
      const lsn = this.#o.lastLsn();
      const final = join(dir, snapshotName(lsn));
      tmp = `${final}.tmp`;
      fp("snapshot.beforeTmpWrite");
      fd = await fs.open(tmp, "create");
      const bytes = await writeSnapshotFile(fs, fd, lsn, data, { now, midWrite: () => fp("snapshot.midTmpWrite") });
      await fs.fsync(fd);
      await fs.close(fd);
      fd = -1;
      fp("snapshot.afterTmpSync");
      // The snapshot must not become the recovery point before every frame it covers is durable.
      // Callers may hand live objects in `items` (a fuzzy snapshot, made consistent by replaying
      // idempotent frames after `lsn`): such an item can reflect any frame appended while it was
      // being encoded, so wait for every frame appended up to now, not just up to `lsn`.
      await this.#o.waitDurable(this.#o.lastLsn());
      await fs.rename(tmp, final);
      tmp = "";
      fp("snapshot.afterRename");
      await fs.syncDir(dir);
      fp("snapshot.afterDirSync");
      if (!this.#lsns.includes(lsn)) this.#lsns.push(lsn);
      await this.#compact();
      return { lsn, items: data.items.length, bytes, durationMs: now() - started };
    } catch (error) {
      if (fd >= 0) await fs.close(fd).catch(noop);
      if (tmp) await fs.unlink(tmp).catch(noop);
      throw error;
    } finally {
      this.#busy = false;
    }
  }

  /** Drops snapshots beyond `keep`, then segments wholly covered by the oldest one kept. Failures here are not fatal. */
  async #compact(): Promise<void> {
    try {
      while (this.#lsns.length > this.#o.keep) {
        await this.#o.fs.unlink(join(this.#o.dir, snapshotName(this.#lsns[0]!)));
        this.#lsns.shift();
      }
      await this.#o.dropCoveredBy(this.#lsns[0] ?? 0);
    } catch {
      // An unlink that failed is retried by the next compaction; it never affects newer data.
    }
  }
}
