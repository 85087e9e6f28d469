import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** Wraps a non-Error value a handler threw or rejected with, so it can be reported with a name and stack. */
export class HandlerError extends MqError {
  constructor(queue: string, thrown: unknown) {
    super({ code: MQ_ERROR_CODES.HANDLER_FAILED, message: `[mq:handler] handler for "${queue}" threw a non-Error value: ${describe(thrown)}`, cause: thrown });
  }
}

function describe(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? String(value));
  } catch {
    return Object.prototype.toString.call(value);
  }
}
