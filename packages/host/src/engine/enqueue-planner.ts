import {
  ENQUEUE_ITEM_KEYS,
  validateEnqueueItem,
  PayloadTooLargeError,
  QueueFullError,
  VersionConflictError,
  type EnqueueItem,
  type EnqueueResult,
} from "@mq/core";
import { encodePayload } from "../payload-codec";
import { dedupKey, type Entry } from "./entry";
import { assertArray } from "./validate";
import type { EngineState } from "./engine-state";
import type { QueueState } from "./queue-state";
import { createsOp, type Op } from "./ops";

/** The journal operations and results for a batch of enqueue items, checked as a whole. */
export interface EnqueuePlan {
  readonly ops: Op[];
  readonly results: EnqueueResult[];
}

interface PlannedKey {
  readonly entry: Entry;
  readonly mode: "replace" | "drop";
}

/**
 * Turns enqueue items into journal operations without changing any state:
 * validation, payload encoding, size and capacity checks and dedup decisions
 * all happen here, so a batch is rejected whole or applied whole.
 */
export function planEnqueue(state: EngineState, items: readonly EnqueueItem[], now: number, newId: () => string): EnqueuePlan {
  assertArray("enqueue", "items", items);
  const ops: Op[] = [];
  // Creates stay objects while later items of the batch may still replace them in place.
  const creates: { entry: Entry; stamp: { mode: "replace" | "drop"; windowMs: number } | undefined }[] = [];
  const results: EnqueueResult[] = [];
  const batchKeys = new Map<string, PlannedKey>();
  const added = new Map<string, { count: number; bytes: number }>();
  // Positions in groups come from one engine-wide sequence; the ops carry them, so replay needs no counter.
  let nextSeq = state.nextSeq;
  const newEntry = (queue: string, item: EnqueueItem, payload: Uint8Array, id: string, version: number): Entry => {
    const entry = buildEntry(queue, item, payload, now, id, version);
    if (item.group !== undefined) {
      entry.group = item.group;
      entry.groupSeq = nextSeq++;
    }
    return entry;
  };

  const planOne = (queue: string, item: EnqueueItem, payload: Uint8Array): EnqueueResult => {
    const q = state.queue(queue);
    // A payload over the queue's whole byte budget could never fit: waiting for room would wait forever.
    const limit = Math.min(q.settings.maxPayloadBytes, q.settings.maxBytes);
    if (payload.byteLength > limit) throw new PayloadTooLargeError(queue, payload.byteLength, limit);
    let growth = added.get(queue);
    if (growth === undefined) added.set(queue, (growth = { count: 0, bytes: 0 }));
    const mode = q.settings.dedupMode;
    const windowMs = q.settings.dedupWindowMs;

    if (item.key !== undefined) {
      const dk = dedupKey(queue, item.key);
      const planned = batchKeys.get(dk);
      if (planned !== undefined) {
        if (item.expectedVersion !== undefined && item.expectedVersion !== planned.entry.version) {
          throw new VersionConflictError(item.key, item.expectedVersion, planned.entry.version);
        }
        if (planned.mode === "drop") return { id: planned.entry.id, queue, status: "duplicate", version: planned.entry.version };
        growth.bytes += payload.byteLength - planned.entry.payload.byteLength;
        checkRoom(q, growth);
        planned.entry.payload = payload;
        planned.entry.version++;
        if (item.headers !== undefined) planned.entry.headers = { ...item.headers };
        return { id: planned.entry.id, queue, status: "replaced", version: planned.entry.version };
      }
      const decision = state.dedup.decide(dk, {
        mode,
        windowMs,
        now,
        ...(item.expectedVersion === undefined ? {} : { expectedVersion: item.expectedVersion }),
      });
      if (decision.action === "duplicate") return { id: decision.messageId ?? "", queue, status: "duplicate", version: decision.version };
      const existing = decision.messageId === undefined ? undefined : state.entries.get(decision.messageId);
      if (decision.action === "replace" && existing !== undefined && (existing.state === "ready" || existing.state === "delayed")) {
        growth.bytes += payload.byteLength - existing.payload.byteLength;
        checkRoom(q, growth);
        ops.push(["replace", { id: existing.id, payload, version: decision.version, at: now, headers: item.headers === undefined ? undefined : { ...item.headers }, expiresAt: expiryOf(item, now) }]);
        return { id: existing.id, queue, status: "replaced", version: decision.version };
      }
      const entry = newEntry(queue, item, payload, newId(), decision.action === "create" ? decision.version : 1);
      growth.count++;
      growth.bytes += payload.byteLength;
      checkRoom(q, growth);
      batchKeys.set(dk, { entry, mode });
      creates.push({ entry, stamp: { mode, windowMs } });
      return { id: entry.id, queue, status: "created", version: entry.version };
    }

    const entry = newEntry(queue, item, payload, newId(), 1);
    growth.count++;
    growth.bytes += payload.byteLength;
    checkRoom(q, growth);
    creates.push({ entry, stamp: undefined });
    return { id: entry.id, queue, status: "created", version: 1 };
  };

  const checkRoom = (q: QueueState, growth: { count: number; bytes: number }): void => {
    if (q.count + growth.count > q.settings.capacity) throw new QueueFullError(q.name, "messages", q.settings.capacity);
    if (q.bytes + growth.bytes > q.settings.maxBytes) throw new QueueFullError(q.name, "bytes", q.settings.maxBytes);
  };

  for (const item of items) {
    validateItem(item);
    const payload = encodePayload(item.payload);
    if (item.topic !== undefined) {
      const copies = [...(state.bindings.get(item.topic) ?? [])].map((queue) => planOne(queue, item, payload));
      results.push({ id: copies[0]?.id ?? "", queue: item.topic, status: "created", version: 1, copies });
    } else {
      results.push(planOne(item.queue, item, payload));
    }
  }
  if (creates.length > 0) ops.push(createsOp(creates));
  // Own limits follow the creates in the same frame (only messages that have one pay for it).
  for (const { entry } of creates) {
    if (entry.maxAttempts !== undefined || entry.backoff !== undefined) ops.push(["limit", entry.id, entry.maxAttempts ?? null, entry.backoff ?? null]);
  }
  return { ops, results };
}

/** Every key an enqueue item may have (the rule every backend shares, from @mq/core). */
export const ITEM_KEYS = ENQUEUE_ITEM_KEYS;

/** Checks one enqueue item; throws `InvalidArgumentError` naming the bad field. */
export const validateItem = validateEnqueueItem;

function expiryOf(item: EnqueueItem, now: number): number | undefined {
  return item.expiresAt ?? (item.ttlMs === undefined ? undefined : now + item.ttlMs);
}

function buildEntry(queue: string, item: EnqueueItem, payload: Uint8Array, now: number, id: string, version: number): Entry {
  return {
    id,
    queue,
    payload,
    key: item.key,
    version,
    priority: item.priority ?? 0,
    enqueuedAt: now,
    availableAt: item.availableAt ?? now + (item.delayMs ?? 0),
    expiresAt: expiryOf(item, now),
    attempts: 0,
    attemptTimestamps: [],
    correlationId: item.correlationId,
    causationId: item.causationId,
    headers: item.headers === undefined ? undefined : { ...item.headers },
    state: "ready",
    replayOrder: 0,
    ...(item.maxAttempts === undefined ? {} : { maxAttempts: item.maxAttempts }),
    ...(item.backoff === undefined ? {} : { backoff: typeof item.backoff === "number" ? item.backoff : { ...item.backoff } }),
  };
}
