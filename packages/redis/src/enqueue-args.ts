import {
  assertValidPayload,
  InvalidArgumentError,
  MAX_GROUP_LENGTH,
  type EnqueueItem,
} from "@mq/core";
import type { MessageMeta } from "./decode";
import type { KeySpace, ParsedReceipt } from "./keys";
import {
  assertDuration,
  assertHeaders,
  assertKey,
  assertName,
  assertOptionalString,
  assertPriority,
  assertTimestamp,
} from "./validate";

// How calls become script arguments: receipts as (key index, id, token)
// triples and enqueue rows as a key index plus the fields plan_enqueue reads.

/** One enqueue row: an item bound for one queue (a topic item yields one row per bound queue). */
export interface Row {
  readonly queue: string;
  readonly base: string;
  readonly args: (string | Buffer)[];
}

export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

export function receiptArgs(receipts: readonly ParsedReceipt[], keys: readonly string[], space: KeySpace): string[] {
  return receipts.flatMap((r) => [String(keys.indexOf(space.base(r.queue)) + 1), r.id, r.token]);
}

export function rowArgs(rows: readonly Row[], keys: readonly string[]): (string | Buffer)[] {
  return rows.flatMap((r) => [String(keys.indexOf(r.base) + 1), ...r.args]);
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

export function validateItem(item: EnqueueItem): void {
  if (typeof item !== "object" || item === null) throw new InvalidArgumentError("enqueue", "item", "must be an object with queue (or topic) and payload");
  if (item.topic !== undefined) {
    assertName("topic", item.topic);
    if ((item as { queue?: unknown }).queue !== undefined) throw new InvalidArgumentError("enqueue", "item", "give either queue or topic, not both");
  } else assertName("queue", item.queue);
  assertValidPayload(item.payload);
  if (item.key !== undefined) assertKey(item.key);
  if (item.expectedVersion !== undefined && (!Number.isInteger(item.expectedVersion) || item.expectedVersion < 0)) {
    throw new InvalidArgumentError("enqueue", "expectedVersion", "must be an integer ≥ 0");
  }
  if (item.expectedVersion !== undefined && item.key === undefined) throw new InvalidArgumentError("enqueue", "expectedVersion", "needs a key");
  if (item.priority !== undefined) assertPriority(item.priority);
  if (item.delayMs !== undefined) assertDuration("enqueue", "delayMs", item.delayMs);
  if (item.availableAt !== undefined) assertTimestamp("availableAt", item.availableAt);
  if (item.ttlMs !== undefined) assertDuration("enqueue", "ttlMs", item.ttlMs, { min: 1 });
  if (item.expiresAt !== undefined) assertTimestamp("expiresAt", item.expiresAt);
  if (item.delayMs !== undefined && item.availableAt !== undefined) throw new InvalidArgumentError("enqueue", "delayMs", "give delayMs or availableAt, not both");
  if (item.ttlMs !== undefined && item.expiresAt !== undefined) throw new InvalidArgumentError("enqueue", "ttlMs", "give ttlMs or expiresAt, not both");
  assertOptionalString("correlationId", item.correlationId);
  assertOptionalString("causationId", item.causationId);
  assertHeaders(item.headers);
  if (item.maxAttempts !== undefined && (!Number.isInteger(item.maxAttempts) || item.maxAttempts < 1 || item.maxAttempts > Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError("enqueue", "maxAttempts", "must be an integer ≥ 1 (deliveries before the message is dead-lettered)");
  }
  if (item.backoff !== undefined) assertBackoff(item.backoff);
  if (item.group !== undefined && (typeof item.group !== "string" || item.group.length === 0 || item.group.length > MAX_GROUP_LENGTH)) {
    throw new InvalidArgumentError("enqueue", "group", `must be a string of 1–${MAX_GROUP_LENGTH} characters (an ordering group such as "customer-42"), got ${typeof item.group === "string" ? `${item.group.length} characters` : String(item.group)}`);
  }
}

// Same rule as @mq/host's enqueue planner.
function assertBackoff(value: unknown): void {
  const ms = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x) && x >= 0;
  if (ms(value)) return;
  const b = value as { type?: unknown; baseMs?: unknown; maxMs?: unknown; jitter?: unknown } | null;
  const ok =
    typeof b === "object" && b !== null && (b.type === "fixed" || b.type === "exponential") && ms(b.baseMs) &&
    (b.maxMs === undefined || (ms(b.maxMs) && (b.maxMs as number) >= (b.baseMs as number))) && (b.jitter === undefined || typeof b.jitter === "boolean") &&
    Object.keys(b).every((k) => k === "type" || k === "baseMs" || k === "maxMs" || k === "jitter");
  if (!ok) throw new InvalidArgumentError("enqueue", "backoff", 'must be ms ≥ 0, or { type: "fixed" | "exponential", baseMs, maxMs? (≥ baseMs), jitter? }');
}
