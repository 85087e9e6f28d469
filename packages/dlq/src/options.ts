import { InvalidOptionsError } from "@mq/core";
import type { OptionIssue } from "@mq/core";
import { DEFAULT_MAX_ENTRIES } from "./defaults";

/** Options of a {@link DeadLetterStore}. */
export interface DeadLetterStoreOptions {
  /**
   * Entries kept before the oldest is dropped (counted and emitted as `overflow`),
   * so a poison flood cannot exhaust memory.
   * @default 100_000
   */
  readonly maxEntries?: number;
}

/** Options with every default filled in, as exposed on the store. */
export interface ResolvedDeadLetterStoreOptions {
  readonly maxEntries: number;
}

/** Validates options once at the boundary, reporting every problem with its path. */
export function resolveOptions(options: DeadLetterStoreOptions | undefined): ResolvedDeadLetterStoreOptions {
  // Plain JS callers may pass anything; check the shape before reading fields.
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new InvalidOptionsError("dlq", [{ path: "", message: "expected an options object" }]);
  }
  const issues: OptionIssue[] = [];
  const maxEntries = options?.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (typeof maxEntries !== "number" || !Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    issues.push({ path: "maxEntries", message: `expected a positive integer, got ${String(maxEntries)}` });
  }
  if (issues.length > 0) throw new InvalidOptionsError("dlq", issues);
  return { maxEntries };
}
