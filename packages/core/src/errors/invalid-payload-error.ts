import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** A payload cannot be stored faithfully (a function, a symbol, a `__proto__` key, a cycle, too deep). */
export class InvalidPayloadError extends MqError {
  /** Where in the payload the problem is, e.g. `payload.items[3].fn`. */
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super({
      code: MQ_ERROR_CODES.INVALID_PAYLOAD,
      message: `[mq:payload] ${path}: ${problem}; payloads must be plain data (objects, arrays, strings, numbers, booleans, null, Date, Uint8Array)`,
      cause: options?.cause,
    });
    this.path = path;
  }
}
