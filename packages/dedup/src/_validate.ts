import { InvalidArgumentError } from "@mq/core";
import type { DedupMode } from "@mq/core";

// Cheap typeof checks only: these run on every enqueue.

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string") throw new InvalidArgumentError("dedup", "key", "must be a string");
}

export function checkMessageId(id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0) throw new InvalidArgumentError("dedup", "messageId", "must be a non-empty string");
}

export function checkMode(mode: unknown): asserts mode is DedupMode {
  if (mode !== "replace" && mode !== "drop") throw new InvalidArgumentError("dedup", "mode", `must be "replace" or "drop", got ${String(mode)}`);
}

export function checkTime(value: unknown, name: string): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new InvalidArgumentError("dedup", name, "must be a finite epoch-ms number");
}

export function checkWindow(value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError("dedup", "windowMs", "must be a finite number >= 0 in drop mode");
  }
}

export function checkVersion(value: unknown, name: string, min: number): asserts value is number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError("dedup", name, `must be an integer >= ${min}`);
  }
}
