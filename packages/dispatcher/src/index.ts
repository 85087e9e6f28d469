export { createDispatcher } from "./dispatcher";
export { computeBackoff } from "./backoff";
export { resolveBackoff, resolveHandlerOptions } from "./handler-options";
export { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HANDLER_OPTIONS, MAX_PARALLELISM, defaultLeaseMs } from "./defaults";
export { installSignalHandlers } from "./signal-handlers";
export type { SignalHandlerOptions, Stoppable } from "./signal-handlers";
// The logger contract is @mq/core's (pino call order); re-exported so dispatcher users need not import core for it.
export { silentLogger } from "@mq/core";
export type { LogFields, Logger } from "@mq/core";
export type { HandlerMiddleware } from "./middleware";
export { MAX_AUTO_PREFETCH, MIN_AUTO_PREFETCH, autoPrefetchCeiling } from "./prefetch-depth";
export type {
  BackoffOption,
  BackoffPolicy,
  Dispatcher,
  DispatcherEvents,
  DispatcherOptions,
  DispatcherQueueStats,
  HandlerContext,
  HandlerFn,
  HandlerObject,
  HandlerOptions,
  HandlerRegistration,
  HandlerResolver,
  HandlerSpec,
  HandlerToken,
  ResolvedHandler,
  ResolvedHandlerOptions,
} from "./types";
