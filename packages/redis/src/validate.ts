// The same input checks as @mq/host: the shared ones come from @mq/core.
import { assertName as assertNameOf, InvalidArgumentError, MAX_PRIORITY, MIN_PRIORITY } from "@mq/core";

export { assertDuration } from "@mq/core";

const KEY_MAX = 512;
const HEADER_BYTES_MAX = 16 * 1024;

/** Queue and topic names, checked as `enqueue` receives them (the shared rule in @mq/core). */
export function assertName(what: "queue" | "topic", name: unknown): asserts name is string {
  assertNameOf("enqueue", what, name);
}

export function assertTimestamp(argument: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new InvalidArgumentError("enqueue", argument, `must be epoch milliseconds, got ${describe(value)}`);
}

export function assertPriority(value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY) {
    throw new InvalidArgumentError("enqueue", "priority", `must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${describe(value)}`);
  }
}

export function assertKey(value: unknown): asserts value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > KEY_MAX) {
    throw new InvalidArgumentError("enqueue", "key", `must be a string of 1–${KEY_MAX} characters, got ${describe(value)}`);
  }
}

export function assertOptionalString(argument: string, value: unknown): asserts value is string | undefined {
  if (value !== undefined && (typeof value !== "string" || value.length > KEY_MAX)) {
    throw new InvalidArgumentError("enqueue", argument, `must be a string of at most ${KEY_MAX} characters, got ${describe(value)}`);
  }
}

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

export function assertPositiveInt(part: string, argument: string, value: unknown, max: number): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(part, argument, `must be an integer from 1 to ${max}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  return typeof value;
}

/** Throws unless `value` is an array (checked without narrowing the caller's type). */
export function assertArray(part: string, argument: string, value: unknown): void {
  if (!Array.isArray(value)) throw new InvalidArgumentError(part, argument, `must be an array, got ${describe(value)}`);
}
