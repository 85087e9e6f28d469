import type { Delivery, EnqueueItem, EnqueueOptions, EnqueueResult } from "@mq/core";
import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Attributes, type Link, type Span, type Tracer } from "@opentelemetry/api";
import { ATTR, MESSAGING_SYSTEM } from "./attributes";
import type { InstrumentableHost, TransactionLike } from "./instrumentable-host";
import { contextFromHeaders, extractSpanContext, injectHeaders } from "./trace-context";

type Options = EnqueueOptions & Record<string, unknown>;

/**
 * Replaces the host's enqueue, enqueueBatch, publish and receive with traced
 * versions (on the instance, so `restore()` brings the originals back).
 * Each enqueue gets a PRODUCER span whose context travels in the message's
 * `traceparent` header; a batch gets one `send` span whose context every
 * message of it carries; a receive gets a CONSUMER span linked to every
 * message it leased (a batch of many traces).
 */
export function traceProducer(host: InstrumentableHost, tracer: Tracer): { restore(): void } {
  // Bound, so they run against the host whatever `this` the caller used.
  const original = { enqueue: host.enqueue.bind(host), enqueueBatch: host.enqueueBatch.bind(host), publish: host.publish.bind(host), receive: host.receive.bind(host) };
  const target = host as { -readonly [K in keyof typeof original]: (typeof original)[K] };

  const sendOne = (operation: "enqueue" | "publish", destination: string, options: Options | undefined, call: (options: Options) => Promise<EnqueueResult>): Promise<EnqueueResult> => {
    const parent = contextFromHeaders(context.active(), trace.getSpan(context.active()) === undefined ? options?.headers : undefined);
    const span = tracer.startSpan(`send ${destination}`, { kind: SpanKind.PRODUCER, attributes: messageAttributes(destination, "send", operation, options) }, parent);
    // Without an SDK the span is a no-op with an invalid context: send the message as it is.
    const traced = isSpanContextValid(span.spanContext()) ? { ...options, headers: injectHeaders(options?.headers, span.spanContext()) } : (options ?? {});
    return settle(span, context.with(trace.setSpan(parent, span), () => call(traced)), (result) => {
      span.setAttribute(ATTR.MESSAGE_ID, result.id);
      span.setAttribute(ATTR.ENQUEUE_STATUS, result.copies === undefined ? result.status : `${result.copies.length} copies`);
    });
  };

  target.enqueue = function enqueue(queue, payload, options) {
    return sendOne("enqueue", queue, options, (o) => original.enqueue(queue, payload, o));
  };
  target.publish = function publish(topic, payload, options) {
    return sendOne("publish", topic, options, (o) => original.publish(topic, payload, o));
  };
  target.enqueueBatch = function enqueueBatch(items, options) {
    if (!Array.isArray(items) || items.length === 0) return original.enqueueBatch(items, options);
    const parent = context.active();
    const destinations = new Set(items.map((i: EnqueueItem) => i.queue ?? i.topic));
    const only = destinations.size === 1 ? String([...destinations][0]) : undefined;
    const attributes: Attributes = { [ATTR.SYSTEM]: MESSAGING_SYSTEM, [ATTR.OPERATION_TYPE]: "send", [ATTR.OPERATION_NAME]: "enqueueBatch", [ATTR.BATCH_COUNT]: items.length };
    if (only !== undefined) attributes[ATTR.DESTINATION] = only;
    // One span per batch, its context in every message: per-message spans would cost more than the enqueue.
    const span = tracer.startSpan(only === undefined ? "send" : `send ${only}`, { kind: SpanKind.PRODUCER, attributes }, parent);
    const spanContext = span.spanContext();
    const traced = isSpanContextValid(spanContext) ? items.map((item: EnqueueItem): EnqueueItem => ({ ...item, headers: injectHeaders(item.headers, spanContext) })) : items;
    return settle(span, context.with(trace.setSpan(parent, span), () => original.enqueueBatch(traced, options)));
  };
  target.receive = function receive(queue, options) {
    const parent = context.active();
    return original.receive(queue, options).then(
      (deliveries: Delivery[]) => {
        if (deliveries.length > 0) {
          const links = deliveries.flatMap((d): Link[] => {
            const remote = extractSpanContext(d.message.headers);
            return remote === undefined ? [] : [{ context: remote, attributes: { [ATTR.MESSAGE_ID]: d.message.id } }];
          });
          const span = tracer.startSpan(`receive ${queue}`, {
            kind: SpanKind.CONSUMER,
            attributes: { [ATTR.SYSTEM]: MESSAGING_SYSTEM, [ATTR.DESTINATION]: queue, [ATTR.OPERATION_TYPE]: "receive", [ATTR.OPERATION_NAME]: "receive", [ATTR.BATCH_COUNT]: deliveries.length },
            links,
          }, parent);
          span.end();
        }
        return deliveries;
      },
    );
  };

  const originalTransaction = host.transaction?.bind(host);
  if (originalTransaction !== undefined) {
    host.transaction = function transaction<T>(fn: (tx: TransactionLike) => T | Promise<T>): Promise<T> {
      const parent = context.active();
      const span = tracer.startSpan("send (transaction)", { kind: SpanKind.PRODUCER, attributes: { [ATTR.SYSTEM]: MESSAGING_SYSTEM, [ATTR.OPERATION_TYPE]: "send", [ATTR.OPERATION_NAME]: "transaction" } }, parent);
      const spanContext = span.spanContext();
      const stamp = (options: EnqueueOptions | undefined): EnqueueOptions | undefined => (isSpanContextValid(spanContext) ? { ...options, headers: injectHeaders(options?.headers, spanContext) } : options);
      let count = 0;
      return settle(
        span,
        context.with(trace.setSpan(parent, span), () =>
          originalTransaction((tx) =>
            fn({
              enqueue: (queue, payload, options) => void (count++, tx.enqueue(queue, payload, stamp(options))),
              publish: (topic, payload, options) => void (count++, tx.publish(topic, payload, stamp(options))),
              ack: (receipts) => tx.ack(receipts),
            }),
          ),
        ),
        () => span.setAttribute(ATTR.BATCH_COUNT, count),
      );
    };
  }

  return {
    restore() {
      if (originalTransaction !== undefined) {
        if (Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(host), "transaction")) delete (host as { transaction?: unknown }).transaction;
        else host.transaction = originalTransaction;
      }
      for (const key of Object.keys(original) as (keyof typeof original)[]) {
        // The originals live on the prototype: removing the own property restores them.
        if (Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(host), key)) delete (host as Partial<typeof original>)[key];
        else target[key] = original[key] as never;
      }
    },
  };
}

/** Attributes of a span about one message. */
export function messageAttributes(destination: string, type: string, name: string, options: EnqueueOptions | undefined): Attributes {
  const attributes: Attributes = { [ATTR.SYSTEM]: MESSAGING_SYSTEM, [ATTR.DESTINATION]: destination, [ATTR.OPERATION_TYPE]: type, [ATTR.OPERATION_NAME]: name };
  if (options?.correlationId !== undefined) attributes[ATTR.CONVERSATION_ID] = options.correlationId;
  if (options?.causationId !== undefined) attributes[ATTR.CAUSATION_ID] = options.causationId;
  return attributes;
}

/** Ends `span` when `work` settles: error status and an exception event on failure. */
export function settle<T>(span: Span, work: Promise<T>, onValue?: (value: T) => void): Promise<T> {
  return work.then(
    (value) => {
      onValue?.(value);
      span.end();
      return value;
    },
    (error: unknown) => {
      recordFailure(span, error);
      span.end();
      throw error;
    },
  );
}

/** Marks `span` failed with the error's name as `error.type`. */
export function recordFailure(span: Span, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  span.setAttribute(ATTR.ERROR_TYPE, (error as { code?: unknown }).code === undefined ? e.name : String((error as { code: unknown }).code));
}
