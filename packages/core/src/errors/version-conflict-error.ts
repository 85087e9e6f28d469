import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** An optimistic-concurrency check failed: the key's current version is not the one expected. */
export class VersionConflictError extends MqError {
  readonly key: string;
  readonly expected: number;
  /** The current version, or 0 when the key has no entry. */
  readonly actual: number;

  constructor(key: string, expected: number, actual: number) {
    super({
      code: MQ_ERROR_CODES.VERSION_CONFLICT,
      message: `[mq:dedup] key "${key}" is at version ${actual}, not the expected ${expected}; re-read and retry`,
    });
    this.key = key;
    this.expected = expected;
    this.actual = actual;
  }
}
