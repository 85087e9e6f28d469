import type { RingErrorCode } from "./error-codes";

// The same registry symbol `@mq/core` marks its errors with, so `MqError.isInstance`
// and `toMqError` keep ring errors as they are although this package cannot import core.
const MARKER = Symbol.for("@mq/error");

/**
 * Base class of every error @mq/ring throws. Branch on `code`, which is stable;
 * messages may change.
 */
export class RingError extends Error {
  /** Stable machine-readable code, one of `RING_ERROR_CODES`. */
  readonly code: RingErrorCode;

  constructor(code: RingErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, MARKER, { value: true, enumerable: false });
  }

  /** True for any @mq error (from this package or `@mq/core`), even from a second installed copy. */
  static isInstance(value: unknown): value is RingError {
    return typeof value === "object" && value !== null && MARKER in value;
  }
}
