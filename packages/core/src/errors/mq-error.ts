import type { MqErrorCode } from "./error-codes";

const MARKER = Symbol.for("@mq/error");

/** Options every {@link MqError} is built from. */
export interface MqErrorOptions {
  readonly code: MqErrorCode;
  readonly message: string;
  readonly cause?: unknown;
}

/**
 * Base class of every error @mq throws. Check with `MqError.isInstance(err)`
 * rather than `instanceof`: it also recognises errors from a second installed
 * copy of `@mq/core`. Branch on `code`, which is stable; messages may change.
 */
export class MqError extends Error {
  /** Stable machine-readable code, one of `MQ_ERROR_CODES`. */
  readonly code: MqErrorCode;

  constructor(options: MqErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    Object.defineProperty(this, MARKER, { value: true, enumerable: false });
  }

  /** True for any MqError, even one created by another copy of @mq/core. */
  static isInstance(value: unknown): value is MqError {
    return typeof value === "object" && value !== null && MARKER in value;
  }

  /** True when `value` is an MqError carrying `code`. */
  static hasCode(value: unknown, code: MqErrorCode): value is MqError {
    return MqError.isInstance(value) && value.code === code;
  }
}
