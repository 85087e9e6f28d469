import type { BackendEvents } from "@mq/core";
import { ValueType, type Meter } from "@opentelemetry/api";
import { ATTR, MESSAGING_SYSTEM } from "./attributes";
import type { DispatcherEventsLike, InstrumentableHost } from "./instrumentable-host";

/** Metric names this package records. */
export const METRICS = {
  ENQUEUED: "mq.messages.enqueued",
  ACKED: "mq.messages.acked",
  FAILED: "mq.messages.failed",
  DEAD_LETTERED: "mq.messages.dead_lettered",
  EXPIRED: "mq.messages.expired",
  DEPTH: "mq.queue.depth",
  DELAYED: "mq.queue.delayed",
  IN_FLIGHT: "mq.queue.in_flight",
  DEAD_LETTERS: "mq.queue.dead_letters",
  PROCESS_DURATION: "messaging.process.duration",
  WAIT_DURATION: "mq.queue.wait.duration",
} as const;

/** Seconds: from half a millisecond (a fast in-memory handoff) to a minute. */
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Counters from engine and dispatcher events, gauges read from `stats()`
 * when the SDK collects, and two latency histograms, every one labelled with
 * `messaging.destination.name` (the queue) and `messaging.system`.
 */
export function recordMetrics(host: InstrumentableHost, meter: Meter, now: () => number = Date.now): { restore(): void } {
  const counter = (name: string, description: string) => meter.createCounter(name, { description, unit: "{message}", valueType: ValueType.INT });
  const enqueued = counter(METRICS.ENQUEUED, "Messages created in a queue (duplicates dropped by dedup are not counted).");
  const acked = counter(METRICS.ACKED, "Messages acknowledged.");
  const failed = counter(METRICS.FAILED, "Failed handler attempts (throws, rejections, timeouts, failed acks).");
  const deadLettered = counter(METRICS.DEAD_LETTERED, "Messages moved to the dead-letter store.");
  const expired = counter(METRICS.EXPIRED, "Messages whose TTL passed before delivery.");
  const histogram = (name: string, description: string) => meter.createHistogram(name, { description, unit: "s", advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
  const processDuration = histogram(METRICS.PROCESS_DURATION, "Handler run time per attempt.");
  const waitDuration = histogram(METRICS.WAIT_DURATION, "From enqueue to handler start.");
  const gauge = (name: string, description: string) => meter.createObservableGauge(name, { description, unit: "{message}", valueType: ValueType.INT });
  const depth = gauge(METRICS.DEPTH, "Messages ready for delivery.");
  const delayed = gauge(METRICS.DELAYED, "Messages waiting for their delay to pass.");
  const inFlight = gauge(METRICS.IN_FLIGHT, "Messages leased and not yet settled.");
  const deadLetters = gauge(METRICS.DEAD_LETTERS, "Dead letters kept for the queue.");

  // One attribute object per queue, reused: no allocation per message.
  const labels = new Map<string, { readonly [ATTR.SYSTEM]: string; readonly [ATTR.DESTINATION]: string }>();
  const of = (queue: string) => {
    let l = labels.get(queue);
    if (l === undefined) {
      l = { [ATTR.SYSTEM]: MESSAGING_SYSTEM, [ATTR.DESTINATION]: queue };
      labels.set(queue, l);
    }
    return l;
  };

  const engine: { [K in keyof BackendEvents]?: BackendEvents[K] } = {
    enqueued: (e) => {
      if (e.status !== "duplicate") enqueued.add(1, of(e.queue));
    },
    acked: (e) => acked.add(1, of(e.queue)),
    deadLettered: (e) => deadLettered.add(1, of(e.queue)),
    expired: (e) => expired.add(1, of(e.queue)),
  };
  const dispatcher: { [K in keyof DispatcherEventsLike]: DispatcherEventsLike[K] } = {
    started: (e) => waitDuration.record(Math.max(0, now() - e.enqueuedAt) / 1000, of(e.queue)),
    succeeded: (e) => processDuration.record(e.durationMs / 1000, of(e.queue)),
    failed: (e) => {
      failed.add(1, of(e.queue));
      processDuration.record(e.durationMs / 1000, { ...of(e.queue), [ATTR.ERROR_TYPE]: e.error.name });
    },
  };
  for (const [name, fn] of Object.entries(engine)) host.events.on(name as keyof BackendEvents, fn as never);
  const events = host.dispatcher.events;
  events.on("started", dispatcher.started);
  events.on("succeeded", dispatcher.succeeded);
  events.on("failed", dispatcher.failed);

  const observe = async (result: Parameters<Parameters<Meter["addBatchObservableCallback"]>[0]>[0]): Promise<void> => {
    for (const queue of await host.queues()) {
      const s = await host.stats(queue);
      const l = of(queue);
      result.observe(depth, s.ready, l);
      result.observe(delayed, s.delayed, l);
      result.observe(inFlight, s.inFlight, l);
      result.observe(deadLetters, s.deadLettered, l);
    }
  };
  const observables = [depth, delayed, inFlight, deadLetters];
  meter.addBatchObservableCallback(observe, observables);

  return {
    restore() {
      for (const [name, fn] of Object.entries(engine)) host.events.off(name as keyof BackendEvents, fn as never);
      events.off("started", dispatcher.started);
      events.off("succeeded", dispatcher.succeeded);
      events.off("failed", dispatcher.failed);
      meter.removeBatchObservableCallback(observe, observables);
    },
  };
}
