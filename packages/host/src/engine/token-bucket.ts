import type { RateLimit } from "@mq/core";

/** A token may be taken when this close to a whole one: float refills must not leave a start a nanosecond short. */
const EPSILON = 1e-9;

/**
 * A token bucket on the engine's monotonic clock: `max` tokens, refilled
 * continuously at `max` per `perMs`. Full when created, so a new limit allows
 * a burst of `max` at once.
 */
export class TokenBucket {
  #max: number;
  #perMs: number;
  #tokens: number;
  #at: number;

  constructor(limit: RateLimit, now: number) {
    this.#max = limit.max;
    this.#perMs = limit.perMs;
    this.#tokens = limit.max;
    this.#at = now;
  }

  /** True when the bucket runs with `limit` (a changed limit replaces its shape). */
  matches(limit: RateLimit): boolean {
    return limit.max === this.#max && limit.perMs === this.#perMs;
  }

  /** Takes the new shape at runtime, keeping the tokens already earned (at most the new `max`). */
  reshape(limit: RateLimit, now: number): void {
    this.#refill(now);
    this.#max = limit.max;
    this.#perMs = limit.perMs;
    this.#tokens = Math.min(this.#tokens, limit.max);
  }

  /** True when a start may take a token now. */
  available(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= 1 - EPSILON;
  }

  /** Takes a token; the caller has checked {@link available}. */
  take(now: number): void {
    this.#refill(now);
    this.#tokens = Math.max(0, this.#tokens - 1);
  }

  /** Milliseconds until a token is available (0: now). */
  msUntilToken(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1 - EPSILON) return 0;
    return Math.max(1, Math.ceil(((1 - this.#tokens) * this.#perMs) / this.#max));
  }

  /** True when the bucket has refilled completely (it then behaves like a new one and may be dropped). */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#max - EPSILON;
  }

  #refill(now: number): void {
    if (now <= this.#at) return;
    this.#tokens = Math.min(this.#max, this.#tokens + ((now - this.#at) * this.#max) / this.#perMs);
    this.#at = now;
  }
}
