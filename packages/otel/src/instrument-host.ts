import { InvalidArgumentError } from "@mq/core";
import { metrics, trace, type MeterProvider, type TracerProvider } from "@opentelemetry/api";
import { traceConsumer } from "./consumer-tracing";
import { recordMetrics } from "./host-metrics";
import type { InstrumentableHost } from "./instrumentable-host";
import { traceProducer } from "./producer-tracing";

/** Options of {@link instrumentHost}. */
export interface InstrumentHostOptions {
  /** Where metrics go. @default the global provider (`metrics.getMeterProvider()`) */
  readonly meterProvider?: MeterProvider;
  /** Where spans go. @default the global provider (`trace.getTracerProvider()`) */
  readonly tracerProvider?: TracerProvider;
  /** Record metrics. @default true */
  readonly metrics?: boolean;
  /** Record spans and carry trace context in message headers. @default true */
  readonly traces?: boolean;
}

/** An installed instrumentation; `uninstrument()` puts the host back as it was. */
export interface HostInstrumentation {
  uninstrument(): void;
}

/** Name and version of the instrumentation scope (tracer and meter). */
export const INSTRUMENTATION_SCOPE = { name: "@mq/otel", version: "0.0.0" } as const;

const instrumented = new WeakSet<object>();

/**
 * Turns a host's activity into OpenTelemetry metrics and traces, using only
 * `@opentelemetry/api` (bring your own SDK). Call it before `host.start()`
 * so the first messages are covered; call it once per host.
 *
 * @example
 * const instrumentation = instrumentHost(host, { tracerProvider, meterProvider });
 * await host.start();
 */
export function instrumentHost(host: InstrumentableHost, options: InstrumentHostOptions = {}): HostInstrumentation {
  if (typeof host !== "object" || host === null || typeof host.enqueue !== "function" || typeof host.dispatcher?.use !== "function") {
    throw new InvalidArgumentError("otel", "host", "must be a QueueHost from @mq/host (with dispatcher.use())");
  }
  if (instrumented.has(host)) throw new InvalidArgumentError("otel", "host", "is already instrumented; call uninstrument() on the earlier instrumentation first");
  instrumented.add(host);
  const parts: { restore(): void }[] = [];
  if (options.traces !== false) {
    const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE.name, INSTRUMENTATION_SCOPE.version);
    parts.push(traceProducer(host, tracer), traceConsumer(host, tracer));
  }
  if (options.metrics !== false) {
    const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE.name, INSTRUMENTATION_SCOPE.version);
    parts.push(recordMetrics(host, meter));
  }
  let done = false;
  return {
    uninstrument() {
      if (done) return;
      done = true;
      for (const part of parts) part.restore();
      instrumented.delete(host);
    },
  };
}
