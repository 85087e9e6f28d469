import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** The caller's credentials are missing, unknown, or lack the permission the call needs. */
export class AccessDeniedError extends MqError {
  /** `unauthenticated` (no or unknown token) or `forbidden` (token lacks the permission). */
  readonly reason: "unauthenticated" | "forbidden";

  constructor(reason: "unauthenticated" | "forbidden", detail: string) {
    super({ code: MQ_ERROR_CODES.ACCESS_DENIED, message: `[mq:auth] ${detail}` });
    this.reason = reason;
  }
}
