// Checks of the per-message enqueue fields every backend accepts, so a bad
// priority, key or header reads the same on the embedded engine and on Redis.
import { InvalidArgumentError } from "./errors/invalid-argument-error";
import { MAX_GROUP_LENGTH, MAX_PRIORITY, MIN_PRIORITY, type EnqueueItem } from "./message";
import { assertValidPayload } from "./payload";
import { assertDuration, assertKnownKeys, assertName, describe } from "./validate";

const KEY_MAX = 512;
const HEADER_BYTES_MAX = 16 * 1024;

/** Throws `InvalidArgumentError` (from `enqueue`) unless `value` is finite epoch milliseconds. */
export function assertTimestamp(argument: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new InvalidArgumentError("enqueue", argument, `must be epoch milliseconds, got ${describe(value)}`);
}

/** Throws `InvalidArgumentError` (from `enqueue`) unless `value` is an integer priority in range. */
export function assertPriority(value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY) {
    throw new InvalidArgumentError("enqueue", "priority", `must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${describe(value)}`);
  }
}

/** Throws `InvalidArgumentError` (from `enqueue`) unless `value` is a dedup key of 1–512 characters. */
export function assertKey(value: unknown): asserts value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > KEY_MAX) {
    throw new InvalidArgumentError("enqueue", "key", `must be a string of 1–${KEY_MAX} characters, got ${describe(value)}`);
  }
}

/** Throws `InvalidArgumentError` (from `enqueue`) unless `value` is absent or a string of at most 512 characters. */
export function assertOptionalString(argument: string, value: unknown): asserts value is string | undefined {
  if (value !== undefined && (typeof value !== "string" || value.length > KEY_MAX)) {
    throw new InvalidArgumentError("enqueue", argument, `must be a string of at most ${KEY_MAX} characters, got ${describe(value)}`);
  }
}

/** Throws `InvalidArgumentError` (from `enqueue`) unless `value` is absent or string headers of at most 16 KiB in all. */
export function assertHeaders(value: unknown): asserts value is Record<string, string> | undefined {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidArgumentError("enqueue", "headers", "must be an object of string values");
  let bytes = 0;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new InvalidArgumentError("enqueue", `headers.${k}`, `must be a string, got ${describe(v)}`);
    bytes += k.length + v.length;
  }
  if (bytes > HEADER_BYTES_MAX) throw new InvalidArgumentError("enqueue", "headers", `must total at most ${HEADER_BYTES_MAX} characters`);
}

/** Throws `InvalidArgumentError` unless `value` is an integer from 1 to `max`. */
export function assertPositiveInt(operation: string, argument: string, value: unknown, max: number): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(operation, argument, `must be an integer from 1 to ${max}, got ${describe(value)}`);
  }
}

/** Throws `InvalidArgumentError` unless `value` is an array (checked without narrowing the caller's type). */
export function assertArray(operation: string, argument: string, value: unknown): void {
  if (!Array.isArray(value)) throw new InvalidArgumentError(operation, argument, `must be an array, got ${describe(value)}`);
}

/** Every key an enqueue item may have; any other is rejected with a "did you mean" hint. */
export const ENQUEUE_ITEM_KEYS: ReadonlySet<string> = new Set([
  "queue", "topic", "payload", "key", "expectedVersion", "priority", "delayMs", "availableAt", "ttlMs", "expiresAt",
  "correlationId", "causationId", "headers", "maxAttempts", "backoff", "group",
]);

/**
 * Checks one enqueue item as every backend accepts it: a queue or a topic,
 * a valid payload, and each option in range. Throws `InvalidArgumentError`
 * (from `enqueue`) naming the bad field.
 */
export function validateEnqueueItem(item: EnqueueItem): void {
  if (typeof item !== "object" || item === null) throw new InvalidArgumentError("enqueue", "item", "must be an object with queue (or topic) and payload");
  if (item.topic !== undefined) {
    assertName("enqueue", "topic", item.topic);
    if ((item as { queue?: unknown }).queue !== undefined) throw new InvalidArgumentError("enqueue", "item", "give either queue or topic, not both");
  } else assertName("enqueue", "queue", item.queue);
  assertKnownKeys("enqueue", "item", item, ENQUEUE_ITEM_KEYS);
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
