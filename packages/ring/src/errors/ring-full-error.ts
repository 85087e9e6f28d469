import { RING_ERROR_CODES } from "./error-codes";
import { RingError } from "./ring-error";

/** `RingBuffer.push` found the buffer at its capacity; nothing was added. */
export class RingFullError extends RingError {
  readonly capacity: number;

  constructor(capacity: number) {
    super(
      RING_ERROR_CODES.RING_FULL,
      `[mq:ring] ring buffer is full (capacity ${capacity}); shift items first, use tryPush to test, or create it with a larger capacity`,
    );
    this.capacity = capacity;
  }
}
