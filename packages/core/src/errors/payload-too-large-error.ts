import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** An encoded payload exceeds the queue's `maxPayloadBytes`. */
export class PayloadTooLargeError extends MqError {
  readonly queue: string;
  readonly bytes: number;
  readonly limit: number;

  constructor(queue: string, bytes: number, limit: number) {
    super({
      code: MQ_ERROR_CODES.PAYLOAD_TOO_LARGE,
      message: `[mq:enqueue] payload for queue "${queue}" is ${bytes} bytes encoded, over the limit of ${limit}; store large data elsewhere and enqueue a reference, or raise maxPayloadBytes`,
    });
    this.queue = queue;
    this.bytes = bytes;
    this.limit = limit;
  }
}
