import type { BackendEvents, Clock } from "@mq/core";
import type { DispatcherEvents } from "@mq/dispatcher";
import type { EventEmitter } from "eventemitter3";
import type { LatencySummary } from "./latency-histogram";
import { RateWindow } from "./rate-window";
import { WindowedHistogram } from "./windowed-histogram";

/** Latency of one queue over the last minute. */
export interface QueueLatency {
  readonly queue: string;
  /** From `enqueuedAt` to handler start; for queues without a handler, to delivery by `receive()`. */
  readonly waitMs: LatencySummary;
  /** Handler run time, successful and failed attempts alike. */
  readonly handlerMs: LatencySummary;
  /** The window the percentiles cover. */
  readonly windowMs: number;
}

/** Events per second of one queue, averaged over the last minute. */
export interface QueueRates {
  readonly queue: string;
  readonly enqueued: number;
  readonly delivered: number;
  readonly acked: number;
  /** Failed handler attempts (throws, timeouts, failed acks). */
  readonly failed: number;
  readonly retried: number;
  readonly deadLettered: number;
  readonly expired: number;
  /** The window the rates average over. */
  readonly windowMs: number;
  /** Epoch ms when recording started (rates before then read as 0). */
  readonly since: number;
}

type RateName = "enqueued" | "delivered" | "acked" | "failed" | "retried" | "deadLettered" | "expired";
const RATE_NAMES: readonly RateName[] = ["enqueued", "delivered", "acked", "failed", "retried", "deadLettered", "expired"];

class QueueRecord {
  readonly wait = new WindowedHistogram();
  readonly handler = new WindowedHistogram();
  readonly rates = Object.fromEntries(RATE_NAMES.map((n) => [n, new RateWindow()])) as Record<RateName, RateWindow>;
}

/** What the observer listens to. */
export interface ObserverSources {
  readonly engine: EventEmitter<BackendEvents>;
  readonly dispatcher: EventEmitter<DispatcherEvents>;
  readonly clock: Clock;
  /** Queues that have a handler (their wait is measured at handler start, not at delivery). */
  readonly handledQueues: () => Iterable<string>;
}

/**
 * Per-queue latency histograms and rates, fed by engine and dispatcher
 * events. It subscribes only on first read, so a host nobody observes pays
 * nothing per message (the engine skips building events without listeners).
 */
export class QueueObserver {
  readonly #sources: ObserverSources;
  readonly #queues = new Map<string, QueueRecord>();
  #handled = new Set<string>();
  #since = 0;
  #listening = false;

  constructor(sources: ObserverSources) {
    this.#sources = sources;
  }

  /** True once something has read (and so started) the observer. */
  get recording(): boolean {
    return this.#listening;
  }

  /** Starts recording (idempotent). Reads call it; call it early to have a full minute by the first read. */
  start(): void {
    this.#refreshHandled();
    if (this.#listening) return;
    this.#listening = true;
    this.#since = this.#sources.clock.now();
    const { engine, dispatcher } = this.#sources;
    engine.on("enqueued", (e) => {
      if (e.status !== "duplicate") this.#count(e.queue, "enqueued");
    });
    engine.on("delivered", (e) => {
      const now = this.#count(e.queue, "delivered");
      if (!this.#handled.has(e.queue)) this.#record(e.queue).wait.record(now, now - e.enqueuedAt);
    });
    engine.on("acked", (e) => void this.#count(e.queue, "acked"));
    engine.on("nacked", (e) => {
      if (e.action === "retried") this.#count(e.queue, "retried");
    });
    engine.on("deadLettered", (e) => void this.#count(e.queue, "deadLettered"));
    engine.on("expired", (e) => void this.#count(e.queue, "expired"));
    dispatcher.on("started", (e) => {
      const now = this.#sources.clock.now();
      this.#record(e.queue).wait.record(now, now - e.enqueuedAt);
    });
    dispatcher.on("succeeded", (e) => this.#record(e.queue).handler.record(this.#sources.clock.now(), e.durationMs));
    dispatcher.on("failed", (e) => {
      const now = this.#count(e.queue, "failed");
      this.#record(e.queue).handler.record(now, e.durationMs);
    });
  }

  latency(queue: string): QueueLatency {
    this.start();
    const now = this.#sources.clock.now();
    const r = this.#record(queue);
    return { queue, waitMs: r.wait.summary(now), handlerMs: r.handler.summary(now), windowMs: 60_000 };
  }

  rates(queue: string): QueueRates {
    this.start();
    const now = this.#sources.clock.now();
    const r = this.#record(queue);
    const out = { queue, windowMs: 59_000, since: this.#since } as Record<string, unknown>;
    for (const name of RATE_NAMES) out[name] = round2(r.rates[name].perSecond(now));
    return out as unknown as QueueRates;
  }

  /** Per-second counts of the last `seconds` whole seconds, oldest first (for charts). */
  series(queue: string, name: RateName, seconds = 59): number[] {
    this.start();
    return this.#record(queue).rates[name].series(this.#sources.clock.now(), seconds);
  }

  // ---------------------------------------------------------------------------

  #record(queue: string): QueueRecord {
    let r = this.#queues.get(queue);
    if (r === undefined) {
      r = new QueueRecord();
      this.#queues.set(queue, r);
    }
    return r;
  }

  #count(queue: string, name: RateName): number {
    const now = this.#sources.clock.now();
    this.#record(queue).rates[name].add(now);
    return now;
  }

  #refreshHandled(): void {
    this.#handled = new Set(this.#sources.handledQueues());
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
