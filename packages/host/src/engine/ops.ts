import type { ErrorInfo, QueueSettings } from "@mq/core";
import type { Entry } from "./entry";

/**
 * Journal operations. Each carries absolute values (never increments) so
 * that replaying an operation over a snapshot that already reflects it gives
 * the same state: snapshots are taken without stopping the engine.
 */
export type Op =
  | readonly ["create", ...CreateFields]
  | readonly ["replace", ReplaceFields]
  | readonly ["lease", string, number, number]
  | readonly ["ack", string, number]
  | readonly ["retry", string, number]
  | readonly ["release", readonly string[], readonly number[]]
  | readonly ["dead", string, string, ErrorInfo | undefined, number]
  | readonly ["expire", string, number]
  | readonly ["revive", readonly string[], number, string | undefined]
  | readonly ["purge", readonly string[]]
  | readonly ["bind", string, string]
  | readonly ["unbind", string, string]
  | readonly ["configure", string, QueueSettings];

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

/** The `create` operation for a new entry. */
export function createOp(entry: Entry, stamp: DedupStamp | undefined): Op {
  return [
    "create",
    entry.id,
    entry.queue,
    entry.payload,
    entry.key ?? null,
    entry.version,
    entry.priority,
    entry.enqueuedAt,
    entry.availableAt,
    entry.expiresAt ?? null,
    entry.correlationId ?? null,
    entry.causationId ?? null,
    entry.headers ?? null,
    stamp?.mode ?? null,
    stamp?.windowMs ?? 0,
  ];
}

/** The entry a `create` operation describes, and how its key was accepted. */
export function entryOfCreate(op: readonly ["create", ...CreateFields]): { entry: Entry; stamp: DedupStamp | undefined } {
  const [, id, queue, payload, key, version, priority, enqueuedAt, availableAt, expiresAt, correlationId, causationId, headers, mode, windowMs] = op;
  return {
    entry: {
      id,
      queue,
      payload,
      key: key ?? undefined,
      version,
      priority,
      enqueuedAt,
      availableAt,
      expiresAt: expiresAt ?? undefined,
      attempts: 0,
      attemptTimestamps: [],
      correlationId: correlationId ?? undefined,
      causationId: causationId ?? undefined,
      headers: headers ?? undefined,
      state: "ready",
    },
    stamp: mode === null ? undefined : { mode, windowMs },
  };
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
