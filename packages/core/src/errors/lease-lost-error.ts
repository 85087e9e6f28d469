import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * The receipt or lease token is not current: it expired, was released, was
 * superseded by a newer delivery, or never existed. Nothing was changed.
 */
export class LeaseLostError extends MqError {
  readonly receipt: string;

  constructor(receipt: string, why = "expired, released or superseded") {
    super({
      code: MQ_ERROR_CODES.LEASE_LOST,
      message: `[mq:lease] receipt ${receipt} is no longer valid (${why}); the message may be delivered again, so make the handler idempotent or extend the lease before it ends`,
    });
    this.receipt = receipt;
  }
}
