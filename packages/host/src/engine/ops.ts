import type { ErrorInfo, MessageBackoff, QueueSettings } from "@mq/core";
import type { Entry } from "./entry";
import type { ScheduleRecord } from "./schedule-record";
import { NO_ATTEMPTS } from "./snapshot-item";

/**
 * Journal operations. Each carries absolute values (never increments) so
 * that replaying an operation over a snapshot that already reflects it gives
 * the same state: snapshots are taken without stopping the engine.
 */
export type Op =
  | readonly ["create", ...CreateFields]
  /** Many creates in one operation: their fields back to back, {@link CREATE_WIDTH} per message. */
  | readonly ["creates", readonly unknown[]]
  /**
   * Creates of a batch with at least one grouped message: {@link GROUPED_CREATE_WIDTH}
   * fields per message (the create fields, then group or null, then its
   * position). Batches without groups keep `creates`, so they pay nothing.
   */
  | readonly ["gcreates", readonly unknown[]]
  /** A grouped message moved to the back of its group (a failed head under `groupOnFailure: "skip"`): its new position. */
  | readonly ["regroup", string, number]
  /** `throttle()`: the queue (group null) or the group takes no starts until wall-clock `until`. */
  | readonly ["throttle", string, string | null, number]
  | readonly ["replace", ReplaceFields]
  | readonly ["lease", string, number, number]
  /** One receive's deliveries: ids with their attempt counts, leased at one time. */
  | readonly ["leases", readonly string[], readonly number[], number]
  | readonly ["ack", string, number]
  | readonly ["acks", readonly string[], number]
  | readonly ["retry", string, number]
  | readonly ["release", readonly string[], readonly number[]]
  | readonly ["dead", string, string, ErrorInfo | undefined, number]
  | readonly ["expire", string, number]
  | readonly ["revive", readonly string[], number, string | undefined]
  | readonly ["purge", readonly string[]]
  /** Messages removed from a queue by `purge(queue)`: ids, never "the whole queue", so replay over a newer snapshot removes nothing else. */
  | readonly ["discard", readonly string[], number]
  | readonly ["bind", string, string]
  | readonly ["unbind", string, string]
  | readonly ["configure", string, QueueSettings]
  /** A message's own delivery limit and retry delay (null: the queue's / handler's), in the frame that creates it. */
  | readonly ["limit", string, number | null, MessageBackoff | null]
  /** Completions kept on queues with `keepCompleted`, in the ack's frame: ids, msgpack results (null: none), time. */
  | readonly ["completed", readonly string[], readonly (Uint8Array | null)[], number]
  /** A schedule defined (or redefined) with its first fire time. */
  | readonly ["schedule", ScheduleRecord]
  | readonly ["unschedule", string]
  /** A schedule fired at `lastFireAt` (in the frame of the messages it enqueued); next fire at `nextFireAt`. Keyed by definition id. */
  | readonly ["fired", string, string, number, number];

/**
 * A new message, positionally: tuples encode and decode several times faster
 * than objects, and `create` is the operation recovery replays most.
 */
export type CreateFields = [
  id: string,
  queue: string,
  payload: Uint8Array,
  key: string | null,
  version: number,
  priority: number,
  enqueuedAt: number,
  availableAt: number,
  expiresAt: number | null,
  correlationId: string | null,
  causationId: string | null,
  headers: Record<string, string> | null,
  dedupMode: "replace" | "drop" | null,
  dedupWindowMs: number,
];

/** Fields per message in a `create` operation (and per row of `creates`). */
export const CREATE_WIDTH = 14;

/** Fields per message in a `gcreates` operation: the create fields, group, position. */
export const GROUPED_CREATE_WIDTH = CREATE_WIDTH + 2;

/** Offsets of the fields a later item of the same batch may change (a dedup key replaced in the batch). */
export const CREATE_PAYLOAD = 2;
export const CREATE_VERSION = 4;
export const CREATE_HEADERS = 11;

/**
 * The operation that creates the rows in `fields` (written by the enqueue
 * planner straight from the items, {@link CREATE_WIDTH} or, when `grouped`,
 * {@link GROUPED_CREATE_WIDTH} values per message): `create` for one
 * ungrouped message, `creates` for several, `gcreates` when any is grouped.
 * One operation per batch means fewer values to encode and no per-message
 * array to replay.
 */
export function createsOp(fields: unknown[], grouped: boolean): Op {
  if (grouped) return ["gcreates", fields];
  if (fields.length === CREATE_WIDTH) {
    fields.unshift("create");
    return fields as unknown as Op;
  }
  return ["creates", fields];
}

/**
 * The entry described by the create fields starting at `at` in `fields` (a
 * `create` operation from index 1, or a row of `creates`/`gcreates`). The
 * dedup stamp (fields 12 and 13) is read by the caller. Every entry is built
 * from the same literal, so entries share one shape (grouped ones one more).
 */
export function readCreate(fields: readonly unknown[], at: number, width = CREATE_WIDTH): Entry {
  const entry: Entry = {
    id: fields[at] as string,
    queue: fields[at + 1] as string,
    payload: fields[at + 2] as Uint8Array,
    key: (fields[at + 3] as string | null) ?? undefined,
    version: fields[at + 4] as number,
    priority: fields[at + 5] as number,
    enqueuedAt: fields[at + 6] as number,
    availableAt: fields[at + 7] as number,
    expiresAt: (fields[at + 8] as number | null) ?? undefined,
    attempts: 0,
    // Shared until the first attempt: most messages never need a history array of their own before delivery.
    attemptTimestamps: NO_ATTEMPTS,
    correlationId: (fields[at + 9] as string | null) ?? undefined,
    causationId: (fields[at + 10] as string | null) ?? undefined,
    headers: (fields[at + 11] as Record<string, string> | null) ?? undefined,
    state: "ready",
    replayOrder: 0,
  };
  if (width === GROUPED_CREATE_WIDTH) {
    const group = fields[at + 14] as string | null;
    if (group !== null) {
      entry.group = group;
      entry.groupSeq = fields[at + 15] as number;
    }
  }
  return entry;
}

/** How a created message's dedup key was accepted. */
export interface DedupStamp {
  readonly mode: "replace" | "drop";
  readonly windowMs: number;
}

/** What a `replace` enqueue changes in place. */
export interface ReplaceFields {
  readonly id: string;
  readonly payload: Uint8Array;
  readonly version: number;
  readonly at: number;
  readonly headers: Record<string, string> | undefined;
  readonly expiresAt: number | undefined;
}
