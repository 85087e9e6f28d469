import { constants } from "node:os";
import { assertKnownKeys, silentLogger, toErrorInfo } from "@mq/core";
import type { Logger } from "@mq/core";

/** Options of {@link installSignalHandlers}. */
export interface SignalHandlerOptions {
  /** @default ["SIGTERM", "SIGINT"] */
  readonly signals?: readonly NodeJS.Signals[];
  /** Exit the process after the graceful stop (0, or 1 if it failed). @default true */
  readonly exit?: boolean;
  /** Passed to `stop()`; omit to use the target's own default. */
  readonly drainTimeoutMs?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
}

const SIGNAL_HANDLER_OPTION_KEYS: ReadonlySet<string> = new Set(["signals", "exit", "drainTimeoutMs", "logger"]);

/** Anything that stops gracefully: a dispatcher, a host. */
export interface Stoppable {
  stop(options?: { readonly drainTimeoutMs?: number }): Promise<void>;
}

/**
 * Opt-in SIGTERM/SIGINT handling: the first signal stops `target` gracefully
 * and then exits 0; a second signal exits at once (128 + signal number).
 * Returns a function that removes the handlers.
 */
export function installSignalHandlers(target: Stoppable, options: SignalHandlerOptions = {}): () => void {
  assertKnownKeys("installSignalHandlers", "options", options, SIGNAL_HANDLER_OPTION_KEYS);
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const exit = options.exit ?? true;
  const logger = options.logger ?? silentLogger;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, `${signal} again: exiting without waiting for handlers`);
      if (exit) process.exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    stopping = true;
    logger.info({ signal }, `${signal}: stopping gracefully (send it again to exit at once)`);
    const stopped = target.stop(options.drainTimeoutMs === undefined ? undefined : { drainTimeoutMs: options.drainTimeoutMs });
    stopped.then(
      () => {
        if (exit) process.exit(0);
      },
      (error: unknown) => {
        logger.error({ error: toErrorInfo(error).message }, "graceful stop failed");
        if (exit) process.exit(1);
      },
    );
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
