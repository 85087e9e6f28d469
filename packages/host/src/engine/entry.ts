import type { ErrorInfo, Message, MessageBackoff } from "@mq/core";

/** Where a message is in its life. `gone` entries are tombstones left in a lane. */
export type EntryState = "ready" | "delayed" | "in-flight" | "gone";

/**
 * The engine's record of one message. Plain data so it can go into snapshots
 * as is; the payload stays msgpack-encoded until it is delivered.
 */
export interface Entry {
  id: string;
  queue: string;
  payload: Uint8Array;
  key: string | undefined;
  version: number;
  priority: number;
  enqueuedAt: number;
  availableAt: number;
  expiresAt: number | undefined;
  attempts: number;
  attemptTimestamps: number[];
  correlationId: string | undefined;
  causationId: string | undefined;
  headers: Record<string, string> | undefined;
  state: EntryState;
  /** While recovering: the position at which the entry last became ready (stale positions are skipped). */
  replayOrder: number;
  /** Per-message delivery limit (overrides the queue's `maxAttempts`); durable (`limit` op, snapshot field 15). */
  maxAttempts?: number;
  /** Per-message retry delay for the dispatcher; durable like `maxAttempts` (snapshot field 16). */
  backoff?: MessageBackoff;
  /** Ordering group (durable: `gcreates` op, snapshot field 17). */
  group?: string;
  /** Position in its group: a number from one engine-wide sequence, so recovery sorts a group back into order (durable: snapshot field 18, `regroup` op). */
  groupSeq?: number;
  /** In memory only: the last progress its running handler reported. */
  progress?: unknown;
  /** In memory only: why the last attempt failed. */
  lastError?: ErrorInfo;
}

/** Builds the public Message for an entry with its decoded payload. */
export function toMessage<TPayload>(entry: Entry, payload: TPayload): Message<TPayload> {
  const message: {
    -readonly [K in keyof Message<TPayload>]: Message<TPayload>[K];
  } = {
    id: entry.id,
    queue: entry.queue,
    payload,
    version: entry.version,
    priority: entry.priority,
    enqueuedAt: entry.enqueuedAt,
    attempts: entry.attempts,
  };
  if (entry.key !== undefined) message.key = entry.key;
  if (entry.availableAt > entry.enqueuedAt) message.availableAt = entry.availableAt;
  if (entry.expiresAt !== undefined) message.expiresAt = entry.expiresAt;
  if (entry.correlationId !== undefined) message.correlationId = entry.correlationId;
  if (entry.causationId !== undefined) message.causationId = entry.causationId;
  if (entry.headers !== undefined) message.headers = entry.headers;
  if (entry.maxAttempts !== undefined) message.maxAttempts = entry.maxAttempts;
  if (entry.backoff !== undefined) message.backoff = entry.backoff;
  if (entry.group !== undefined) message.group = entry.group;
  return message;
}

/** Scopes a dedup key to its queue, so two queues may use the same keys. */
export function dedupKey(queue: string, key: string): string {
  return `${queue}\u0000${key}`;
}
