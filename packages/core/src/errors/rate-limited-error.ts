import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * Too many calls in a window: retry after `retryAfterMs`. Thrown by a server
 * that refuses a call (nothing was done), and by a handler to back off without
 * failing: `throw new RateLimitedError(30_000)` (or `ctx.rateLimited(30_000)`)
 * hands the message back with its attempt unused and pauses its ordering
 * group, or its whole queue when it has no group, for that long.
 */
export class RateLimitedError extends MqError {
  /** How long to wait before trying again, in ms. */
  readonly retryAfterMs: number;

  /** `new RateLimitedError(ms)` from a handler; `new RateLimitedError(detail, ms)` with a reason. */
  constructor(retryAfterMs: number);
  constructor(detail: string, retryAfterMs: number);
  constructor(detailOrMs: string | number, retryAfterMs?: number) {
    const ms = typeof detailOrMs === "number" ? detailOrMs : (retryAfterMs ?? 0);
    const detail = typeof detailOrMs === "number" ? "rate limited" : detailOrMs;
    super({ code: MQ_ERROR_CODES.RATE_LIMITED, message: `[mq:rate-limit] ${detail}; retry after ${ms} ms` });
    this.retryAfterMs = ms;
  }
}
