import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * Thrown by a handler to say the failure is final: the dispatcher
 * dead-letters the message at once instead of retrying it (no retry could
 * succeed: bad input, a deleted account, a rejected card).
 */
export class UnrecoverableError extends MqError {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super({ code: MQ_ERROR_CODES.UNRECOVERABLE, message, ...(options.cause === undefined ? {} : { cause: options.cause }) });
  }
}
