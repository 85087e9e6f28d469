import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * Normalizes anything thrown into an MqError, keeping MqErrors as they are and
 * wrapping the rest (as `cause`) with code `MQ_INTERNAL`. Use it at every boundary.
 */
export function toMqError(value: unknown, context = "unexpected error"): MqError {
  if (MqError.isInstance(value)) return value;
  const detail = value instanceof Error ? value.message : String(value);
  return new MqError({ code: MQ_ERROR_CODES.INTERNAL, message: `[mq] ${context}: ${detail}`, cause: value });
}

/** A serializable description of an error, as stored in dead letters and events. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

/** Turns any thrown value into an {@link ErrorInfo}. */
export function toErrorInfo(value: unknown): ErrorInfo {
  if (value instanceof Error || MqError.isInstance(value)) {
    const e = value as Error & { code?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(e.stack === undefined ? {} : { stack: e.stack }),
      ...(typeof e.code === "string" ? { code: e.code } : {}),
    };
  }
  let message: string;
  try {
    message = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    message = Object.prototype.toString.call(value);
  }
  return { name: "NonError", message };
}
