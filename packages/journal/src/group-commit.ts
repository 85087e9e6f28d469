import { InvalidArgumentError, MqError, PersistenceError, RecordTooLargeError, type DurabilityMode } from "@mq/core";
import { encodeInto } from "./codec";
import type { FailpointHook } from "./failpoints";
import { FRAME_HEADER_BYTES, GROUP_COUNT_BYTES, MAX_FRAME_BODY_BYTES, sealFrame, sealGroupFrame } from "./frame";
import { errnoOf } from "./fs/journal-fs";
import type { SegmentFiles } from "./segment-files";

/** What {@link GroupCommit} needs. */
export interface GroupCommitOptions {
  readonly durability: DurabilityMode;
  /** Roll to a new segment before a group would push the active one past this size. */
  readonly segmentBytes: number;
  readonly segments: SegmentFiles;
  readonly failpoint: FailpointHook;
  /** Highest LSN already in the journal (the first append gets the next one). */
  readonly lastLsn: number;
  /** Named in the fail-stop message. */
  readonly journalDir: string;
  /** Called once, when a storage error stops the journal. */
  readonly onFailStop: (error: PersistenceError) => void;
}

type Waiter = { lsn: number; resolve: () => void; reject: (e: unknown) => void };

const INITIAL_BUFFER_BYTES = 256 * 1024;
// msgpackr starts a buffer of its own when less than 2 KiB is free: keep more than that free.
const HEADROOM_BYTES = 4096;
// One append's encoded ops may not exceed this (it must fit a frame, count field included).
const MAX_RECORD_BYTES = MAX_FRAME_BODY_BYTES - GROUP_COUNT_BYTES;
// A group frame is sealed once it passes this size and the round continues in a new one: a torn
// frame loses only unacknowledged records, but recovery reads and checks a frame as a whole.
const GROUP_FRAME_BYTES = 8 * 1024 * 1024;
// A buffer grown past this for one huge group is dropped once that group is written.
const KEEP_BUFFER_BYTES = 16 * 1024 * 1024;

// One executor for every append's promise, so an append allocates no closure of its own.
let capturedResolve: (lsn: number) => void = () => undefined;
let capturedReject: (error: unknown) => void = () => undefined;
function capture(resolve: (lsn: number) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

// When the disk would otherwise idle while the appenders work (the last pause between fdatasyncs
// was longer than an fdatasync), a durable batch of at least this many appends is resolved in two
// halves with a microtask turn between them, so the first half's next appends are written while
// the second half's appenders run: the rounds split into two that alternate, one written and
// encoded while the other is on the disk. Where the disk is the slower part it stays one round.
const SPLIT_RESOLVE_AT = 64;

/** A written group waiting for the fdatasync that covers it (`batch`): its LSNs and settlers. */
type Written = { first: number; last: number; settlers: ((value: never) => void)[] };

/**
 * Group commit. Each append is encoded straight into the current group's
 * buffer as one checksummed frame (no intermediate copy); while one group is
 * being written, the next one fills the other buffer. A group goes to the
 * active segment as one positional write. Writing and syncing are a two-stage
 * pipeline: the writer writes the next group while the previous one's
 * fdatasync is on the disk (never two fdatasyncs at once), and in `batch` mode
 * every promise resolves, in LSN order, only after an fdatasync that started
 * after its own write completed. `always` writes and syncs frame by frame.
 * Any storage error stops it for good (fail-stop).
 */
export class GroupCommit {
  readonly #durability: DurabilityMode;
  readonly #segmentBytes: number;
  readonly #segments: SegmentFiles;
  readonly #fp: FailpointHook;
  readonly #journalDir: string;
  readonly #onFailStop: (error: PersistenceError) => void;

  #lastLsn: number;
  #writtenLsn: number;
  #durableLsn: number;

  #bufs: [Buffer, Buffer] = [Buffer.allocUnsafe(INITIAL_BUFFER_BYTES), Buffer.allocUnsafe(INITIAL_BUFFER_BYTES)];
  #cur = 0;
  #len = 0;
  #count = 0;
  #firstLsn: number;
  // The group frame being filled in the current buffer: its offset (-1: none), first LSN and record count.
  #openAt = -1;
  #openFirst = 0;
  #openCount = 0;
  // resolve, reject, resolve, reject, … of the frames in the current group, in LSN order.
  #settlers: ((value: never) => void)[] = [];
  #frameEnds: number[] = [];
  // The group whose write is in flight, and (batch) the written groups no fdatasync has covered yet.
  #writing: ((value: never) => void)[] | undefined;
  #unresolved: Written[] = [];
  #writerRunning = false;
  #syncLoop: Promise<void> | undefined;
  #syncRequested = false;
  // For the split decision: how long the last fdatasync took, and the last pause between two (ms).
  #lastSyncMs = 0;
  #lastPauseMs = 0;
  #idleSince = -1;
  #waiters: Waiter[] = [];
  #failure: PersistenceError | undefined;

  constructor(options: GroupCommitOptions) {
    this.#durability = options.durability;
    this.#segmentBytes = options.segmentBytes;
    this.#segments = options.segments;
    this.#fp = options.failpoint;
    this.#journalDir = options.journalDir;
    this.#onFailStop = options.onFailStop;
    this.#lastLsn = this.#writtenLsn = this.#durableLsn = options.lastLsn;
    this.#firstLsn = options.lastLsn + 1;
  }

  /** Last LSN assigned. */
  get lastLsn(): number {
    return this.#lastLsn;
  }

  /** Highest LSN known to be fdatasynced. */
  get durableLsn(): number {
    return this.#durableLsn;
  }

  /** The error that stopped the journal (errno `FAIL_STOPPED`), if one did. */
  get failure(): PersistenceError | undefined {
    return this.#failure;
  }

  /** Frames `ops` with the next LSN; resolves with that LSN once the durability mode says so. */
  append(ops: readonly unknown[]): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!Array.isArray(ops)) return Promise.reject(new InvalidArgumentError("journal", "ops", "must be an array"));
    const at = this.#len;
    // `always` writes every append as a frame of its own; the other modes add it to the round's group frame.
    const single = this.#durability === "always";
    const opening = single || this.#openAt < 0;
    const bodyAt = opening ? at + FRAME_HEADER_BYTES + (single ? 0 : GROUP_COUNT_BYTES) : at;
    let end: number;
    try {
      end = this.#encode(ops, bodyAt);
    } catch (error) {
      if (MqError.isInstance(error)) return Promise.reject(error);
      return Promise.reject(new InvalidArgumentError("journal", "ops", `cannot be encoded: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
    const lsn = ++this.#lastLsn;
    if (single) {
      this.#len = at + sealFrame(this.#bufs[this.#cur]!, at, lsn, end - bodyAt);
      this.#frameEnds.push(this.#len);
    } else {
      if (opening) this.#openGroupFrame(at, lsn);
      else if (end - this.#openAt > GROUP_FRAME_BYTES) end = this.#splitGroupFrame(at, end, lsn);
      this.#openCount++;
      this.#len = end;
    }
    if (this.#count++ === 0) this.#firstLsn = lsn;
    const promise = new Promise<number>(capture);
    this.#settlers.push(capturedResolve, capturedReject);
    if (!this.#writerRunning) this.#kickWriter();
    return promise;
  }

  /** Encodes `ops` into the current buffer at `bodyAt` (growing it as needed); returns the end offset. */
  #encode(ops: readonly unknown[], bodyAt: number): number {
    let buf = this.#bufs[this.#cur]!;
    if (buf.length - bodyAt < HEADROOM_BYTES) buf = this.#grow(bodyAt + HEADROOM_BYTES, this.#len);
    const encoded = encodeInto(ops, buf, bodyAt);
    const length = typeof encoded === "number" ? encoded - bodyAt : encoded.length;
    if (length > MAX_RECORD_BYTES) throw new RecordTooLargeError("journal", length, MAX_RECORD_BYTES);
    if (typeof encoded === "number") return encoded;
    // msgpackr outgrew the buffer and finished in one of its own: copy the record in once.
    buf = this.#grow(bodyAt + length + HEADROOM_BYTES, this.#len);
    buf.set(encoded, bodyAt);
    return bodyAt + length;
  }

  #openGroupFrame(at: number, lsn: number): void {
    this.#openAt = at;
    this.#openFirst = lsn;
    this.#openCount = 0;
  }

  /** The open group frame is full: seal it before the record at `at..end`, which moves into a new one. Returns the new end. */
  #splitGroupFrame(at: number, end: number, lsn: number): number {
    let buf = this.#bufs[this.#cur]!;
    sealGroupFrame(buf, this.#openAt, this.#openFirst, this.#openCount, at);
    const room = FRAME_HEADER_BYTES + GROUP_COUNT_BYTES;
    if (buf.length < end + room + HEADROOM_BYTES) buf = this.#grow(end + room + HEADROOM_BYTES, end);
    buf.copyWithin(at + room, at, end);
    this.#openGroupFrame(at, lsn);
    return end + room;
  }

  /** Resolves once every frame up to `lsn` is fdatasynced (forcing a sync in interval/none modes). */
  waitDurable(lsn: number): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#durableLsn >= lsn) return Promise.resolve();
    return this.#durable(lsn);
  }

  #durable(lsn: number): Promise<void> {
    if (this.#durableLsn >= lsn) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ lsn, resolve, reject });
      this.#kickSync();
    });
  }

  /** Asks for an fdatasync of whatever is written but not yet synced (the `interval` timer). */
  requestSync(): void {
    if (this.#writtenLsn <= this.#durableLsn || this.#failure) return;
    this.#syncRequested = true;
    this.#kickSync();
  }

  /** Stops the journal for good: rejects everything pending with `error`'s errno, then `FAIL_STOPPED` for every later call. */
  failStop(error: unknown): void {
    if (this.#failure) return;
    const errno = errnoOf(error);
    const err = new PersistenceError(
      `${errno} while writing ${this.#journalDir}; the journal stopped (fail-stop) and will not acknowledge anything more. Restart to recover from disk`,
      errno,
      { cause: error },
    );
    this.#failure = new PersistenceError("the journal is fail-stopped after an earlier storage error; restart to recover from disk", "FAIL_STOPPED", { cause: err });
    const pending = [...this.#unresolved.map((g) => g.settlers), this.#writing ?? [], this.#settlers];
    this.#unresolved = [];
    this.#writing = undefined;
    this.#settlers = [];
    this.#frameEnds = [];
    this.#len = 0;
    this.#count = 0;
    this.#openAt = -1;
    for (const settlers of pending) for (let i = 1; i < settlers.length; i += 2) (settlers[i] as (e: unknown) => void)(err);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err);
    this.#onFailStop(err);
  }

  /** Replaces the current buffer with one of at least `need` bytes, keeping its first `keep`. */
  #grow(need: number, keep: number): Buffer {
    const old = this.#bufs[this.#cur]!;
    const grown = Buffer.allocUnsafe(Math.max(need, old.length * 2));
    old.copy(grown, 0, 0, keep);
    this.#bufs[this.#cur] = grown;
    return grown;
  }

  #kickWriter(): void {
    if (this.#writerRunning) return;
    this.#writerRunning = true;
    // A microtask lets every append made in this tick (and every continuation of the last group) join the next group.
    queueMicrotask(() => void this.#writeLoop());
  }

  async #writeLoop(): Promise<void> {
    try {
      while (!this.#failure && this.#count > 0) await this.#writeGroup();
    } catch (error) {
      this.failStop(error);
    } finally {
      this.#writerRunning = false;
    }
  }

  async #writeGroup(): Promise<void> {
    const index = this.#cur;
    const buf = this.#bufs[index]!;
    const len = this.#len;
    const count = this.#count;
    const first = this.#firstLsn;
    const last = first + count - 1;
    const settlers = (this.#writing = this.#settlers);
    const ends = this.#frameEnds;
    if (this.#openAt >= 0) sealGroupFrame(buf, this.#openAt, this.#openFirst, this.#openCount, len);
    this.#openAt = -1;
    this.#cur ^= 1;
    this.#len = 0;
    this.#count = 0;
    this.#settlers = [];
    this.#frameEnds = [];

    const segments = this.#segments;
    if (segments.size > 0 && segments.size + len > this.#segmentBytes) await this.#roll(first);
    if (this.#durability === "always") {
      let start = 0;
      for (let i = 0; i < count; i++) {
        const end = ends[i]!;
        this.#fp("append.beforeWrite");
        await segments.write(buf.subarray(start, end));
        this.#fp("append.afterWrite");
        this.#writtenLsn = first + i;
        await this.#durable(first + i);
        this.#fp("append.afterSync");
        (settlers[2 * i] as (lsn: number) => void)(first + i);
        this.#fp("append.afterResolve");
        start = end;
      }
    } else {
      this.#fp("append.beforeWrite");
      await segments.write(buf.subarray(0, len));
      this.#writtenLsn = last;
      this.#fp("append.afterWrite");
      if (this.#durability === "batch") {
        // Resolved by the fdatasync that covers it: the writer goes on to the next group meanwhile.
        if (!this.#failure) this.#unresolved.push({ first, last, settlers });
      } else {
        for (let i = 0; i < count; i++) (settlers[2 * i] as (lsn: number) => void)(first + i);
        this.#fp("append.afterResolve");
      }
      this.#kickSync();
    }
    this.#writing = undefined;
    if (buf.length > KEEP_BUFFER_BYTES) this.#bufs[index] = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  }

  /** Rolls to a new segment for `first`; every frame of the old one must be durable first (recovery demands contiguous LSNs across segments). */
  async #roll(first: number): Promise<void> {
    if (this.#writtenLsn > this.#durableLsn) await this.#durable(this.#writtenLsn);
    // The writer is paused, so nothing new is written: once the sync loop ends, no fdatasync runs on the old segment.
    while (this.#syncLoop) await this.#syncLoop;
    await this.#segments.create(first);
  }

  /** True when something written is not yet synced and someone needs it to be. */
  #needSync(): boolean {
    if (this.#failure || this.#writtenLsn <= this.#durableLsn) return false;
    return this.#durability === "batch" || this.#syncRequested || this.#waiters.length > 0;
  }

  #kickSync(): void {
    if (this.#syncLoop || !this.#needSync()) return;
    if (this.#idleSince >= 0) this.#lastPauseMs = performance.now() - this.#idleSince;
    this.#syncLoop = this.#runSyncs();
  }

  /** One fdatasync at a time, back to back while anything written needs one; resolves what each one covers. */
  async #runSyncs(): Promise<void> {
    try {
      let target = this.#writtenLsn;
      this.#syncRequested = false;
      let started = performance.now();
      let pending: Promise<void> | undefined = this.#segments.sync();
      while (pending) {
        await pending;
        this.#durableLsn = target;
        const now = performance.now();
        this.#lastSyncMs = now - started;
        pending = undefined;
        if (this.#failure) break;
        // Start covering what was written meanwhile before resolving, so the disk works while the appenders run.
        if (this.#needSync()) {
          target = this.#writtenLsn;
          this.#syncRequested = false;
          started = now;
          pending = this.#segments.sync();
          pending.catch(noop); // awaited on the next turn of the loop; never an unhandled rejection meanwhile
        } else this.#idleSince = now;
        await this.#resolveDurable(pending === undefined && this.#lastPauseMs > this.#lastSyncMs);
        this.#settleWaiters();
      }
    } catch (error) {
      this.failStop(error);
    } finally {
      this.#syncLoop = undefined;
    }
    // Something written while the last fdatasync was resolving may still need one.
    this.#kickSync();
  }

  /** Resolves (in LSN order) every written group the last fdatasync covered. */
  async #resolveDurable(maySplit: boolean): Promise<void> {
    const groups = this.#unresolved;
    let n = 0;
    let total = 0;
    while (n < groups.length && groups[n]!.last <= this.#durableLsn) total += groups[n]!.last - groups[n++]!.first + 1;
    if (n === 0) return;
    const done = groups.splice(0, n);
    this.#fp("append.afterSync");
    const half = maySplit && total >= SPLIT_RESOLVE_AT ? total >> 1 : -1;
    let resolved = 0;
    for (const { first, last, settlers } of done) {
      for (let lsn = first, i = 0; lsn <= last; lsn++, i += 2) {
        (settlers[i] as (lsn: number) => void)(lsn);
        // One microtask turn: the resolved appenders' next appends reach the writer before the other half's.
        if (++resolved === half) await Promise.resolve();
      }
    }
    this.#fp("append.afterResolve");
  }

  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.lsn <= this.#durableLsn) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }
}

const noop = (): void => undefined;
