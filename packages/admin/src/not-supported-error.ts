import { MQ_ERROR_CODES, MqError } from "@mq/core";

/**
 * The host, or the backend it runs on, lacks an optional capability an admin
 * call needs (for example `peek` on an older host, or on a backend without
 * `peek`). The HTTP server answers it with 501 Not Implemented.
 */
export class NotSupportedError extends MqError {
  /** The missing capability, e.g. `peek`. */
  readonly capability: string;

  constructor(capability: string, hint: string, options?: { cause?: unknown }) {
    super({ code: MQ_ERROR_CODES.INVALID_ARGUMENT, message: `[mq:admin] ${capability} is not supported by this host; ${hint}`, cause: options?.cause });
    this.capability = capability;
  }
}
