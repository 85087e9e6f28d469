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

/**
 * The attempt history of every restored entry that has none yet: one shared,
 * frozen array instead of a million empty ones to allocate and keep (most queued
 * messages were never delivered). Whoever records an attempt replaces it.
 */
export const NO_ATTEMPTS: number[] = Object.freeze([]) as unknown as number[];

/** The entry a stored item describes. Restore calls this once per queued message: no spreads, one object of one shape. */
export function fromSnapshotItem(item: SnapshotItem): Entry {
  const entry: Entry = {
    id: item[0],
    queue: item[1],
    payload: item[2],
    key: item[3] ?? undefined,
    version: item[4],
    priority: item[5],
    enqueuedAt: item[6],
    availableAt: item[7],
    expiresAt: item[8] ?? undefined,
    attempts: item[9],
    attemptTimestamps: item[10].length === 0 ? NO_ATTEMPTS : item[10],
    correlationId: item[11] ?? undefined,
    causationId: item[12] ?? undefined,
    headers: item[13] ?? undefined,
    state: item[14],
    replayOrder: 0,
  };
  if (item[15] != null) entry.maxAttempts = item[15];
  if (item[16] != null) entry.backoff = item[16];
  if (item[17] != null) {
    entry.group = item[17];
    entry.groupSeq = item[18] ?? 0;
  }
  return entry;
}
