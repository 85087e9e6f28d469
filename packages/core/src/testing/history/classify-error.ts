import { MQ_ERROR_CODES } from "../../errors/error-codes";
import { MqError } from "../../errors/mq-error";

/** How a rejected operation is logged: `fail` (definitely not applied) or `info` (outcome unknown). */
export interface ErrorOutcome {
  readonly outcome: "fail" | "info";
  /** The MqError code, the Node errno code, or the error's name. */
  readonly code: string;
}

// Rejections that happen before anything is applied: the operation definitely did nothing.
const DEFINITE: ReadonlySet<string> = new Set<string>([
  MQ_ERROR_CODES.INVALID_OPTIONS,
  MQ_ERROR_CODES.INVALID_ARGUMENT,
  MQ_ERROR_CODES.INVALID_PAYLOAD,
  MQ_ERROR_CODES.PAYLOAD_TOO_LARGE,
  MQ_ERROR_CODES.QUEUE_FULL,
  MQ_ERROR_CODES.LEASE_LOST,
  MQ_ERROR_CODES.VERSION_CONFLICT,
  MQ_ERROR_CODES.NOT_FOUND,
  MQ_ERROR_CODES.RECORD_TOO_LARGE,
]);

/**
 * Classifies a rejection for the event log. Validation, `QueueFullError`,
 * `PayloadTooLargeError`, `LeaseLostError` and `VersionConflictError` are
 * definite failures; `PersistenceError` (Decision 7), timeouts, aborts, crashes,
 * lost connections and unknown errors are indeterminate. `HostClosedError` is
 * indeterminate while the host is shutting down (`closing: true`: the call may
 * have been applied before the close began) and definite otherwise.
 */
export function classifyError(error: unknown, options: { readonly closing?: boolean } = {}): ErrorOutcome {
  if (MqError.isInstance(error)) {
    if (error.code === MQ_ERROR_CODES.HOST_CLOSED) return { outcome: options.closing === true ? "info" : "fail", code: error.code };
    return { outcome: DEFINITE.has(error.code) ? "fail" : "info", code: error.code };
  }
  if (error instanceof Error) {
    const errno = (error as Error & { code?: unknown }).code;
    return { outcome: "info", code: typeof errno === "string" ? errno : error.name };
  }
  return { outcome: "info", code: "UNKNOWN" };
}
