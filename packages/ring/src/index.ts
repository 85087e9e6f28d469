export { RingBuffer, MAX_RING_CAPACITY } from "./ring-buffer";
export { SharedRing, type SharedRingOptions, type SharedRingWaitOptions } from "./shared-ring";
export { RING_ERROR_CODES, type RingErrorCode } from "./errors/error-codes";
export { RingError } from "./errors/ring-error";
export { RingFullError } from "./errors/ring-full-error";
export { RecordTooLargeError } from "./errors/record-too-large-error";
export { TimeoutError } from "./errors/timeout-error";
export { AbortedError } from "./errors/aborted-error";
export { InvalidArgumentError } from "./errors/invalid-argument-error";
