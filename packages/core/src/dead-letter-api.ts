import type { DeadLetter, DeadLetterReason } from "./message";

/** Selects dead letters by queue and/or reason. */
export interface DeadLetterFilter {
  readonly queue?: string;
  readonly reason?: DeadLetterReason;
}

/** One page of dead letters; pass `nextCursor` back to get the next one. */
export interface DeadLetterPage {
  readonly items: readonly DeadLetter[];
  readonly nextCursor?: string;
}

/**
 * Inspect and act on dead letters.
 * @remarks Paging is stable under concurrent inserts and removals: a cursor
 * resumes after the last item seen, in the order letters died.
 */
export interface DeadLetterApi {
  /** A page of dead letters, oldest first. @default limit 100 */
  list(options?: DeadLetterFilter & { readonly limit?: number; readonly cursor?: string }): Promise<DeadLetterPage>;
  /** The dead letter for a message id, if any. */
  get(id: string): Promise<DeadLetter | undefined>;
  /** How many dead letters match. */
  count(filter?: DeadLetterFilter): Promise<number>;
  /** Re-enqueues matching dead letters with attempts reset; resolves with the new message ids. */
  replay(target: string | DeadLetterFilter, options?: { readonly queue?: string }): Promise<{ readonly replayed: number; readonly ids: readonly string[] }>;
  /** Deletes matching dead letters (all when no filter); resolves with how many. */
  purge(filter?: DeadLetterFilter): Promise<number>;
}
