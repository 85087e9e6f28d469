import type { MqError } from "../errors/mq-error";
import type { Persistence } from "../persistence";

/** A persistence whose appends a test can make fail, and the switch that does it. */
export interface FailingAppends {
  readonly persistence: Persistence;
  /**
   * Every later append rejects with `error`, as on a full or failing disk; with
   * `emitError`, the wrapped persistence's `events` also emit it, as a journal
   * that fail-stops does.
   */
  readonly failAppends: (error: MqError, options?: { readonly emitError?: boolean }) => void;
}

/**
 * Fault injection for tests: wraps `inner` (say `createMemoryPersistence()`) so
 * its appends succeed until `failAppends` is called. Everything else is `inner`'s.
 */
export function withFailingAppends(inner: Persistence): FailingAppends {
  let failure: { error: MqError; emitError: boolean } | undefined;
  const persistence: Persistence = {
    contractVersion: inner.contractVersion,
    kind: inner.kind,
    durability: inner.durability,
    events: inner.events,
    get lastLsn() {
      return inner.lastLsn;
    },
    open: (handler) => inner.open(handler),
    append: (ops) => {
      if (failure === undefined) return inner.append(ops);
      if (failure.emitError) inner.events.emit("error", failure.error);
      return Promise.reject(failure.error);
    },
    snapshot: () => inner.snapshot(),
    close: () => inner.close(),
  };
  return {
    persistence,
    failAppends: (error, options = {}) => void (failure = { error, emitError: options.emitError === true }),
  };
}
