import { RING_ERROR_CODES } from "./error-codes";
import { RingError } from "./ring-error";

/** An awaited `SharedRing` read or write was cancelled through its AbortSignal; `cause` holds the signal's reason. */
export class AbortedError extends RingError {
  constructor(operation: string, reason?: unknown) {
    super(RING_ERROR_CODES.ABORTED, `[mq:ring] ${operation} was aborted by its signal`, reason);
  }
}
