import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** An operation did not finish in time (a handler over `timeoutMs`, a drain over its deadline). */
export class TimeoutError extends MqError {
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number) {
    super({ code: MQ_ERROR_CODES.TIMEOUT, message: `[mq] ${operation} timed out after ${timeoutMs} ms` });
    this.timeoutMs = timeoutMs;
  }
}
