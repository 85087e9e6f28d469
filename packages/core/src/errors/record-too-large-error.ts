import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** A record does not fit the fixed slot it must go into; it was rejected, not truncated. */
export class RecordTooLargeError extends MqError {
  readonly bytes: number;
  readonly limit: number;

  constructor(part: string, bytes: number, limit: number) {
    super({ code: MQ_ERROR_CODES.RECORD_TOO_LARGE, message: `[mq:${part}] record of ${bytes} bytes exceeds the slot size of ${limit}; create it with a larger slotSize` });
    this.bytes = bytes;
    this.limit = limit;
  }
}
