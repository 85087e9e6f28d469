import { MQ_ERROR_CODES, MqError } from "@mq/core";

/** The host lacks an optional capability an admin call needs (for example `peek` on an older host). */
export class NotSupportedError extends MqError {
  /** The missing capability, e.g. `peek`. */
  readonly capability: string;

  constructor(capability: string, hint: string) {
    super({ code: MQ_ERROR_CODES.INVALID_ARGUMENT, message: `[mq:admin] ${capability} is not supported by this host; ${hint}` });
    this.capability = capability;
  }
}
