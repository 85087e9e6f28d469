import type { EnqueueOptions, Logger, Message } from "@mq/core";
import { context, isSpanContextValid, ROOT_CONTEXT, SpanKind, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { ATTR } from "./attributes";
import type { InstrumentableHost, InstrumentedContext } from "./instrumentable-host";
import { messageAttributes, recordFailure } from "./producer-tracing";
import { extractSpanContext, injectHeaders } from "./trace-context";

/**
 * A dispatcher middleware that runs each handler invocation in a CONSUMER
 * span continuing the message's `traceparent` (parent, and link, as the
 * messaging conventions suggest), and gives the handler a `ctx.publish` that
 * stamps each published message with a `create` span of its own, so a chain
 * order → payment → shipping stays one trace.
 */
export function traceConsumer(host: InstrumentableHost, tracer: Tracer): { restore(): void } {
  const remove = host.dispatcher.use(async (ctx, next) => {
    const message = ctx.message;
    const remote = extractSpanContext(message.headers);
    // No active context leaks from the dispatcher's own bookkeeping: the message's context is the parent.
    const parent: Context = remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
    const span = tracer.startSpan(
      `process ${message.queue}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { ...messageAttributes(message.queue, "process", "process", message), [ATTR.MESSAGE_ID]: message.id, [ATTR.ATTEMPT]: ctx.attempt },
        ...(remote === undefined ? {} : { links: [{ context: remote }] }),
      },
      parent,
    );
    // The API's no-op tracer (no SDK installed): nothing to record or propagate.
    if (!isSpanContextValid(span.spanContext())) return next();
    const active = trace.setSpan(parent, span);
    try {
      const result = await context.with(active, () => next(new TracedContext(ctx, tracer, active)));
      span.end();
      return result;
    } catch (error) {
      recordFailure(span, error);
      span.end();
      throw error;
    }
  });
  return { restore: remove };
}

// ---------------------------------------------------------------------------

/** The handler's ctx with a tracing `publish`; everything else is the original's. */
class TracedContext implements InstrumentedContext {
  readonly #inner: InstrumentedContext;
  readonly #tracer: Tracer;
  readonly #active: Context;

  constructor(inner: InstrumentedContext, tracer: Tracer, active: Context) {
    this.#inner = inner;
    this.#tracer = tracer;
    this.#active = active;
  }

  get signal(): AbortSignal {
    return this.#inner.signal;
  }

  get message(): Message {
    return this.#inner.message;
  }

  get attempt(): number {
    return this.#inner.attempt;
  }

  get receipt(): string {
    return this.#inner.receipt;
  }

  get log(): Logger {
    return this.#inner.log;
  }

  extendLease(ms: number): Promise<void> {
    return this.#inner.extendLease(ms);
  }

  progress(value: unknown): void {
    this.#inner.progress(value);
  }

  deadLetter(reason: string): never {
    return this.#inner.deadLetter(reason);
  }

  rateLimited(ms: number): never {
    return this.#inner.rateLimited(ms);
  }

  publish(destination: string | { readonly topic: string }, payload: unknown, options?: EnqueueOptions): void {
    const name = typeof destination === "string" ? destination : String(destination?.topic);
    const inherited = this.#inner.message;
    const correlationId = options?.correlationId ?? inherited.correlationId;
    const attributes = messageAttributes(name, "create", "publish", { causationId: options?.causationId ?? inherited.id, ...(correlationId === undefined ? {} : { correlationId }) });
    const span: Span = this.#tracer.startSpan(`create ${name}`, { kind: SpanKind.PRODUCER, attributes }, this.#active);
    // The message is sent with the ack, after the handler returns: this span marks its creation.
    span.end();
    if (!isSpanContextValid(span.spanContext())) return this.#inner.publish(destination, payload, options);
    // Explicit headers win over the inherited ones, so our traceparent replaces the incoming one.
    this.#inner.publish(destination, payload, { ...options, headers: injectHeaders(options?.headers, span.spanContext()) });
  }
}
