import type { QueueHostOptions } from "@mq/host";
import { QUEUES, type ChildConfig } from "./child-config";

/** The host options of a queue process: five queues, one maxAttempts, small segments so kills land in rolls and snapshots. */
export function hostOptions(cfg: ChildConfig): QueueHostOptions {
  const common = { maxAttempts: cfg.maxAttempts, defaultLeaseMs: cfg.leaseMs };
  return {
    dataDir: cfg.dataDir,
    durability: cfg.durability,
    segmentBytes: cfg.segmentBytes,
    snapshot: { everyOps: cfg.snapshotEveryOps },
    drainTimeoutMs: 2_000,
    queues: {
      [QUEUES.jobs]: common,
      [QUEUES.latest]: { ...common, dedupMode: "replace" },
      [QUEUES.once]: { ...common, dedupMode: "drop", dedupWindowMs: cfg.dropWindowMs },
      [QUEUES.chain]: common,
      [QUEUES.poison]: common,
    },
  };
}
