import {
  HostClosedError,
  MqError,
  PersistenceError,
  type Clock,
  type DurabilityMode,
  type Logger,
  type Persistence,
  type PersistenceEvents,
  type RecoveryHandler,
  type RecoveryReport,
  type SnapshotInfo,
  type TimerHandle,
} from "@mq/core";
import { EventEmitter } from "eventemitter3";
import type { FailpointHook } from "./failpoints";
import { errnoOf, type JournalFs } from "./fs/journal-fs";
import { GroupCommit } from "./group-commit";
import { layout } from "./layout";
import { acquireLock, type HeldLock } from "./lock";
import { resolveFileOptions, type FilePersistenceOptions, type ResolvedFileOptions } from "./options";
import { recover } from "./recovery";
import { SegmentFiles } from "./segment-files";
import { SnapshotWriter } from "./snapshot-writer";

/** The file journal: a {@link Persistence} with its resolved options. */
export interface FilePersistence extends Persistence {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedFileOptions;
  /** Highest LSN known to be on disk (fdatasynced). */
  readonly durableLsn: number;
}

/** Creates the file journal over `options.dataDir`; nothing touches the disk until `open()`. */
export function createFilePersistence(options: FilePersistenceOptions): FilePersistence {
  return new FileJournal(options);
}

type State = "new" | "opening" | "open" | "closing" | "closed";

const noop = (): void => undefined;

/**
 * Composes the parts: LOCK, recovery, {@link SegmentFiles}, {@link GroupCommit}
 * (appends) and {@link SnapshotWriter} (snapshots and compaction), plus the
 * open/close life cycle and the snapshot and `interval` timers.
 */
class FileJournal implements FilePersistence {
  readonly contractVersion = 1 as const;
  readonly kind = "file";
  readonly events = new EventEmitter<PersistenceEvents>();
  readonly options: ResolvedFileOptions;
  readonly durability: DurabilityMode;

  readonly #fs: JournalFs;
  readonly #clock: Clock;
  readonly #fp: FailpointHook;
  readonly #log: Logger;
  readonly #dirs: { journal: string; snapshots: string };
  #state: State = "new";
  #opening: Promise<unknown> = Promise.resolve();
  #lock: HeldLock | undefined;
  #segments: SegmentFiles | undefined;
  #commit: GroupCommit | undefined;
  #snapshots: SnapshotWriter | undefined;
  #recoveredLsn = 0;

  #opsSinceSnapshot = 0;
  #autoScheduled = false;
  #snapshotTimer: TimerHandle = undefined;
  #syncTimer: TimerHandle = undefined;

  constructor(input: FilePersistenceOptions) {
    const resolved = resolveFileOptions(input);
    this.options = resolved.options;
    this.durability = resolved.options.durability;
    this.#fs = resolved.fs;
    this.#clock = resolved.clock;
    this.#fp = resolved.failpoints ?? noop;
    this.#log = resolved.logger;
    this.#dirs = layout(resolved.options.dataDir);
  }

  get lastLsn(): number {
    return this.#commit?.lastLsn ?? this.#recoveredLsn;
  }

  get durableLsn(): number {
    return this.#commit?.durableLsn ?? this.#recoveredLsn;
  }

  open(handler: RecoveryHandler): Promise<RecoveryReport> {
    if (this.#state !== "new") return Promise.reject(new HostClosedError("journal", this.#state === "open" ? "already open" : this.#state));
    this.#state = "opening";
    const opening = this.#open(handler);
    this.#opening = opening.catch(noop);
    return opening;
  }

  async #open(handler: RecoveryHandler): Promise<RecoveryReport> {
    const fs = this.#fs;
    try {
      await fs.mkdir(this.options.dataDir);
      await fs.mkdir(this.#dirs.journal);
      await fs.mkdir(this.#dirs.snapshots);
      this.#lock = await acquireLock(fs, this.options.dataDir, this.#fp);
      const result = await recover({
        fs,
        journalDir: this.#dirs.journal,
        snapshotDir: this.#dirs.snapshots,
        handler,
        skip: this.options.onCorruption === "skip",
        failpoint: this.#fp,
        now: () => this.#clock.monotonic(),
        onTruncated: (info) => {
          this.#log.warn({ component: "journal", file: info.file, offset: info.offset, bytes: info.bytes }, "recovery truncated a torn tail (a write cut short by a crash; nothing acknowledged is lost)");
          this.events.emit("truncated", info);
        },
      });
      if (result.report.skipped.length > 0) {
        this.#log.warn({ component: "journal", dataDir: this.options.dataDir, skipped: result.report.skipped }, "recovery skipped corrupt frames (onCorruption: 'skip'); their operations are lost");
      }
      const lastLsn = (this.#recoveredLsn = result.report.lastLsn);
      const segments = (this.#segments = new SegmentFiles(fs, this.#dirs.journal, this.#fp, result.segments));
      if (result.segments.length > 0 && result.activeSize > 0) await segments.reopenLast(result.activeSize);
      else {
        // An empty last segment may be named for the wrong LSN (a torn first frame): start a fresh one.
        await segments.dropLast();
        await segments.create(lastLsn + 1);
      }
      const commit = (this.#commit = new GroupCommit({
        durability: this.durability,
        segmentBytes: this.options.segmentBytes,
        segments,
        failpoint: this.#fp,
        lastLsn,
        journalDir: this.#dirs.journal,
        onFailStop: (error) => {
          this.#disarmTimers();
          // Once: the journal acknowledges nothing after this, so there is no retry loop to repeat it.
          this.#log.error({ component: "journal", dataDir: this.options.dataDir, errno: error.errno, err: error }, error.message);
          this.events.emit("error", error);
        },
      }));
      this.#snapshots = new SnapshotWriter({
        fs,
        dir: this.#dirs.snapshots,
        failpoint: this.#fp,
        now: () => this.#clock.monotonic(),
        keep: this.options.keepSnapshots,
        existing: result.snapshots,
        failure: () => commit.failure,
        capture: () => {
          this.#opsSinceSnapshot = 0;
          return handler.capture();
        },
        lastLsn: () => commit.lastLsn,
        waitDurable: (lsn) => commit.waitDurable(lsn),
        dropCoveredBy: (lsn) => segments.dropCoveredBy(lsn),
      });
      this.#state = "open";
      this.#armTimers();
      return result.report;
    } catch (error) {
      this.#state = "closed";
      await this.#segments?.close();
      await this.#lock?.release().catch(noop);
      throw toPersistenceError(error, "open failed");
    }
  }

  append(ops: readonly unknown[]): Promise<number> {
    if (this.#state !== "open") return Promise.reject(new HostClosedError("journal", this.#state));
    const appended = this.#commit!.append(ops);
    if (Array.isArray(ops)) this.#opsSinceSnapshot += ops.length;
    if (this.options.snapshotEveryOps > 0 && this.#opsSinceSnapshot >= this.options.snapshotEveryOps && !this.#autoScheduled) {
      this.#autoScheduled = true;
      setImmediate(() => {
        this.#autoScheduled = false;
        this.#autoSnapshot();
      });
    }
    return appended;
  }

  snapshot(): Promise<SnapshotInfo> {
    if (this.#state !== "open") return Promise.reject(new HostClosedError("journal", this.#state));
    return this.#writeSnapshot();
  }

  async close(): Promise<void> {
    // A close() while open() runs waits for it, then closes what it opened.
    if (this.#state === "opening") await this.#opening;
    if (this.#state === "closing" || this.#state === "closed") throw new HostClosedError("journal", this.#state);
    if (this.#state !== "open") {
      this.#state = "closed";
      return;
    }
    this.#state = "closing";
    this.#disarmTimers();
    const commit = this.#commit!;
    const snapshots = this.#snapshots!;
    try {
      if (!commit.failure) await commit.waitDurable(commit.lastLsn);
      if (!commit.failure && this.options.snapshotOnClose && commit.lastLsn > snapshots.newestLsn) {
        this.#fp("close.beforeFinalSnapshot");
        await this.#writeSnapshot().catch(noop); // a failed final snapshot is reported as snapshotFailed; the journal has it all
      }
      await snapshots.idle();
    } finally {
      await this.#segments!.close();
      await this.#lock?.release().catch(noop);
      this.#state = "closed";
    }
  }

  /** A snapshot after any queued one; reports the outcome as a `snapshot` or `snapshotFailed` event. */
  async #writeSnapshot(): Promise<SnapshotInfo> {
    try {
      const info = await this.#snapshots!.write();
      this.events.emit("snapshot", info);
      return info;
    } catch (error) {
      // A fail-stopped journal rejects with its own error and reports no snapshot failure.
      if (error === this.#commit!.failure) throw error;
      const err = toPersistenceError(error, "snapshot failed");
      this.#log.warn({ component: "journal", dataDir: this.options.dataDir, err }, "snapshot failed; the previous snapshot and every segment are kept, the next snapshot retries");
      this.events.emit("snapshotFailed", err);
      throw err;
    }
  }

  #autoSnapshot(): void {
    if (this.#state !== "open" || this.#commit!.failure || this.#snapshots!.busy) return;
    this.#writeSnapshot().catch(noop); // failures are reported through the snapshotFailed event
  }

  #armTimers(): void {
    const every = this.options.snapshotEveryMs;
    if (every > 0) {
      const tick = (): void => {
        this.#autoSnapshot();
        if (this.#state === "open" && !this.#commit!.failure) this.#snapshotTimer = this.#clock.setTimeout(tick, every);
      };
      this.#snapshotTimer = this.#clock.setTimeout(tick, every);
    }
    if (this.durability === "interval") {
      const tick = (): void => {
        this.#commit!.requestSync();
        if (this.#state === "open" && !this.#commit!.failure) this.#syncTimer = this.#clock.setTimeout(tick, this.options.intervalMs);
      };
      this.#syncTimer = this.#clock.setTimeout(tick, this.options.intervalMs);
    }
  }

  #disarmTimers(): void {
    if (this.#snapshotTimer !== undefined) this.#clock.clearTimeout(this.#snapshotTimer);
    if (this.#syncTimer !== undefined) this.#clock.clearTimeout(this.#syncTimer);
    this.#snapshotTimer = this.#syncTimer = undefined;
  }
}

function toPersistenceError(error: unknown, what: string): MqError {
  if (MqError.isInstance(error)) return error;
  const errno = errnoOf(error);
  return new PersistenceError(`${what}: ${error instanceof Error ? error.message : String(error)}`, errno, { cause: error });
}
