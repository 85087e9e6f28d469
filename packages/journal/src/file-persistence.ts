import { join } from "node:path";
import {
  HostClosedError,
  InvalidArgumentError,
  MqError,
  PersistenceError,
  RecordTooLargeError,
  type Clock,
  type DurabilityMode,
  type Persistence,
  type PersistenceEvents,
  type RecoveryHandler,
  type RecoveryReport,
  type SnapshotInfo,
  type TimerHandle,
} from "@mq/core";
import { EventEmitter } from "eventemitter3";
import { encode } from "./codec";
import { failpointsFromEnv, type FailpointHook } from "./failpoints";
import { FRAME_HEADER_BYTES, MAX_FRAME_BODY_BYTES, writeFrame } from "./frame";
import { errnoOf, type JournalFs } from "./fs/journal-fs";
import { layout, segmentName, snapshotName } from "./layout";
import { acquireLock, type HeldLock } from "./lock";
import { resolveFileOptions, type FilePersistenceOptions, type ResolvedFileOptions } from "./options";
import { recover, type SegmentInfo } from "./recovery";
import { writeAll, writeSnapshotFile } from "./snapshot-file";

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
type Waiter = { lsn: number; resolve: () => void; reject: (e: unknown) => void };

const INITIAL_BUFFER_BYTES = 256 * 1024;
const noop = (): void => undefined;

class FileJournal implements FilePersistence {
  readonly contractVersion = 1 as const;
  readonly kind = "file";
  readonly events = new EventEmitter<PersistenceEvents>();
  readonly options: ResolvedFileOptions;
  readonly durability: DurabilityMode;

  readonly #fs: JournalFs;
  readonly #clock: Clock;
  readonly #fp: FailpointHook;
  readonly #dirs: { journal: string; snapshots: string };
  #state: State = "new";
  #opening: Promise<unknown> = Promise.resolve();
  #handler: RecoveryHandler | undefined;
  #lock: HeldLock | undefined;

  #segments: SegmentInfo[] = [];
  #fd = -1;
  #segSize = 0;
  #unsynced = false;

  #lastLsn = 0;
  #writtenLsn = 0;
  #durableLsn = 0;

  // Group commit: frames accumulate in one buffer while the other is being written.
  #bufs: [Buffer, Buffer] = [Buffer.allocUnsafe(INITIAL_BUFFER_BYTES), Buffer.allocUnsafe(INITIAL_BUFFER_BYTES)];
  #cur = 0;
  #len = 0;
  #firstLsn = 1;
  #resolves: ((lsn: number) => void)[] = [];
  #rejects: ((e: unknown) => void)[] = [];
  #frameEnds: number[] = [];
  #inflightRejects: ((e: unknown) => void)[] = [];
  #pumping = false;
  #syncRequested = false;
  #waiters: Waiter[] = [];
  #failure: PersistenceError | undefined;

  #snapshotLsns: number[] = [];
  #opsSinceSnapshot = 0;
  #snapshotQueue: Promise<unknown> = Promise.resolve();
  #snapshotBusy = false;
  #autoScheduled = false;
  #snapshotTimer: TimerHandle = undefined;
  #syncTimer: TimerHandle = undefined;

  constructor(input: FilePersistenceOptions) {
    const resolved = resolveFileOptions(input);
    this.options = resolved.options;
    this.durability = resolved.options.durability;
    this.#fs = resolved.fs;
    this.#clock = resolved.clock;
    this.#fp = resolved.failpoints ?? failpointsFromEnv() ?? noop;
    this.#dirs = layout(resolved.options.dataDir);
  }

  get lastLsn(): number {
    return this.#lastLsn;
  }

  get durableLsn(): number {
    return this.#durableLsn;
  }

  open(handler: RecoveryHandler): Promise<RecoveryReport> {
    if (this.#state !== "new") return Promise.reject(new HostClosedError("journal", this.#state === "open" ? "already open" : this.#state));
    this.#state = "opening";
    const opening = this.#open(handler);
    this.#opening = opening.catch(noop);
    return opening;
  }

  async #open(handler: RecoveryHandler): Promise<RecoveryReport> {
    this.#handler = handler;
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
        onTruncated: (info) => this.events.emit("truncated", info),
      });
      this.#segments = result.segments;
      this.#snapshotLsns = result.snapshots;
      this.#lastLsn = this.#writtenLsn = this.#durableLsn = result.report.lastLsn;
      this.#firstLsn = this.#lastLsn + 1;
      const active = this.#segments[this.#segments.length - 1];
      if (active && result.activeSize > 0) {
        this.#fd = await fs.open(join(this.#dirs.journal, active.name), "readWrite");
        this.#segSize = result.activeSize;
      } else {
        // An empty last segment may be named for the wrong LSN (a torn first frame): start a fresh one.
        if (active) {
          await fs.unlink(join(this.#dirs.journal, active.name));
          this.#segments.pop();
        }
        await this.#createSegment(this.#lastLsn + 1);
      }
      this.#state = "open";
      this.#armTimers();
      return result.report;
    } catch (error) {
      this.#state = "closed";
      if (this.#fd >= 0) await fs.close(this.#fd).catch(noop);
      this.#fd = -1;
      await this.#lock?.release().catch(noop);
      throw toPersistenceError(error, "open failed");
    }
  }

  append(ops: readonly unknown[]): Promise<number> {
    if (this.#state !== "open") return Promise.reject(new HostClosedError("journal", this.#state));
    if (this.#failure) return Promise.reject(this.#failure);
    if (!Array.isArray(ops)) return Promise.reject(new InvalidArgumentError("journal", "ops", "must be an array"));
    let body: Uint8Array;
    try {
      body = encode(ops);
    } catch (error) {
      return Promise.reject(new InvalidArgumentError("journal", "ops", `cannot be encoded: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
    if (body.length > MAX_FRAME_BODY_BYTES) return Promise.reject(new RecordTooLargeError("journal", body.length, MAX_FRAME_BODY_BYTES));
    const lsn = ++this.#lastLsn;
    const need = this.#len + FRAME_HEADER_BYTES + body.length;
    let buf = this.#bufs[this.#cur]!;
    if (need > buf.length) buf = this.#grow(need);
    if (this.#resolves.length === 0) this.#firstLsn = lsn;
    this.#len += writeFrame(buf, this.#len, lsn, body);
    if (this.durability === "always") this.#frameEnds.push(this.#len);
    const promise = new Promise<number>((resolve, reject) => {
      this.#resolves.push(resolve);
      this.#rejects.push(reject);
    });
    this.#opsSinceSnapshot += ops.length;
    if (this.options.snapshotEveryOps > 0 && this.#opsSinceSnapshot >= this.options.snapshotEveryOps && !this.#autoScheduled) {
      this.#autoScheduled = true;
      setImmediate(() => {
        this.#autoScheduled = false;
        this.#autoSnapshot();
      });
    }
    this.#kick();
    return promise;
  }

  snapshot(): Promise<SnapshotInfo> {
    if (this.#state !== "open") return Promise.reject(new HostClosedError("journal", this.#state));
    return this.#queueSnapshot();
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
    try {
      if (!this.#failure) await this.#waitDurable(this.#lastLsn);
      const newest = this.#snapshotLsns[this.#snapshotLsns.length - 1] ?? 0;
      if (!this.#failure && this.options.snapshotOnClose && this.#lastLsn > newest) {
        this.#fp("close.beforeFinalSnapshot");
        await this.#queueSnapshot().catch(noop); // a failed final snapshot is reported as snapshotFailed; the journal has it all
      }
      await this.#snapshotQueue;
    } finally {
      if (this.#fd >= 0) await this.#fs.close(this.#fd).catch(noop);
      this.#fd = -1;
      await this.#lock?.release().catch(noop);
      this.#state = "closed";
    }
  }

  // ---- group commit ---------------------------------------------------------

  #grow(need: number): Buffer {
    const old = this.#bufs[this.#cur]!;
    const grown = Buffer.allocUnsafe(Math.max(need, old.length * 2));
    old.copy(grown, 0, 0, this.#len);
    this.#bufs[this.#cur] = grown;
    return grown;
  }

  #kick(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    // A microtask lets every append made in this tick (and every continuation of the last group) join the next group.
    queueMicrotask(() => void this.#pump());
  }

  async #pump(): Promise<void> {
    try {
      while (!this.#failure) {
        if (this.#len > 0) await this.#writeGroup();
        else if (this.#syncRequested) {
          this.#syncRequested = false;
          if (this.#unsynced) await this.#sync();
          this.#settleWaiters();
        } else break;
      }
    } catch (error) {
      this.#failStop(error);
    } finally {
      this.#pumping = false;
    }
  }

  async #writeGroup(): Promise<void> {
    const buf = this.#bufs[this.#cur]!;
    const len = this.#len;
    const first = this.#firstLsn;
    const resolves = this.#resolves;
    const ends = this.#frameEnds;
    const last = first + resolves.length - 1;
    this.#inflightRejects = this.#rejects;
    this.#cur ^= 1;
    this.#len = 0;
    this.#resolves = [];
    this.#rejects = [];
    this.#frameEnds = [];
    this.#firstLsn = last + 1;

    if (this.#segSize > 0 && this.#segSize + len > this.options.segmentBytes) await this.#roll(first);
    const fs = this.#fs;
    if (this.durability === "always") {
      let start = 0;
      for (let i = 0; i < resolves.length; i++) {
        const end = ends[i]!;
        this.#fp("append.beforeWrite");
        await writeAll(fs, this.#fd, [buf.subarray(start, end)], end - start, this.#segSize);
        this.#segSize += end - start;
        this.#unsynced = true;
        this.#fp("append.afterWrite");
        this.#writtenLsn = first + i;
        await this.#sync();
        this.#fp("append.afterSync");
        resolves[i]!(first + i);
        this.#fp("append.afterResolve");
        start = end;
      }
    } else {
      this.#fp("append.beforeWrite");
      await writeAll(fs, this.#fd, [buf.subarray(0, len)], len, this.#segSize);
      this.#segSize += len;
      this.#unsynced = true;
      this.#writtenLsn = last;
      this.#fp("append.afterWrite");
      if (this.durability === "batch") {
        await this.#sync();
        this.#fp("append.afterSync");
      }
      for (let i = 0; i < resolves.length; i++) resolves[i]!(first + i);
      this.#fp("append.afterResolve");
    }
    this.#inflightRejects = [];
    this.#settleWaiters();
  }

  async #sync(): Promise<void> {
    const target = this.#writtenLsn;
    await this.#fs.fdatasync(this.#fd);
    this.#unsynced = false;
    this.#durableLsn = target;
  }

  async #roll(firstLsn: number): Promise<void> {
    // Frames of the old segment must be durable first: recovery demands contiguous LSNs across segments.
    if (this.#unsynced) await this.#sync();
    const old = this.#fd;
    await this.#createSegment(firstLsn);
    await this.#fs.close(old).catch(noop);
  }

  async #createSegment(firstLsn: number): Promise<void> {
    const name = segmentName(firstLsn);
    this.#fp("segment.roll.beforeCreate");
    const fd = await this.#fs.open(join(this.#dirs.journal, name), "createExclusive");
    this.#fd = fd;
    this.#segSize = 0;
    this.#segments.push({ base: firstLsn, name });
    this.#fp("segment.roll.afterCreate");
    // The new name must survive power loss before anything written into it is acknowledged.
    await this.#fs.syncDir(this.#dirs.journal);
    this.#fp("segment.roll.afterDirSync");
  }

  /** Resolves once every frame up to `lsn` is fdatasynced (forcing a sync in interval/none modes). */
  #waitDurable(lsn: number): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#durableLsn >= lsn) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ lsn, resolve, reject });
      this.#syncRequested = true;
      this.#kick();
    });
  }

  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.lsn <= this.#durableLsn) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
    if (still.length > 0) this.#syncRequested = true;
  }

  #failStop(error: unknown): void {
    if (this.#failure) return;
    const errno = errnoOf(error);
    const err = new PersistenceError(
      `${errno} while writing ${this.#dirs.journal}; the journal stopped (fail-stop) and will not acknowledge anything more. Restart to recover from disk`,
      errno,
      { cause: error },
    );
    this.#failure = new PersistenceError("the journal is fail-stopped after an earlier storage error; restart to recover from disk", "FAIL_STOPPED", { cause: err });
    const rejects = [...this.#inflightRejects, ...this.#rejects];
    this.#inflightRejects = [];
    this.#rejects = [];
    this.#resolves = [];
    this.#frameEnds = [];
    this.#len = 0;
    for (const reject of rejects) reject(err);
    for (const w of this.#waiters) w.reject(err);
    this.#waiters = [];
    this.#disarmTimers();
    this.events.emit("error", err);
  }

  // ---- snapshots ------------------------------------------------------------

  #queueSnapshot(): Promise<SnapshotInfo> {
    const run = this.#snapshotQueue.then(() => this.#writeSnapshot());
    this.#snapshotQueue = run.catch(noop);
    return run;
  }

  #autoSnapshot(): void {
    if (this.#state !== "open" || this.#failure || this.#snapshotBusy) return;
    this.#queueSnapshot().catch(noop); // failures are reported through the snapshotFailed event
  }

  async #writeSnapshot(): Promise<SnapshotInfo> {
    if (this.#failure) throw this.#failure;
    const fs = this.#fs;
    const started = this.#clock.monotonic();
    this.#snapshotBusy = true;
    let fd = -1;
    let tmp = "";
    try {
      const data = this.#handler!.capture();
      const lsn = this.#lastLsn;
      this.#opsSinceSnapshot = 0;
      const final = join(this.#dirs.snapshots, snapshotName(lsn));
      tmp = `${final}.tmp`;
      this.#fp("snapshot.beforeTmpWrite");
      fd = await fs.open(tmp, "create");
      const bytes = await writeSnapshotFile(fs, fd, lsn, data, { now: () => this.#clock.monotonic(), midWrite: () => this.#fp("snapshot.midTmpWrite") });
      await fs.fsync(fd);
      await fs.close(fd);
      fd = -1;
      this.#fp("snapshot.afterTmpSync");
      // The snapshot must not become the recovery point before every frame it covers is durable.
      // Callers may hand live objects in `items` (a fuzzy snapshot, made consistent by replaying
      // idempotent frames after `lsn`): such an item can reflect any frame appended while it was
      // being encoded, so wait for every frame appended up to now, not just up to `lsn`.
      await this.#waitDurable(this.#lastLsn);
      await fs.rename(tmp, final);
      tmp = "";
      this.#fp("snapshot.afterRename");
      await fs.syncDir(this.#dirs.snapshots);
      this.#fp("snapshot.afterDirSync");
      if (!this.#snapshotLsns.includes(lsn)) this.#snapshotLsns.push(lsn);
      await this.#compact();
      const info: SnapshotInfo = { lsn, items: data.items.length, bytes, durationMs: this.#clock.monotonic() - started };
      this.events.emit("snapshot", info);
      return info;
    } catch (error) {
      if (fd >= 0) await fs.close(fd).catch(noop);
      if (tmp) await fs.unlink(tmp).catch(noop);
      const err = toPersistenceError(error, "snapshot failed");
      this.events.emit("snapshotFailed", err);
      throw err;
    } finally {
      this.#snapshotBusy = false;
    }
  }

  /** Drops snapshots beyond `keepSnapshots`, then segments wholly covered by the oldest one kept. Failures here are not fatal. */
  async #compact(): Promise<void> {
    const fs = this.#fs;
    try {
      while (this.#snapshotLsns.length > this.options.keepSnapshots) {
        const old = this.#snapshotLsns[0]!;
        await fs.unlink(join(this.#dirs.snapshots, snapshotName(old)));
        this.#snapshotLsns.shift();
      }
      const cover = this.#snapshotLsns[0] ?? 0;
      let deleted = 0;
      while (this.#segments.length > 1 && this.#segments[1]!.base - 1 <= cover) {
        if (deleted === 0) this.#fp("compaction.beforeUnlink");
        await fs.unlink(join(this.#dirs.journal, this.#segments[0]!.name));
        this.#segments.shift();
        if (++deleted === 1) this.#fp("compaction.afterFirstUnlink");
      }
      if (deleted > 0) this.#fp("compaction.afterAllUnlinks");
    } catch {
      // An unlink that failed is retried by the next compaction; it never affects newer data.
    }
  }

  #armTimers(): void {
    const every = this.options.snapshotEveryMs;
    if (every > 0) {
      const tick = (): void => {
        this.#autoSnapshot();
        if (this.#state === "open" && !this.#failure) this.#snapshotTimer = this.#clock.setTimeout(tick, every);
      };
      this.#snapshotTimer = this.#clock.setTimeout(tick, every);
    }
    if (this.durability === "interval") {
      const tick = (): void => {
        if (this.#unsynced) {
          this.#syncRequested = true;
          this.#kick();
        }
        if (this.#state === "open" && !this.#failure) this.#syncTimer = this.#clock.setTimeout(tick, this.options.intervalMs);
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
