import type { EventEmitter } from "eventemitter3";
import type { MqError } from "./errors/mq-error";

/**
 * When an append resolves. See the durability table in the journal README.
 * - `always`: after its own write + fdatasync.
 * - `batch`: after the group-commit write + fdatasync that covers it.
 * - `interval`: after write(); fdatasync runs every `intervalMs`.
 * - `none`: memory only.
 */
export type DurabilityMode = "always" | "batch" | "interval" | "none";

/**
 * The caller's state for a snapshot, taken synchronously at the current LSN.
 *
 * @remarks `items` may hold live objects that keep changing while the adapter
 * encodes them in slices (a fuzzy snapshot), provided every operation is
 * idempotent and absolute, so that replaying the frames after the snapshot's
 * LSN over any mix of older and newer item states gives the same result. An
 * adapter therefore makes a snapshot the recovery point only once every frame
 * appended before its encoding finished is durable.
 */
export interface SnapshotData {
  /** Small structured header (counters, settings), copied at capture. */
  readonly meta: unknown;
  /** The bulk of the state. */
  readonly items: readonly unknown[];
  /**
   * Maps an item to what is stored, called by the adapter as it encodes each
   * slice (so it reads live items at encode time). `restore` then receives the
   * mapped values. Without it, items are stored as they are.
   */
  readonly encodeItem?: (item: unknown) => unknown;
}

/**
 * Receives a snapshot's items block by block during recovery (see
 * {@link RecoveryHandler.beginRestore}), so the caller builds its state as the
 * adapter decodes and never holds every decoded item at once.
 */
export interface SnapshotSink {
  /** One block of items, in stored order, as `encodeItem` stored them. The array is not reused: keep what you need from it. */
  items(block: readonly unknown[]): void;
  /**
   * Optional: one block as the adapter stored it, so a caller that knows its
   * own item layout decodes straight into its state, with no intermediate
   * array per item. `bytes[start..end)` is a msgpack array of the values
   * `encodeItem` returned (the @mq/journal snapshot format); `decode(s, e)`
   * decodes any one msgpack value in `bytes[s..e)` exactly as the adapter
   * would (binary values as views of `bytes`), for what the caller does not
   * read itself. Returns how many items the block held. An adapter whose
   * blocks are msgpack calls this instead of `items` when it is present.
   * `bytes` is the adapter's own read of the snapshot and is never changed
   * or reused, so the caller may keep views of it (each keeps all of it
   * alive) instead of copying.
   */
  encodedItems?(bytes: Uint8Array, start: number, end: number, decode: (start: number, end: number) => unknown): number;
  /** Every item was delivered. */
  end(): void;
}

/** The caller's side of recovery and snapshotting. */
export interface RecoveryHandler {
  /** Called at most once, first, with the newest valid snapshot (items as `encodeItem` stored them). */
  restore(snapshot: SnapshotData, lsn: number): void;
  /**
   * Optional streaming form of {@link restore}: an adapter that supports it
   * calls this instead, with the snapshot's meta and item count, then hands
   * the items to the returned sink block by block. The adapter checks the
   * whole snapshot (checksums, trailer) before calling it, so it is called at
   * most once, first, and only for the snapshot recovery uses. Adapters that
   * do not support it call `restore`.
   */
  beginRestore?(meta: unknown, lsn: number, items: number): SnapshotSink;
  /** Called for every frame after the snapshot, in LSN order. */
  apply(ops: readonly unknown[], lsn: number): void;
  /** Returns the current state; called synchronously whenever a snapshot is due. */
  capture(): SnapshotData;
}

/** What recovery found and did. */
export interface RecoveryReport {
  /** LSN of the snapshot restored, or 0. */
  readonly snapshotLsn: number;
  readonly framesReplayed: number;
  readonly opsReplayed: number;
  /** Highest LSN recovered (the next append gets lastLsn + 1). */
  readonly lastLsn: number;
  /** A torn tail that was cut off. */
  readonly truncated?: { readonly file: string; readonly offset: number; readonly bytes: number };
  /** Corrupt frames dropped under `onCorruption: 'skip'`. */
  readonly skipped: readonly { readonly file: string; readonly offset: number; readonly lsnGap?: readonly [number, number] }[];
  /** Leftover temp files removed. */
  readonly tempFilesRemoved: number;
  readonly durationMs: number;
}

/** Facts about a written snapshot. */
export interface SnapshotInfo {
  readonly lsn: number;
  readonly items: number;
  readonly bytes: number;
  readonly durationMs: number;
}

/** Events a persistence adapter emits. */
export interface PersistenceEvents {
  /** The adapter failed and stopped; every later call rejects. Emitted once. */
  error: (error: MqError) => void;
  snapshot: (info: SnapshotInfo) => void;
  /** Recovery cut a torn tail. */
  truncated: (info: { file: string; offset: number; bytes: number }) => void;
  /** A snapshot attempt failed; the previous snapshot and all segments remain. */
  snapshotFailed: (error: MqError) => void;
}

/** Identifies this contract's revision; adapters declare which one they implement. */
export type PersistenceContractVersion = 1;

/**
 * Where an embedded engine's state lives: an ordered log of frames (each one
 * or many operations, applied all-or-nothing) plus periodic snapshots.
 *
 * @remarks It does not interpret operations: they are opaque msgpack-encodable
 * values the caller defines. It does not decide what a snapshot contains: the
 * caller's `capture()` does. Implementations: the file journal (default) and
 * the memory journal in `@mq/journal`.
 */
export interface Persistence {
  readonly contractVersion: PersistenceContractVersion;
  /** `file`, `memory`, or an adapter's own name. */
  readonly kind: string;
  readonly durability: DurabilityMode;
  /** Recover through `handler`, then accept appends. Fails with `JournalCorruptError`, `DataDirLockedError`, `PersistenceError`. */
  open(handler: RecoveryHandler): Promise<RecoveryReport>;
  /**
   * Append one frame holding `ops`; resolves with its LSN once durable as the
   * mode promises. LSNs are assigned in call order, starting at lastLsn + 1.
   * A rejection with `PersistenceError` means the outcome is unknown.
   */
  append(ops: readonly unknown[]): Promise<number>;
  /** Write a snapshot of `handler.capture()` now. */
  snapshot(): Promise<SnapshotInfo>;
  /** Flush, write a final snapshot (unless disabled), release resources. */
  close(): Promise<void>;
  /** Highest LSN assigned so far. */
  readonly lastLsn: number;
  readonly events: EventEmitter<PersistenceEvents>;
}
