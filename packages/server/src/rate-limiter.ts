import { RateLimitedError } from "@mq/core";

/**
 * A token bucket per key (a principal, or a client IP for failed logins):
 * `ratePerSecond` refill, `burst` capacity. Buckets idle long enough to be
 * full are dropped, so memory stays bounded by the active keys.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(ratePerSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, burst);
    this.#now = now;
  }

  /** Takes `cost` tokens for `key`, or throws RateLimitedError with how long to wait. */
  take(key: string, cost = 1): void {
    if (this.#rate === 0) return;
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size > 10_000) this.#sweep(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1_000) * this.#rate);
    bucket.at = now;
    if (bucket.tokens < cost) {
      const waitMs = Math.ceil(((cost - bucket.tokens) / this.#rate) * 1_000);
      throw new RateLimitedError("too many requests for this token", waitMs);
    }
    bucket.tokens -= cost;
  }

  #sweep(now: number): void {
    const fullAfterMs = (this.#burst / this.#rate) * 1_000;
    for (const [key, b] of this.#buckets) if (now - b.at > fullAfterMs) this.#buckets.delete(key);
  }
}
