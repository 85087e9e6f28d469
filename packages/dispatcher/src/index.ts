export { createDispatcher } from "./dispatcher";
export { computeBackoff } from "./backoff";
export { resolveBackoff, resolveHandlerOptions } from "./handler-options";
export { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HANDLER_OPTIONS, MAX_PARALLELISM, defaultLeaseMs } from "./defaults";
export { installSignalHandlers } from "./signal-handlers";
export type { SignalHandlerOptions, Stoppable } from "./signal-handlers";
export { silentLogger } from "./logger";
export type { HandlerMiddleware } from "./middleware";
export type { LogFields, Logger } from "./logger";
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
