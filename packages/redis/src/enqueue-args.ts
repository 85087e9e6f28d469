import {
  validateEnqueueItem,
  type EnqueueItem,
} from "@mq/core";
import type { MessageMeta } from "./decode";
import type { KeySpace, ParsedReceipt } from "./keys";

// How calls become script arguments: receipts as (key index, id, token)
// triples and enqueue rows as a key index plus the fields plan_enqueue reads.

/** One enqueue row: an item bound for one queue (a topic item yields one row per bound queue). */
export interface Row {
  readonly queue: string;
  readonly base: string;
  readonly args: (string | Buffer)[];
  /** No dedup key and no group: alone in a call, it can take the script for one plain item (`enqueue_one`). */
  readonly plain: boolean;
}

export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

export function receiptArgs(receipts: readonly ParsedReceipt[], keys: readonly string[], space: KeySpace): string[] {
  return receipts.flatMap((r) => [String(keys.indexOf(space.base(r.queue)) + 1), r.id, r.token]);
}

export function rowArgs(rows: readonly Row[], keys: readonly string[]): (string | Buffer)[] {
  // Plain loops: this runs on every enqueue, where flatMap and spreads cost more than the rest of the call's JS.
  const out: (string | Buffer)[] = [];
  for (const r of rows) {
    out.push(String(keys.indexOf(r.base) + 1));
    for (const a of r.args) out.push(a);
  }
  return out;
}

/** The 11 fields after the key index the script reads per item (see plan_enqueue). */
export function itemArgs(id: string, item: EnqueueItem, payload: Buffer): (string | Buffer)[] {
  const meta: { -readonly [K in keyof MessageMeta]: MessageMeta[K] } = {};
  if (item.correlationId !== undefined) meta.c = item.correlationId;
  if (item.causationId !== undefined) meta.z = item.causationId;
  // Per-message limits travel in the immutable meta: the script reads `m` when it decides to dead-letter.
  if (item.maxAttempts !== undefined) meta.m = item.maxAttempts;
  if (item.backoff !== undefined) meta.bo = item.backoff;
  // The script reads the group from the meta when it stores the message (and when a replay imports it).
  if (item.group !== undefined) meta.g = item.group;
  return [
    id,
    payload,
    item.key ?? "",
    item.expectedVersion === undefined ? "" : String(item.expectedVersion),
    String(item.priority ?? 0),
    item.availableAt === undefined ? "" : String(Math.round(item.availableAt)),
    String(Math.ceil(item.delayMs ?? 0)),
    item.expiresAt === undefined ? "" : String(Math.round(item.expiresAt)),
    item.ttlMs === undefined ? "" : String(Math.ceil(item.ttlMs)),
    JSON.stringify(meta),
    item.headers === undefined ? "" : JSON.stringify(item.headers),
  ];
}

/** Checks one enqueue item with the rule every backend shares (@mq/core). */
export const validateItem = validateEnqueueItem;
