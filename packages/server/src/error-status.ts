import { RequestError } from "./http-errors";
import { AccessDeniedError, MQ_ERROR_CODES, MqError, RateLimitedError, toMqError, type MqErrorCode } from "@mq/core";

/**
 * The one place MqError codes become HTTP statuses. Every error response is
 * `{ error: { code, message, ... } }` with one of these codes; @mq/client
 * turns the code back into the same MqError class.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<MqErrorCode, number>> = {
  [MQ_ERROR_CODES.INVALID_OPTIONS]: 422,
  [MQ_ERROR_CODES.INVALID_ARGUMENT]: 422,
  [MQ_ERROR_CODES.INVALID_PAYLOAD]: 422,
  [MQ_ERROR_CODES.PAYLOAD_TOO_LARGE]: 413,
  [MQ_ERROR_CODES.QUEUE_FULL]: 429,
  [MQ_ERROR_CODES.LEASE_LOST]: 409,
  [MQ_ERROR_CODES.VERSION_CONFLICT]: 409,
  [MQ_ERROR_CODES.NOT_FOUND]: 404,
  [MQ_ERROR_CODES.HOST_CLOSED]: 503,
  [MQ_ERROR_CODES.ABORTED]: 499,
  [MQ_ERROR_CODES.TIMEOUT]: 504,
  [MQ_ERROR_CODES.PERSISTENCE]: 503,
  [MQ_ERROR_CODES.JOURNAL_CORRUPT]: 503,
  [MQ_ERROR_CODES.DATA_DIR_LOCKED]: 503,
  [MQ_ERROR_CODES.RECORD_TOO_LARGE]: 413,
  [MQ_ERROR_CODES.RING_FULL]: 429,
  [MQ_ERROR_CODES.DEDUP_FULL]: 429,
  [MQ_ERROR_CODES.HANDLER_FAILED]: 500,
  [MQ_ERROR_CODES.UNSUPPORTED_VERSION]: 503,
  [MQ_ERROR_CODES.CONNECTION]: 502,
  [MQ_ERROR_CODES.ACCESS_DENIED]: 403,
  [MQ_ERROR_CODES.RATE_LIMITED]: 429,
  [MQ_ERROR_CODES.UNRECOVERABLE]: 422,
  [MQ_ERROR_CODES.IN_FLIGHT]: 409,
  [MQ_ERROR_CODES.NOT_SUPPORTED]: 501,
  [MQ_ERROR_CODES.INTERNAL]: 500,
};

/** The JSON (or msgpack) body of every error response. */
export interface WireError {
  readonly error: {
    readonly code: MqErrorCode;
    readonly message: string;
    /** For `MQ_ACCESS_DENIED`: `unauthenticated` (401) or `forbidden` (403); for request errors a detail such as `MALFORMED_BODY`. */
    readonly reason?: string;
    /** For `MQ_RATE_LIMITED` and `MQ_QUEUE_FULL`. */
    readonly retryAfterMs?: number;
    /** Typed fields of the error (e.g. `receipt`, `queue`, `argument`), so the client can rebuild it. */
    readonly fields?: Readonly<Record<string, string | number>>;
  };
}

const FIELD_NAMES = ["receipt", "queue", "limit", "bytes", "argument", "key", "expected", "actual", "what", "id", "path", "timeoutMs", "errno", "capability"] as const;

/**
 * Status, headers and body for any thrown value. Unknown errors become a
 * fixed `MQ_INTERNAL` message: no stack, path or decoder text leaves (PP4, MP7).
 */
export function errorResponse(thrown: unknown): { status: number; headers: Record<string, string>; body: WireError } {
  const known = MqError.isInstance(thrown);
  const error = known ? thrown : toMqError(thrown);
  let status = HTTP_STATUS_BY_CODE[error.code] ?? 500;
  const headers: Record<string, string> = {};
  let reason: string | undefined;
  let retryAfterMs: number | undefined;
  if (error instanceof AccessDeniedError || (error.code === MQ_ERROR_CODES.ACCESS_DENIED && "reason" in error)) {
    reason = String((error as AccessDeniedError).reason);
    if (reason === "unauthenticated") {
      status = 401;
      headers["www-authenticate"] = 'Bearer realm="mq"';
    }
  }
  if (error instanceof RateLimitedError || error.code === MQ_ERROR_CODES.QUEUE_FULL) {
    retryAfterMs = error instanceof RateLimitedError ? error.retryAfterMs : 1_000;
    headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1_000)));
  }
  if (error instanceof RequestError) {
    status = error.status;
    reason = error.detail;
  }
  if (status === 503) headers["retry-after"] = "1";
  const fields: Record<string, string | number> = {};
  for (const name of FIELD_NAMES) {
    const v = (error as unknown as Record<string, unknown>)[name];
    if (typeof v === "string" || typeof v === "number") fields[name] = v;
  }
  // Internal errors and storage errors keep their detail in the server log only.
  const message =
    error.code === MQ_ERROR_CODES.INTERNAL
      ? "[mq:server] internal error; the server log has the details"
      : error.code === MQ_ERROR_CODES.PERSISTENCE || error.code === MQ_ERROR_CODES.JOURNAL_CORRUPT
        ? "[mq:server] storage is unavailable; the outcome of this call is unknown, retry with the same dedup key"
        : error.message;
  if (error.code === MQ_ERROR_CODES.PERSISTENCE || error.code === MQ_ERROR_CODES.JOURNAL_CORRUPT) {
    delete fields.errno;
    delete fields.path;
  }
  return {
    status,
    headers,
    body: {
      error: {
        code: error.code,
        message,
        ...(reason === undefined ? {} : { reason }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        ...(Object.keys(fields).length === 0 ? {} : { fields }),
      },
    },
  };
}
