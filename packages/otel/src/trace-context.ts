import { createTraceState, trace, TraceFlags, type Context, type SpanContext } from "@opentelemetry/api";

/**
 * W3C Trace Context in message headers, written here against the API alone
 * (`traceparent: 00-<trace id>-<span id>-<flags>`, plus `tracestate` as is),
 * so propagation works whatever global propagator the application set up.
 */
export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

/** Headers carrying `spanContext`, merged over `headers`. */
export function injectHeaders(headers: Readonly<Record<string, string>> | undefined, spanContext: SpanContext): Record<string, string> {
  const out: Record<string, string> = { ...headers, [TRACEPARENT]: `00-${spanContext.traceId}-${spanContext.spanId}-0${(spanContext.traceFlags & TraceFlags.SAMPLED).toString(16)}` };
  const state = spanContext.traceState?.serialize();
  if (state !== undefined && state !== "") out[TRACESTATE] = state;
  else delete out[TRACESTATE];
  return out;
}

/** The remote span context in `headers`, if a valid `traceparent` is there. */
export function extractSpanContext(headers: Readonly<Record<string, string>> | undefined): SpanContext | undefined {
  const value = headers?.[TRACEPARENT];
  if (typeof value !== "string") return undefined;
  const match = TRACEPARENT_RE.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === "ff" || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  const state = headers?.[TRACESTATE];
  return {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(typeof state === "string" && state !== "" ? { traceState: createTraceState(state) } : {}),
  };
}

/** `parent` with the remote span in `headers` as its current span (or `parent` unchanged when there is none). */
export function contextFromHeaders(parent: Context, headers: Readonly<Record<string, string>> | undefined): Context {
  const remote = extractSpanContext(headers);
  return remote === undefined ? parent : trace.setSpanContext(parent, remote);
}

const TRACEPARENT_RE = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(?:-.*)?$/;
