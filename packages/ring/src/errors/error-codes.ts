/**
 * Every stable error code @mq/ring uses. The shared ones mean what they mean in
 * `@mq/core`; `MQ_RING_FULL` is specific to this package.
 */
export const RING_ERROR_CODES = {
  INVALID_ARGUMENT: "MQ_INVALID_ARGUMENT",
  RING_FULL: "MQ_RING_FULL",
  RECORD_TOO_LARGE: "MQ_RECORD_TOO_LARGE",
  TIMEOUT: "MQ_TIMEOUT",
  ABORTED: "MQ_ABORTED",
} as const;

/** One of the values of {@link RING_ERROR_CODES}. */
export type RingErrorCode = (typeof RING_ERROR_CODES)[keyof typeof RING_ERROR_CODES];
