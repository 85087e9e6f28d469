import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** Too many calls in a window; nothing was done. Retry after `retryAfterMs`. */
export class RateLimitedError extends MqError {
  readonly retryAfterMs: number;

  constructor(detail: string, retryAfterMs: number) {
    super({ code: MQ_ERROR_CODES.RATE_LIMITED, message: `[mq:rate-limit] ${detail}; retry after ${retryAfterMs} ms` });
    this.retryAfterMs = retryAfterMs;
  }
}
