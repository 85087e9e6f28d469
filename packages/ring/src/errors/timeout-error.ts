import { RING_ERROR_CODES } from "./error-codes";
import { RingError } from "./ring-error";

/** A blocking or awaited `SharedRing` read or write found no record or no free slot in time. */
export class TimeoutError extends RingError {
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number) {
    const hint = operation.startsWith("write") ? "the ring stayed full; add consumers or slots" : "the ring stayed empty";
    super(RING_ERROR_CODES.TIMEOUT, `[mq:ring] ${operation} timed out after ${timeoutMs} ms (${hint}), or pass a longer timeoutMs`);
    this.timeoutMs = timeoutMs;
  }
}
