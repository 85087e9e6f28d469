import { InvalidArgumentError } from "@mq/core";
import type { DeadLetter } from "@mq/core";

/**
 * The whole state of a {@link DeadLetterStore} as plain, msgpack-encodable data.
 * Sequence numbers travel with it so cursors issued before a snapshot keep
 * working after `restore()`.
 */
export interface DeadLetterSnapshot {
  /** Format version. */
  readonly version: 1;
  /** Sequence number the next added entry gets. */
  readonly nextSeq: number;
  /** Entries dropped by the `maxEntries` bound so far. */
  readonly droppedCount: number;
  /** Insertion sequence number of each entry, ascending; parallel to `letters`. */
  readonly seqs: readonly number[];
  /** The entries, oldest first. */
  readonly letters: readonly DeadLetter[];
}

/**
 * Checks a snapshot's structure before anything is replaced, so a bad one
 * leaves the store untouched. Repeated ids are caught by the caller while it
 * indexes the letters, to avoid building a second set.
 * @throws InvalidArgumentError naming the first problem found.
 */
export function assertValidSnapshot(value: unknown): asserts value is DeadLetterSnapshot {
  if (typeof value !== "object" || value === null) fail("expected an object from snapshot()");
  const s = value as Partial<Record<keyof DeadLetterSnapshot, unknown>>;
  if (s.version !== 1) fail(`unsupported version ${String(s.version)}; expected 1`);
  if (!isCount(s.nextSeq) || s.nextSeq < 1) fail("nextSeq must be a positive integer");
  if (!isCount(s.droppedCount)) fail("droppedCount must be a non-negative integer");
  if (!Array.isArray(s.seqs) || !Array.isArray(s.letters)) fail("seqs and letters must be arrays");
  if (s.seqs.length !== s.letters.length) fail("seqs and letters must have the same length");
  let previous = 0;
  for (let i = 0; i < s.seqs.length; i++) {
    const seq: unknown = s.seqs[i];
    if (!isCount(seq) || seq <= previous) fail(`seqs[${i}] must be an integer above the one before it`);
    previous = seq;
    if (letterId(s.letters[i]) === undefined) fail(`letters[${i}] is not a dead letter (needs message.id, queue and reason strings)`);
  }
  if (previous >= s.nextSeq) fail("nextSeq must be above every entry's seq");
}

/** The message id of something shaped like a dead letter, or undefined when it is not one. */
export function letterId(letter: unknown): string | undefined {
  if (typeof letter !== "object" || letter === null) return undefined;
  const l = letter as { message?: unknown; queue?: unknown; reason?: unknown };
  if (typeof l.queue !== "string" || typeof l.reason !== "string") return undefined;
  if (typeof l.message !== "object" || l.message === null) return undefined;
  const id = (l.message as { id?: unknown }).id;
  return typeof id === "string" && id.length > 0 ? id : undefined;
}

// ---------------------------------------------------------------------------

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Throws the error a malformed snapshot gets. */
export function invalidSnapshot(problem: string): never {
  return fail(problem);
}

function fail(problem: string): never {
  throw new InvalidArgumentError("dlq", "snapshot", problem);
}
