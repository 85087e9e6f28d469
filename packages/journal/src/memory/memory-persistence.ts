import {
  DataDirLockedError,
  HostClosedError,
  InvalidArgumentError,
  type DurabilityMode,
  type Persistence,
  type PersistenceEvents,
  type RecoveryHandler,
  type RecoveryReport,
  type SnapshotData,
  type SnapshotInfo,
} from "@mq/core";
import { EventEmitter } from "eventemitter3";
import * as v from "valibot";
import { decode, encode } from "../codec";
import { MEMORY_DEFAULTS } from "../defaults";
import { toInvalidOptions } from "../options";
import { createMemoryStore, type MemoryStore } from "./memory-store";

/** Options of {@link createMemoryPersistence}. */
export interface MemoryPersistenceOptions {
  /** Where frames and snapshots live; pass the same store to a new instance to "restart". @default a new store */
  readonly store?: MemoryStore;
  /** Reported as the instance's durability; memory is never durable across processes. @default "none" */
  readonly durability?: DurabilityMode;
  /** Snapshot after this many ops; 0 turns it off. @default 0 */
  readonly snapshotEveryOps?: number;
  /** Write a snapshot on close. @default true */
  readonly snapshotOnClose?: boolean;
  /** How many snapshots to keep. @default 2 */
  readonly keepSnapshots?: number;
}

const schema = v.strictObject({
  store: v.optional(v.custom<MemoryStore>((x) => typeof x === "object" && x !== null && Array.isArray((x as MemoryStore).frames), "must come from createMemoryStore()")),
  durability: v.optional(v.picklist(["always", "batch", "interval", "none"]), MEMORY_DEFAULTS.durability),
  snapshotEveryOps: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), MEMORY_DEFAULTS.snapshotEveryOps),
  snapshotOnClose: v.optional(v.boolean(), MEMORY_DEFAULTS.snapshotOnClose),
  keepSnapshots: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), MEMORY_DEFAULTS.keepSnapshots),
});

/** A memory {@link Persistence} with its store. */
export interface MemoryPersistence extends Persistence {
  readonly store: MemoryStore;
}

/** Creates a memory journal: the same contract as the file journal, nothing on disk. */
export function createMemoryPersistence(options: MemoryPersistenceOptions = {}): MemoryPersistence {
  const parsed = v.safeParse(schema, options);
  if (!parsed.success) throw toInvalidOptions("journal:memory", parsed.issues);
  return new MemoryJournal(parsed.output);
}

type State = "new" | "open" | "closing" | "closed";

class MemoryJournal implements MemoryPersistence {
  readonly contractVersion = 1 as const;
  readonly kind = "memory";
  readonly events = new EventEmitter<PersistenceEvents>();
  readonly durability: DurabilityMode;
  readonly store: MemoryStore;
  readonly #options: { snapshotEveryOps: number; snapshotOnClose: boolean; keepSnapshots: number };
  #state: State = "new";
  #handler: RecoveryHandler | undefined;
  #lastLsn = 0;
  #opsSinceSnapshot = 0;

  constructor(options: v.InferOutput<typeof schema>) {
    this.store = options.store ?? createMemoryStore();
    this.durability = options.durability;
    this.#options = options;
  }

  get lastLsn(): number {
    return this.#lastLsn;
  }

  async open(handler: RecoveryHandler): Promise<RecoveryReport> {
    if (this.#state !== "new") throw new HostClosedError("journal:memory", this.#state);
    if (this.store.holder !== undefined) throw new DataDirLockedError("(memory store)", process.pid);
    this.store.holder = this;
    this.#state = "open";
    this.#handler = handler;
    const started = performance.now();
    const snap = this.store.snapshots[this.store.snapshots.length - 1];
    let snapLsn = 0;
    if (snap) {
      handler.restore(decode(snap.bytes) as SnapshotData, snap.lsn);
      snapLsn = snap.lsn;
    }
    let frames = 0;
    let ops = 0;
    let last = snapLsn;
    for (const frame of this.store.frames) {
      if (frame.lsn <= snapLsn) continue;
      const decoded = decode(frame.bytes) as unknown[];
      handler.apply(decoded, frame.lsn);
      frames++;
      ops += decoded.length;
      last = frame.lsn;
    }
    this.#lastLsn = last;
    await Promise.resolve();
    return { snapshotLsn: snapLsn, framesReplayed: frames, opsReplayed: ops, lastLsn: last, skipped: [], tempFilesRemoved: 0, durationMs: performance.now() - started };
  }

  append(ops: readonly unknown[]): Promise<number> {
    if (this.#state !== "open") return Promise.reject(new HostClosedError("journal:memory", this.#state));
    if (!Array.isArray(ops)) return Promise.reject(new InvalidArgumentError("journal", "ops", "must be an array"));
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(encode(ops)); // a copy: the encoder's buffer is shared
    } catch (error) {
      return Promise.reject(new InvalidArgumentError("journal", "ops", `cannot be encoded: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
    const lsn = ++this.#lastLsn;
    this.store.frames.push({ lsn, bytes });
    this.#opsSinceSnapshot += ops.length;
    if (this.#options.snapshotEveryOps > 0 && this.#opsSinceSnapshot >= this.#options.snapshotEveryOps) {
      setImmediate(() => {
        if (this.#state === "open" && this.#opsSinceSnapshot >= this.#options.snapshotEveryOps) this.#snapshotNow();
      });
    }
    return Promise.resolve(lsn);
  }

  async snapshot(): Promise<SnapshotInfo> {
    if (this.#state !== "open") throw new HostClosedError("journal:memory", this.#state);
    await Promise.resolve();
    return this.#snapshotNow();
  }

  async close(): Promise<void> {
    if (this.#state === "closing" || this.#state === "closed") throw new HostClosedError("journal:memory", this.#state);
    const wasOpen = this.#state === "open";
    this.#state = "closing";
    const newest = this.store.snapshots[this.store.snapshots.length - 1]?.lsn ?? 0;
    if (wasOpen && this.#options.snapshotOnClose && this.#lastLsn > newest) this.#snapshotNow();
    if (this.store.holder === this) this.store.holder = undefined;
    this.#state = "closed";
    await Promise.resolve();
  }

  #snapshotNow(): SnapshotInfo {
    const started = performance.now();
    const data = this.#handler!.capture();
    const lsn = this.#lastLsn;
    this.#opsSinceSnapshot = 0;
    const items = data.encodeItem === undefined ? data.items : data.items.map(data.encodeItem);
    const bytes = new Uint8Array(encode({ meta: data.meta, items }));
    const snaps = this.store.snapshots;
    if (snaps[snaps.length - 1]?.lsn === lsn) snaps.pop();
    snaps.push({ lsn, bytes, items: data.items.length });
    while (snaps.length > this.#options.keepSnapshots) snaps.shift();
    // Frames covered by the oldest snapshot kept can go, as the file journal drops covered segments.
    const cover = snaps[0]!.lsn;
    const frames = this.store.frames;
    let drop = 0;
    while (drop < frames.length && frames[drop]!.lsn <= cover) drop++;
    frames.splice(0, drop);
    const info: SnapshotInfo = { lsn, items: data.items.length, bytes: bytes.length, durationMs: performance.now() - started };
    this.events.emit("snapshot", info);
    return info;
  }
}
