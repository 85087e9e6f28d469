import { MQ_ERROR_CODES, MqError } from "@mq/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** The body of every error response. */
export interface ErrorBody {
  readonly statusCode: number;
  /** `MQ_*` for queue errors, `FST_*` for HTTP-level ones (bad JSON, validation). */
  readonly code: string;
  readonly error: string;
  readonly message: string;
}

/** Maps errors to HTTP answers: validation 400, unknown things 404, a closed or failed host 503; never a crash. */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const status = statusOf(error);
  if (status >= 500) request.log.error({ err: error }, "admin request failed");
  const body: ErrorBody = {
    statusCode: status,
    code: (error as { code?: unknown }).code === undefined ? "MQ_INTERNAL" : String((error as { code: unknown }).code),
    error: REASONS[status] ?? "Error",
    message: status === 500 && !MqError.isInstance(error) ? "[mq:admin] internal error; see the server log" : error.message,
  };
  void reply.code(status).send(body);
}

// ---------------------------------------------------------------------------

function statusOf(error: FastifyError | Error): number {
  if (MqError.isInstance(error)) {
    switch (error.code) {
      case MQ_ERROR_CODES.NOT_SUPPORTED:
        return 501;
      case MQ_ERROR_CODES.NOT_FOUND:
        return 404;
      case MQ_ERROR_CODES.INVALID_ARGUMENT:
      case MQ_ERROR_CODES.INVALID_OPTIONS:
        return 400;
      case MQ_ERROR_CODES.QUEUE_FULL:
        return 429;
      case MQ_ERROR_CODES.HOST_CLOSED:
      case MQ_ERROR_CODES.PERSISTENCE:
        return 503;
      default:
        return 500;
    }
  }
  const status = (error as FastifyError).statusCode;
  return typeof status === "number" && status >= 400 && status < 600 ? status : 500;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};
