export { createQueueHost } from "./create-queue-host";
export { QueueHost } from "./queue-host";
export type { HostEnqueueOptions, HostReceiveOptions } from "./queue-host";
export type { QueueHostOptions, ResolvedHostOptions } from "./options";
export type { Transaction } from "./transaction";
export type { WaitForResultOptions } from "./wait-for-result";
export { defineQueues } from "./typed-queues";
export type { TypedEnqueueItem, TypedMessageInfo, TypedQueues, TypedScheduleSpec } from "./typed-queues";
export type { HostHealth, JournalHealth } from "./health";
export type { QueueLatency, QueueRates } from "./metrics/queue-observer";
export type { LatencySummary } from "./metrics/latency-histogram";
export { LatencyHistogram } from "./metrics/latency-histogram";
export { DEFAULT_QUEUE_SETTINGS, DEFAULT_MAX_DEAD_LETTERS, defaultDataDir } from "./defaults";
export type { ResolvedQueueSettings } from "./engine/queue-state";

export {
  AbortedError,
  AccessDeniedError,
  ConnectionError,
  RateLimitedError,
  UnsupportedVersionError,
  DataDirLockedError,
  HandlerError,
  HostClosedError,
  InvalidArgumentError,
  InvalidOptionsError,
  InvalidPayloadError,
  JournalCorruptError,
  LeaseLostError,
  MQ_ERROR_CODES,
  MessageInFlightError,
  MqError,
  NotFoundError,
  NotSupportedError,
  UnrecoverableError,
  PayloadTooLargeError,
  PersistenceError,
  QueueFullError,
  TimeoutError,
  VersionConflictError,
} from "@mq/core";
export { MAX_GROUP_LENGTH } from "@mq/core";
export type {
  BackendCapabilities,
  CompletedMessage,
  GroupFailureMode,
  GroupStats,
  KeepCompleted,
  RateLimit,
  ThrottleStats,
  MessageInfo,
  MessageState,
  ScheduleCatchUp,
  ScheduleInfo,
  ScheduleSpec,
  DeadLetter,
  DeadLetterApi,
  Delivery,
  DurabilityMode,
  EnqueueItem,
  EnqueueOptions,
  EnqueueResult,
  Message,
  NackOutcome,
  Logger,
  Persistence,
  QueueBackend,
  QueueSettings,
  QueueStats,
  RecoveryReport,
  SnapshotInfo,
} from "@mq/core";
export { installSignalHandlers } from "@mq/dispatcher";
export type { DispatcherEvents, DispatcherQueueStats, HandlerContext, HandlerMiddleware, HandlerOptions, HandlerResolver, HandlerSpec } from "@mq/dispatcher";
export { createFilePersistence } from "@mq/journal";
export { createMemoryPersistence, createMemoryStore } from "@mq/journal/memory";
