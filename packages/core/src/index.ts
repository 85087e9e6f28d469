export { MQ_ERROR_CODES } from "./errors/error-codes";
export type { MqErrorCode } from "./errors/error-codes";
export { MqError } from "./errors/mq-error";
export type { MqErrorOptions } from "./errors/mq-error";
export { AbortedError } from "./errors/aborted-error";
export { DataDirLockedError } from "./errors/data-dir-locked-error";
export { HandlerError } from "./errors/handler-error";
export { HostClosedError } from "./errors/host-closed-error";
export { InvalidArgumentError } from "./errors/invalid-argument-error";
export { InvalidOptionsError } from "./errors/invalid-options-error";
export type { OptionIssue } from "./errors/invalid-options-error";
export { InvalidPayloadError } from "./errors/invalid-payload-error";
export { JournalCorruptError } from "./errors/journal-corrupt-error";
export { LeaseLostError } from "./errors/lease-lost-error";
export { NotFoundError } from "./errors/not-found-error";
export { NotSupportedError } from "./errors/not-supported-error";
export { PayloadTooLargeError } from "./errors/payload-too-large-error";
export { PersistenceError } from "./errors/persistence-error";
export { QueueFullError } from "./errors/queue-full-error";
export { RecordTooLargeError } from "./errors/record-too-large-error";
export { TimeoutError } from "./errors/timeout-error";
export { VersionConflictError } from "./errors/version-conflict-error";
export { UnsupportedVersionError } from "./errors/unsupported-version-error";
export { ConnectionError } from "./errors/connection-error";
export { AccessDeniedError } from "./errors/access-denied-error";
export { RateLimitedError } from "./errors/rate-limited-error";
export { UnrecoverableError } from "./errors/unrecoverable-error";
export { MessageInFlightError } from "./errors/message-in-flight-error";
export { toErrorInfo, toMqError } from "./errors/to-mq-error";
export type { ErrorInfo } from "./errors/to-mq-error";

export { MAX_GROUP_LENGTH, MAX_PRIORITY, MIN_PRIORITY } from "./message";
export type {
  CompletedMessage,
  DeadLetter,
  DeadLetterReason,
  DedupMode,
  Delivery,
  EnqueueItem,
  EnqueueOptions,
  EnqueueResult,
  EnqueueStatus,
  GroupStats,
  Message,
  MessageBackoff,
  MessageInfo,
  MessageState,
  NackOutcome,
  QueueStats,
  ThrottleStats,
} from "./message";
export type { ScheduleCatchUp, ScheduleInfo, ScheduleSpec } from "./schedule";
export type { DeadLetterApi, DeadLetterFilter, DeadLetterPage } from "./dead-letter-api";
export type {
  AckOptions,
  BackendCapabilities,
  BackendEvents,
  GroupFailureMode,
  KeepCompleted,
  NackOptions,
  QueueBackend,
  QueueBackendContractVersion,
  QueueSettings,
  RateLimit,
  ReceiveOptions,
} from "./queue-backend";
export type {
  DurabilityMode,
  Persistence,
  PersistenceContractVersion,
  PersistenceEvents,
  RecoveryHandler,
  RecoveryReport,
  SnapshotData,
  SnapshotInfo,
  SnapshotSink,
} from "./persistence";
export { guardLogger, silentLogger, withFields } from "./logger";
export type { LogFields, Logger } from "./logger";
export { MAX_TIMER_MS, systemClock } from "./clock";
export type { Clock, TimerHandle } from "./clock";
export { createIdGenerator, idTime, newId } from "./message-id";
export { assertValidPayload, MAX_PAYLOAD_DEPTH } from "./payload";
export { assertDuration, assertKnownKeys, assertName, assertScheduleName, NACK_OPTION_KEYS, RECEIVE_OPTION_KEYS } from "./validate";
export { assertDeadLetterFilter, assertReplayOptions, DEAD_LETTER_FILTER_KEYS, DEAD_LETTER_LIST_KEYS, DEAD_LETTER_REPLAY_OPTION_KEYS } from "./validate-dead-letters";
export { assertArray, assertHeaders, assertKey, assertOptionalString, assertPositiveInt, assertPriority, assertTimestamp, ENQUEUE_ITEM_KEYS, validateEnqueueItem } from "./validate-enqueue";
