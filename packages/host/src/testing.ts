import { INTERNALS, type QueueHost } from "./queue-host";

/** Sizes of the embedded engine's internal structures, for leak checks in tests. */
export interface HostInternals {
  readonly entries: number;
  readonly leases: number;
  readonly scheduled: number;
  readonly dedupKeys: number;
  readonly deadLetters: number;
  readonly receiveWaiters: number;
}

/**
 * Reads a host's internal structure sizes (entries, leases, timers, dedup
 * keys, dead letters, waiting receives). For tests and leak checks only: the
 * shape may change between minor versions. Undefined on a custom backend.
 */
export function hostInternals(host: QueueHost): HostInternals | undefined {
  const read = (host as unknown as Record<symbol, (() => HostInternals | undefined) | undefined>)[INTERNALS];
  return read?.();
}
