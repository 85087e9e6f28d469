/** What a delivery's run ended as, for the pool's counters. */
export type Outcome = "succeeded" | "failed" | "timedOut" | "retried" | "deadLettered" | "released" | "interrupted" | "rateLimited";

/** The monotonic counters of one queue's pool, as `stats()` reports them. */
export class PoolCounters {
  readonly counts: Record<Outcome, number> = { succeeded: 0, failed: 0, timedOut: 0, retried: 0, deadLettered: 0, released: 0, interrupted: 0, rateLimited: 0 };
  /** Handlers that no longer hold a slot but have not settled (timed out or aborted, ignoring their signal). */
  abandoned = 0;

  record(outcome: Outcome, count = 1): void {
    this.counts[outcome] += count;
  }
}
