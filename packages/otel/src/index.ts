export { instrumentHost, INSTRUMENTATION_SCOPE } from "./instrument-host";
export type { HostInstrumentation, InstrumentHostOptions } from "./instrument-host";
export type { InstrumentableHost, InstrumentedContext } from "./instrumentable-host";
export { ATTR, MESSAGING_SYSTEM } from "./attributes";
export { METRICS } from "./host-metrics";
export { extractSpanContext, injectHeaders, TRACEPARENT, TRACESTATE } from "./trace-context";
