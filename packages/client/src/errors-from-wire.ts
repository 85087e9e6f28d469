import {
  AbortedError,
  AccessDeniedError,
  ConnectionError,
  DataDirLockedError,
  HandlerError,
  HostClosedError,
  InvalidArgumentError,
  InvalidOptionsError,
  InvalidPayloadError,
  JournalCorruptError,
  LeaseLostError,
  MessageInFlightError,
  MQ_ERROR_CODES,
  MqError,
  NotFoundError,
  NotSupportedError,
  PayloadTooLargeError,
  PersistenceError,
  QueueFullError,
  RateLimitedError,
  RecordTooLargeError,
  TimeoutError,
  UnrecoverableError,
  UnsupportedVersionError,
  VersionConflictError,
  type MqErrorCode,
} from "@mq/core";

/** The `error` member of a server error response. */
export interface WireErrorBody {
  readonly code: string;
  readonly message: string;
  readonly reason?: string;
  readonly retryAfterMs?: number;
  readonly fields?: Readonly<Record<string, string | number>>;
}

/**
 * Rebuilds the MqError class the server threw from its wire form, keeping
 * the server's message and typed fields, so `err.code`, `instanceof` and
 * `MqError.isInstance` behave as with the embedded host.
 */
export function errorFromWire(body: WireErrorBody | undefined, status: number, target: string): MqError {
  if (body === undefined || typeof body.code !== "string") return new ConnectionError(target, `unexpected HTTP ${status} without an error body`);
  const f = body.fields ?? {};
  const s = (k: string, d = ""): string => (typeof f[k] === "string" ? (f[k]) : d);
  const n = (k: string, d = 0): number => (typeof f[k] === "number" ? (f[k]) : d);
  let error: MqError;
  switch (body.code as MqErrorCode) {
    case MQ_ERROR_CODES.LEASE_LOST:
      error = new LeaseLostError(s("receipt"));
      break;
    case MQ_ERROR_CODES.INVALID_ARGUMENT:
      error = new InvalidArgumentError("server", s("argument", "request"), body.message);
      break;
    case MQ_ERROR_CODES.INVALID_PAYLOAD:
      error = new InvalidPayloadError(s("path", "payload"), body.message);
      break;
    case MQ_ERROR_CODES.PAYLOAD_TOO_LARGE:
      error = new PayloadTooLargeError(s("queue"), n("bytes"), n("limit"));
      break;
    case MQ_ERROR_CODES.QUEUE_FULL:
      error = new QueueFullError(s("queue"), s("limit") === "bytes" ? "bytes" : "messages", 0);
      break;
    case MQ_ERROR_CODES.VERSION_CONFLICT:
      error = new VersionConflictError(s("key"), n("expected"), n("actual"));
      break;
    case MQ_ERROR_CODES.NOT_FOUND:
      error = new NotFoundError(s("what", "resource"), s("id"));
      break;
    case MQ_ERROR_CODES.HOST_CLOSED:
      error = new HostClosedError("server", "closed");
      break;
    case MQ_ERROR_CODES.ABORTED:
      error = new AbortedError("request");
      break;
    case MQ_ERROR_CODES.TIMEOUT:
      error = new TimeoutError("request", n("timeoutMs"));
      break;
    case MQ_ERROR_CODES.PERSISTENCE:
      error = new PersistenceError(body.message, "REMOTE");
      break;
    case MQ_ERROR_CODES.ACCESS_DENIED:
      error = new AccessDeniedError(body.reason === "unauthenticated" || status === 401 ? "unauthenticated" : "forbidden", body.message);
      break;
    case MQ_ERROR_CODES.RATE_LIMITED:
      error = new RateLimitedError(body.message, body.retryAfterMs ?? 1_000);
      break;
    case MQ_ERROR_CODES.CONNECTION:
      error = new ConnectionError(target, body.message);
      break;
    case MQ_ERROR_CODES.IN_FLIGHT:
      error = new MessageInFlightError(s("queue"), s("id"));
      break;
    case MQ_ERROR_CODES.NOT_SUPPORTED:
      error = new NotSupportedError(s("capability", "operation"), body.message, { part: "server" });
      break;
    case MQ_ERROR_CODES.UNRECOVERABLE:
      error = new UnrecoverableError(body.message);
      break;
    case MQ_ERROR_CODES.INVALID_OPTIONS:
      error = new InvalidOptionsError("server", [{ path: s("argument"), message: body.message }]);
      break;
    case MQ_ERROR_CODES.JOURNAL_CORRUPT:
      // The server keeps file and offset in its own log (PP4): the path is not the client's business.
      error = new JournalCorruptError("(server)", 0, body.message);
      break;
    case MQ_ERROR_CODES.DATA_DIR_LOCKED:
      error = new DataDirLockedError("(server)", 0);
      break;
    case MQ_ERROR_CODES.RECORD_TOO_LARGE:
      error = new RecordTooLargeError("server", n("bytes"), n("limit"));
      break;
    case MQ_ERROR_CODES.HANDLER_FAILED:
      error = new HandlerError(s("queue"), body.message);
      break;
    case MQ_ERROR_CODES.UNSUPPORTED_VERSION:
      error = new UnsupportedVersionError(s("what", "data"), s("found"), body.message);
      break;
    // RING_FULL, DEDUP_FULL and INTERNAL have no class of their own: the base class with the code.
    default:
      error = new MqError({ code: (Object.values(MQ_ERROR_CODES) as string[]).includes(body.code) ? (body.code as MqErrorCode) : MQ_ERROR_CODES.INTERNAL, message: body.message });
  }
  // The server's text is the useful one; keep it verbatim.
  Object.defineProperty(error, "message", { value: body.message, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(error, "status", { value: status, enumerable: false });
  // A request error's detail (e.g. NO_SUCH_ROUTE, CONFIRM_REQUIRED), so callers can tell a missing route from a missing thing.
  if (typeof body.reason === "string" && !(error instanceof AccessDeniedError)) Object.defineProperty(error, "detail", { value: body.reason, enumerable: false });
  return error;
}
