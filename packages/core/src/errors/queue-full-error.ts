import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** The queue is at its message or byte bound. Retry later, or enqueue with `waitIfFull`. */
export class QueueFullError extends MqError {
  readonly queue: string;
  /** Which bound was hit. */
  readonly limit: "messages" | "bytes";

  constructor(queue: string, limit: "messages" | "bytes", capacity: number) {
    super({
      code: MQ_ERROR_CODES.QUEUE_FULL,
      message: `[mq:enqueue] queue "${queue}" is full (${limit} bound ${capacity}); consume faster, raise ${limit === "messages" ? "capacity" : "maxBytes"}, or pass waitIfFull with a signal`,
    });
    this.queue = queue;
    this.limit = limit;
  }
}
