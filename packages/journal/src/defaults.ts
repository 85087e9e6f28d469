/** Default options of the file journal, as data. */
export const FILE_DEFAULTS = {
  /** @default "batch" */
  durability: "batch",
  /** @default 100 */
  intervalMs: 100,
  /** @default 64 MiB */
  segmentBytes: 64 * 1024 * 1024,
  /** @default 100_000 */
  snapshotEveryOps: 100_000,
  /** @default 60_000 */
  snapshotEveryMs: 60_000,
  /** @default true */
  snapshotOnClose: true,
  /** @default 2 */
  keepSnapshots: 2,
  /** @default "fail" */
  onCorruption: "fail",
} as const;

/** Default options of the memory journal, as data. */
export const MEMORY_DEFAULTS = {
  /** @default "none" */
  durability: "none",
  /** @default 0 (off) */
  snapshotEveryOps: 0,
  /** @default true */
  snapshotOnClose: true,
  /** @default 2 */
  keepSnapshots: 2,
} as const;
