import { RING_ERROR_CODES } from "./error-codes";
import { RingError } from "./ring-error";

/** A record does not fit a `SharedRing` slot; it was rejected, never truncated. */
export class RecordTooLargeError extends RingError {
  readonly bytes: number;
  readonly limit: number;

  constructor(bytes: number, limit: number) {
    super(
      RING_ERROR_CODES.RECORD_TOO_LARGE,
      `[mq:ring] record of ${bytes} bytes exceeds the slot size of ${limit}; create the ring with a larger slotSize`,
    );
    this.bytes = bytes;
    this.limit = limit;
  }
}
