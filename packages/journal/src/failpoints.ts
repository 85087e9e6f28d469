/** Failpoints the file journal passes, before and after every durability step. */
export const FAILPOINT_NAMES = [
  "append.beforeWrite",
  "append.afterWrite",
  "append.afterSync",
  "append.afterResolve",
  "segment.roll.beforeCreate",
  "segment.roll.afterCreate",
  "segment.roll.afterDirSync",
  "snapshot.beforeTmpWrite",
  "snapshot.midTmpWrite",
  "snapshot.afterTmpSync",
  "snapshot.afterRename",
  "snapshot.afterDirSync",
  "compaction.beforeUnlink",
  "compaction.afterFirstUnlink",
  "compaction.afterAllUnlinks",
  "recovery.afterTruncate",
  "recovery.afterReplay",
  "lock.afterCreate",
  "lock.takeover.midway",
  "close.beforeFinalSnapshot",
] as const;

/** One of {@link FAILPOINT_NAMES}. */
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

/** A failpoint hook: called with a name each time execution passes that point. It may throw. */
export type FailpointHook = (name: string) => void;
