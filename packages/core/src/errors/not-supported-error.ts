import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * The host, or the backend it runs on, lacks an optional capability: `peek`
 * on a custom backend without `peek`, say. Not bad input: the same call works
 * where the capability exists. The HTTP server and admin answer it with 501.
 */
export class NotSupportedError extends MqError {
  /** The missing capability, e.g. `peek`. */
  readonly capability: string;

  /** `hint` says what to do instead; `part` names the component in the message (default `host`). */
  constructor(capability: string, hint: string, options?: { readonly part?: string; readonly cause?: unknown }) {
    super({ code: MQ_ERROR_CODES.NOT_SUPPORTED, message: `[mq:${options?.part ?? "host"}] ${capability} is not supported by this host; ${hint}`, cause: options?.cause });
    this.capability = capability;
  }
}
