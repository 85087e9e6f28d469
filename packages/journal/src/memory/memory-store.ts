/**
 * Where a memory journal keeps its frames and snapshots, as encoded bytes (so
 * no object is shared between the writer and a later reader). Outlives the
 * persistence instances that use it: a host "restarted" on the same store
 * recovers what the previous instance appended.
 */
export interface MemoryStore {
  /** Frames in LSN order. */
  readonly frames: { readonly lsn: number; readonly bytes: Uint8Array }[];
  /** Snapshots in LSN order. */
  readonly snapshots: { readonly lsn: number; readonly bytes: Uint8Array; readonly items: number }[];
  /** The instance holding the store open, if any. */
  holder: object | undefined;
  /** Simulates a crash of the holder: the store keeps everything appended, and the lock is dropped. */
  crash(): void;
}

/** Creates an empty {@link MemoryStore}. */
export function createMemoryStore(): MemoryStore {
  return {
    frames: [],
    snapshots: [],
    holder: undefined,
    crash() {
      this.holder = undefined;
    },
  };
}
