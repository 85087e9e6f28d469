import { guardLogger, InvalidOptionsError, MAX_TIMER_MS, silentLogger, systemClock, type Clock, type DurabilityMode, type Logger } from "@mq/core";
import * as v from "valibot";
import { FILE_DEFAULTS } from "./defaults";
import type { FailpointHook } from "./failpoints";
import { nodeFs } from "./fs/node-fs";
import type { JournalFs } from "./fs/journal-fs";

/** Options of {@link createFilePersistence}. */
export interface FilePersistenceOptions {
  /** Folder that holds `LOCK`, `journal/` and `snapshots/`; created if missing. */
  readonly dataDir: string;
  /** When an append resolves (see the durability table). @default "batch" */
  readonly durability?: DurabilityMode;
  /** fdatasync period in `interval` mode. @default 100 */
  readonly intervalMs?: number;
  /** Segment size at which the journal rolls to a new file. @default 64 MiB */
  readonly segmentBytes?: number;
  /** Snapshot after this many ops; 0 turns it off. @default 100_000 */
  readonly snapshotEveryOps?: number;
  /** Snapshot this often (ms); 0 turns it off. @default 60_000 */
  readonly snapshotEveryMs?: number;
  /** Write a snapshot on close. @default true */
  readonly snapshotOnClose?: boolean;
  /** How many snapshots to keep (segments after the oldest kept one stay too). @default 2 */
  readonly keepSnapshots?: number;
  /** What recovery does with a corrupt frame: fail `open()` or skip and report it. @default "fail" */
  readonly onCorruption?: "fail" | "skip";
  /** The file-system layer (tests pass `createFaultFs()`). @default the real file system */
  readonly fs?: JournalFs;
  /**
   * Failpoint hook, called with a name before and after every durability step
   * (tests: `createFailpoints()` or `failpointsFromEnv()` from `@mq/journal/testing`).
   * The journal never reads `MQ_FAILPOINT` itself; `undefined` means none. @default none
   */
  readonly failpoints?: FailpointHook | undefined;
  /** Clock for timers and durations. @default systemClock */
  readonly clock?: Clock;
  /**
   * Where the journal reports what an operator must know (pino's call shape):
   * a fail-stop (`error`, once), a failed snapshot and a truncated torn tail
   * or skipped corrupt frames at recovery (`warn`). @default silent
   */
  readonly logger?: Logger | undefined;
}

/** {@link FilePersistenceOptions} with every default filled in. */
export interface ResolvedFileOptions {
  readonly dataDir: string;
  readonly durability: DurabilityMode;
  readonly intervalMs: number;
  readonly segmentBytes: number;
  readonly snapshotEveryOps: number;
  readonly snapshotEveryMs: number;
  readonly snapshotOnClose: boolean;
  readonly keepSnapshots: number;
  readonly onCorruption: "fail" | "skip";
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const fnMembers = (names: readonly string[]) => (value: unknown) =>
  typeof value === "object" && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === "function");

const schema = v.strictObject({
  dataDir: v.pipe(v.string(), v.minLength(1, "must be a non-empty path")),
  durability: v.optional(v.picklist(["always", "batch", "interval", "none"]), FILE_DEFAULTS.durability),
  intervalMs: v.optional(int(1, MAX_TIMER_MS), FILE_DEFAULTS.intervalMs),
  segmentBytes: v.optional(int(1024, 2 ** 31), FILE_DEFAULTS.segmentBytes),
  snapshotEveryOps: v.optional(int(0), FILE_DEFAULTS.snapshotEveryOps),
  snapshotEveryMs: v.optional(int(0, MAX_TIMER_MS), FILE_DEFAULTS.snapshotEveryMs),
  snapshotOnClose: v.optional(v.boolean(), FILE_DEFAULTS.snapshotOnClose),
  keepSnapshots: v.optional(int(1, 1000), FILE_DEFAULTS.keepSnapshots),
  onCorruption: v.optional(v.picklist(["fail", "skip"]), FILE_DEFAULTS.onCorruption),
  fs: v.optional(v.custom<JournalFs>(fnMembers(["open", "writev", "fdatasync", "syncDir", "readdir"]), "must be a JournalFs (see createFaultFs)")),
  failpoints: v.optional(v.custom<FailpointHook>((x) => typeof x === "function", "must be a function (name) => void")),
  clock: v.optional(v.custom<Clock>(fnMembers(["now", "monotonic", "setTimeout", "clearTimeout"]), "must be a Clock")),
  logger: v.optional(v.custom<Logger>(fnMembers(["debug", "info", "warn", "error"]), "must be a Logger (debug, info, warn, error), e.g. a pino logger")),
});

/** Validates options once, reporting every problem with its path. */
export function resolveFileOptions(input: unknown): { options: ResolvedFileOptions; fs: JournalFs; clock: Clock; failpoints: FailpointHook | undefined; logger: Logger } {
  const parsed = v.safeParse(schema, input);
  if (!parsed.success) throw toInvalidOptions("journal", parsed.issues);
  const { fs, clock, failpoints, logger, ...options } = parsed.output;
  return { options, fs: fs ?? nodeFs, clock: clock ?? systemClock, failpoints, logger: logger ? guardLogger(logger) : silentLogger };
}

/** Turns valibot issues into an {@link InvalidOptionsError}. */
export function toInvalidOptions(part: string, issues: readonly v.BaseIssue<unknown>[]): InvalidOptionsError {
  return new InvalidOptionsError(
    part,
    issues.map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message })),
  );
}
