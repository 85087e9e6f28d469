import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** An operation was cancelled through its AbortSignal. `cause` holds the signal's reason. */
export class AbortedError extends MqError {
  constructor(operation: string, reason?: unknown) {
    super({ code: MQ_ERROR_CODES.ABORTED, message: `[mq] ${operation} was aborted`, cause: reason });
  }
}
