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
import { dedupKey } from "./entry";
import { assertArray } from "./validate";
import type { EngineState } from "./engine-state";
import type { QueueState } from "./queue-state";
import { CREATE_HEADERS, CREATE_PAYLOAD, CREATE_VERSION, createsOp, type Op } from "./ops";

/** The journal operations and results for a batch of enqueue items, checked as a whole. */
export interface EnqueuePlan {
  readonly ops: Op[];
  readonly results: EnqueueResult[];
}

/** A create planned earlier in the same batch under a dedup key: where its row starts, and how the key dedups. */
interface PlannedKey {
  readonly at: number;
  readonly mode: "replace" | "drop";
}

/** Messages and bytes a batch adds to one queue so far (capacity checks are for the batch as a whole). */
interface Growth {
  count: number;
  bytes: number;
}

/**
 * Turns enqueue items into journal operations without changing any state:
 * validation, payload encoding, size and capacity checks and dedup decisions
 * all happen here, so a batch is rejected whole or applied whole. New
 * messages are written straight into the rows of one `creates` operation (no
 * entry is built here: `apply` builds each entry once, from its row).
 */
export function planEnqueue(state: EngineState, items: readonly EnqueueItem[], now: number, newId: () => string): EnqueuePlan {
  assertArray("enqueue", "items", items);
  const ops: Op[] = [];
  const results: EnqueueResult[] = [];
  // Any grouped item makes the batch a `gcreates` (two more fields per row); decided up front so rows are written once.
  let grouped = false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item === "object" && item !== null && item.group !== undefined) {
      grouped = true;
      break;
    }
  }
  const rows: unknown[] = [];
  // Own limits follow the creates in the same frame (only messages that have one pay for it).
  let limits: Op[] | undefined;
  let batchKeys: Map<string, PlannedKey> | undefined;
  // Positions in groups come from one engine-wide sequence; the ops carry them, so replay needs no counter.
  let nextSeq = state.nextSeq;
  // Batches are almost always for one queue: its state and growth are looked up once, not per item.
  let lastQueue: string | undefined;
  let lastState: QueueState | undefined;
  let lastGrowth: Growth | undefined;
  let added: Map<string, Growth> | undefined;

  const growthOf = (queue: string, q: QueueState): Growth => {
    let growth: Growth | undefined;
    if (lastQueue !== undefined) {
      // A second queue in the batch: from now on every queue's growth is kept in a map.
      added ??= new Map([[lastQueue, lastGrowth!]]);
      growth = added.get(queue);
    }
    if (growth === undefined) {
      growth = { count: 0, bytes: 0 };
      added?.set(queue, growth);
    }
    lastQueue = queue;
    lastState = q;
    lastGrowth = growth;
    return growth;
  };

  /** Writes a new message's row; returns where it starts. */
  const pushRow = (queue: string, item: EnqueueItem, payload: Uint8Array, id: string, version: number, mode: "replace" | "drop" | null, windowMs: number): number => {
    const at = rows.length;
    const expiresAt = expiryOf(item, now);
    rows.push(
      id,
      queue,
      payload,
      item.key ?? null,
      version,
      item.priority ?? 0,
      now,
      item.availableAt ?? now + (item.delayMs ?? 0),
      expiresAt ?? null,
      item.correlationId ?? null,
      item.causationId ?? null,
      item.headers === undefined ? null : { ...item.headers },
      mode,
      windowMs,
    );
    if (grouped) {
      if (item.group === undefined) rows.push(null, 0);
      else rows.push(item.group, nextSeq++);
    }
    if (item.maxAttempts !== undefined || item.backoff !== undefined) {
      const backoff = item.backoff === undefined ? null : typeof item.backoff === "number" ? item.backoff : { ...item.backoff };
      (limits ??= []).push(["limit", id, item.maxAttempts ?? null, backoff]);
    }
    return at;
  };

  const planOne = (queue: string, item: EnqueueItem, payload: Uint8Array): EnqueueResult => {
    const q = queue === lastQueue ? lastState! : state.queue(queue);
    const settings = q.settings;
    // A payload over the queue's whole byte budget could never fit: waiting for room would wait forever.
    const limit = Math.min(settings.maxPayloadBytes, settings.maxBytes);
    if (payload.byteLength > limit) throw new PayloadTooLargeError(queue, payload.byteLength, limit);
    const growth = queue === lastQueue ? lastGrowth! : growthOf(queue, q);

    if (item.key !== undefined) {
      const mode = settings.dedupMode;
      const windowMs = settings.dedupWindowMs;
      const dk = dedupKey(queue, item.key);
      const planned = batchKeys?.get(dk);
      if (planned !== undefined) {
        const at = planned.at;
        const version = rows[at + CREATE_VERSION] as number;
        const id = rows[at] as string;
        if (item.expectedVersion !== undefined && item.expectedVersion !== version) throw new VersionConflictError(item.key, item.expectedVersion, version);
        if (planned.mode === "drop") return { id, queue, status: "duplicate", version };
        growth.bytes += payload.byteLength - (rows[at + CREATE_PAYLOAD] as Uint8Array).byteLength;
        checkRoom(q, growth);
        rows[at + CREATE_PAYLOAD] = payload;
        rows[at + CREATE_VERSION] = version + 1;
        if (item.headers !== undefined) rows[at + CREATE_HEADERS] = { ...item.headers };
        return { id, queue, status: "replaced", version: version + 1 };
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
      const version = decision.action === "create" ? decision.version : 1;
      growth.count++;
      growth.bytes += payload.byteLength;
      checkRoom(q, growth);
      const id = newId();
      (batchKeys ??= new Map()).set(dk, { at: pushRow(queue, item, payload, id, version, mode, windowMs), mode });
      return { id, queue, status: "created", version };
    }

    growth.count++;
    growth.bytes += payload.byteLength;
    checkRoom(q, growth);
    const id = newId();
    pushRow(queue, item, payload, id, 1, null, 0);
    return { id, queue, status: "created", version: 1 };
  };

  const checkRoom = (q: QueueState, growth: Growth): void => {
    if (q.count + growth.count > q.settings.capacity) throw new QueueFullError(q.name, "messages", q.settings.capacity);
    if (q.bytes + growth.bytes > q.settings.maxBytes) throw new QueueFullError(q.name, "bytes", q.settings.maxBytes);
  };

  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    validateItem(item);
    const payload = encodePayload(item.payload);
    if (item.topic !== undefined) {
      const copies = [...(state.bindings.get(item.topic) ?? [])].map((queue) => planOne(queue, item, payload));
      results.push({ id: copies[0]?.id ?? "", queue: item.topic, status: "created", version: 1, copies });
    } else {
      results.push(planOne(item.queue, item, payload));
    }
  }
  if (rows.length > 0) ops.push(createsOp(rows, grouped));
  if (limits !== undefined) for (const op of limits) ops.push(op);
  return { ops, results };
}

/** Every key an enqueue item may have (the rule every backend shares, from @mq/core). */
export const ITEM_KEYS = ENQUEUE_ITEM_KEYS;

/** Checks one enqueue item; throws `InvalidArgumentError` naming the bad field. */
export const validateItem = validateEnqueueItem;

function expiryOf(item: EnqueueItem, now: number): number | undefined {
  return item.expiresAt ?? (item.ttlMs === undefined ? undefined : now + item.ttlMs);
}
