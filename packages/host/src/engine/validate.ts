// The argument checks every backend shares live in @mq/core; the engine's modules import them from here.
export {
  assertArray,
  assertDuration,
  assertHeaders,
  assertKey,
  assertKnownKeys,
  assertName,
  assertOptionalString,
  assertPositiveInt,
  assertPriority,
  assertTimestamp,
} from "@mq/core";
