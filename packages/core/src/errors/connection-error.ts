import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * The backend or server could not be reached (refused, reset, timed out).
 * Like `PersistenceError`, the outcome of the call is unknown: retry with the
 * same dedup key to be safe.
 */
export class ConnectionError extends MqError {
  /** Where the connection went, e.g. `redis://127.0.0.1:6379` or a server URL. */
  readonly target: string;

  constructor(target: string, detail: string, options?: { cause?: unknown }) {
    super({ code: MQ_ERROR_CODES.CONNECTION, message: `[mq:connection] ${target}: ${detail}; the outcome of the call is unknown, retry with the same dedup key`, cause: options?.cause });
    this.target = target;
  }
}
