import type { Persistence } from "@mq/core";
import { createFilePersistence } from "@mq/journal";
import { createMemoryPersistence } from "@mq/journal/memory";
import type { QueueHostOptions, ResolvedHostOptions } from "./options";

/** The persistence the options ask for: the given adapter, memory for `durability: "none"`, else the file journal. */
export function createPersistence(options: QueueHostOptions, resolved: ResolvedHostOptions): Persistence {
  if (options.persistence !== undefined) return options.persistence;
  if (resolved.durability === "none") return createMemoryPersistence();
  return createFilePersistence({
    dataDir: resolved.dataDir,
    durability: resolved.durability,
    intervalMs: resolved.intervalMs,
    ...(resolved.segmentBytes === undefined ? {} : { segmentBytes: resolved.segmentBytes }),
    ...(resolved.snapshot.everyOps === undefined ? {} : { snapshotEveryOps: resolved.snapshot.everyOps }),
    ...(resolved.snapshot.everyMs === undefined ? {} : { snapshotEveryMs: resolved.snapshot.everyMs }),
    ...(resolved.snapshot.onClose === undefined ? {} : { snapshotOnClose: resolved.snapshot.onClose }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
