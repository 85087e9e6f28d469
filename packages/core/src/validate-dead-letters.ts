// The dead-letter API's argument checks, shared so every backend refuses the same
// mistakes: a filter is checked before it selects, because `purge({ queu: "orders" })`
// would otherwise match every dead letter and delete them all.
import { InvalidArgumentError } from "./errors/invalid-argument-error";
import { assertKnownKeys, assertName } from "./validate";

/** Keys of a `DeadLetterFilter` (count, replay, purge). */
export const DEAD_LETTER_FILTER_KEYS: ReadonlySet<string> = new Set(["queue", "reason"]);
/** Keys of `deadLetters.list()` options: the filter plus paging. */
export const DEAD_LETTER_LIST_KEYS: ReadonlySet<string> = new Set(["queue", "reason", "limit", "cursor"]);
/** Keys of `deadLetters.replay()` options. */
export const DEAD_LETTER_REPLAY_OPTION_KEYS: ReadonlySet<string> = new Set(["queue"]);

/**
 * Throws `InvalidArgumentError` (led by `operation`, e.g. `"deadLetters.purge"`)
 * unless `filter` is undefined or an object with only `allowed` keys, a valid
 * `queue` name and a non-empty `reason`. Paging fields are the caller's to check.
 */
export function assertDeadLetterFilter(operation: string, filter: unknown, allowed: ReadonlySet<string> = DEAD_LETTER_FILTER_KEYS): void {
  if (filter === undefined) return;
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) throw new InvalidArgumentError(operation, "filter", "must be an object with queue and/or reason");
  assertKnownKeys(operation, "filter", filter, allowed);
  const { queue, reason } = filter as { queue?: unknown; reason?: unknown };
  if (queue !== undefined) assertName(operation, "queue", queue);
  if (reason !== undefined && (typeof reason !== "string" || reason.length === 0)) {
    throw new InvalidArgumentError(operation, "reason", 'must be a non-empty string such as "max-retries", "expired", "rejected" or "poison"');
  }
}

/** Throws unless `options` (of `deadLetters.replay`) is undefined or `{ queue? }` with a valid queue name. */
export function assertReplayOptions(operation: string, options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError(operation, "options", "must be an object such as { queue }");
  assertKnownKeys(operation, "options", options, DEAD_LETTER_REPLAY_OPTION_KEYS);
  const { queue } = options as { queue?: unknown };
  if (queue !== undefined) assertName(operation, "queue", queue);
}
