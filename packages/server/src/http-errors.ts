import { InvalidArgumentError, MQ_ERROR_CODES, MqError, PayloadTooLargeError } from "@mq/core";

/**
 * Request-level problems that are not about a queue: a body that is not JSON
 * or msgpack, an unsupported media type, an unknown route. They carry the
 * HTTP status they answer with; the code stays one of the MqError codes so a
 * client maps them like any other error.
 */
export class RequestError extends MqError {
  readonly status: number;
  /** Short machine-readable detail, e.g. `MALFORMED_BODY`, `UNSUPPORTED_MEDIA_TYPE`. */
  readonly detail: string;
  constructor(status: number, detail: string, message: string) {
    super({ code: status === 404 ? MQ_ERROR_CODES.NOT_FOUND : status === 413 ? MQ_ERROR_CODES.PAYLOAD_TOO_LARGE : MQ_ERROR_CODES.INVALID_ARGUMENT, message: `[mq:server] ${message}` });
    this.status = status;
    this.detail = detail;
  }
}

/** A field failed validation: 422 with the field's path. */
export function invalidField(path: string, problem: string): InvalidArgumentError {
  return new InvalidArgumentError("server", path, problem);
}

/** A body or message over its configured limit: 413. */
export function tooLarge(what: string, bytes: number, limit: number): PayloadTooLargeError {
  const e = new PayloadTooLargeError(what, bytes, limit);
  Object.defineProperty(e, "message", { value: `[mq:server] ${what} is ${bytes} bytes, over the limit of ${limit}; send less per request or raise the server's limit` });
  return e;
}
