import type { MessageBackoff } from "@mq/core";
import type { Entry, EntryState } from "./entry";

/**
 * An entry as a snapshot stores it: positional, because a million objects with
 * field names take several times longer to encode and to decode.
 */
export type SnapshotItem = [
  id: string,
  queue: string,
  payload: Uint8Array,
  key: string | null,
  version: number,
  priority: number,
  enqueuedAt: number,
  availableAt: number,
  expiresAt: number | null,
  attempts: number,
  attemptTimestamps: number[],
  correlationId: string | null,
  causationId: string | null,
  headers: Record<string, string> | null,
  state: EntryState,
  /** Written only when the message has its own limit: snapshots without it still read. */
  maxAttempts?: number | null,
  backoff?: MessageBackoff | null,
  /** Written only for grouped messages (older snapshots have none). */
  group?: string,
  groupSeq?: number,
];

/** Reads a live entry into its stored form; called by the journal as it encodes, slice by slice. */
export function toSnapshotItem(item: unknown): SnapshotItem {
  const e = item as Entry;
  const stored: SnapshotItem = [
    e.id,
    e.queue,
    e.payload,
    e.key ?? null,
    e.version,
    e.priority,
    e.enqueuedAt,
    e.availableAt,
    e.expiresAt ?? null,
    e.attempts,
    e.attemptTimestamps.slice(),
    e.correlationId ?? null,
    e.causationId ?? null,
    e.headers ?? null,
    e.state,
  ];
  if (e.group !== undefined) stored.push(e.maxAttempts ?? null, e.backoff ?? null, e.group, e.groupSeq ?? 0);
  else {
    if (e.maxAttempts !== undefined || e.backoff !== undefined) stored.push(e.maxAttempts ?? null);
    if (e.backoff !== undefined) stored.push(e.backoff);
  }
  return stored;
}

/** The entry a stored item describes. */
export function fromSnapshotItem(item: SnapshotItem): Entry {
  const [id, queue, payload, key, version, priority, enqueuedAt, availableAt, expiresAt, attempts, attemptTimestamps, correlationId, causationId, headers, state] = item;
  return {
    id,
    queue,
    payload,
    key: key ?? undefined,
    version,
    priority,
    enqueuedAt,
    availableAt,
    expiresAt: expiresAt ?? undefined,
    attempts,
    attemptTimestamps,
    correlationId: correlationId ?? undefined,
    causationId: causationId ?? undefined,
    headers: headers ?? undefined,
    state,
    replayOrder: 0,
    ...(item[15] == null ? {} : { maxAttempts: item[15] }),
    ...(item[16] == null ? {} : { backoff: item[16] }),
    ...(item[17] == null ? {} : { group: item[17], groupSeq: item[18] ?? 0 }),
  };
}
