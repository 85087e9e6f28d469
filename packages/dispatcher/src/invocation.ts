import { AbortedError, HandlerError, LeaseLostError, MAX_TIMER_MS, MQ_ERROR_CODES, MqError, RateLimitedError, TimeoutError, toErrorInfo, UnrecoverableError } from "@mq/core";
import type { Clock, Delivery, EnqueueItem, ErrorInfo, Logger, QueueBackend } from "@mq/core";
import { computeBackoff } from "./backoff";
import { resolveBackoff } from "./handler-options";
import { InvocationContext } from "./handler-context";
import type { ContextTarget } from "./handler-context";
import type { Timed } from "./invocation-timers";
import type { AckSettler } from "./ack-batcher";
import type { HeartbeatListener, LeaseHeartbeat } from "./lease-heartbeat";
import { runMiddleware, type HandlerMiddleware } from "./middleware";
import type { Outcome } from "./pool-counters";
import { handlerFor } from "./resolve-handler";
import type { HandlerSource, Invoke } from "./resolve-handler";
import type { DispatcherEvents, HandlerContext, ResolvedHandlerOptions } from "./types";

/** What an invocation needs from the pool that runs it. */
export interface InvocationOwner {
  readonly queue: string;
  readonly backend: QueueBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: ResolvedHandlerOptions;
  readonly source: HandlerSource;
  /** Wrappers around every handler call (usually empty). */
  readonly middleware: readonly HandlerMiddleware[];
  readonly random: () => number;
  /** Acks one delivery with its publishes (coalesced with others of the same turn); the outcome goes to `settler`. */
  ack(receipt: string, publish: readonly EnqueueItem[] | undefined, result: unknown, settler: AckSettler): void;
  /** True when someone listens to `event` (so payloads are only built when needed). */
  listening(event: keyof DispatcherEvents): boolean;
  emit<K extends keyof DispatcherEvents>(event: K, payload: Parameters<DispatcherEvents[K]>[0]): void;
  record(outcome: Outcome): void;
  /** Reports a failed backend call (an `error` event, and a log line, which is all there is when nobody listens). */
  reportError(operation: string, error: unknown, fields?: Readonly<Record<string, unknown>>): void;
  /** A handler that no longer holds a slot is still running (+1) or has finally settled (-1). */
  abandoned(delta: 1 | -1): void;
  /** The handler phase ended (settled, timed out or aborted): the slot is free, an ack or nack follows. */
  leftRunning(invocation: Invocation): void;
  /** That ack or nack is done. */
  finished(): void;
}

/**
 * A handler aborted at the drain deadline did run, so its attempt stays
 * counted (a release would pretend it never ran), but stopping is not its
 * failure: it is retried at once and never dead-lettered for it.
 */
const NEVER_DEAD_LETTER = Number.MAX_SAFE_INTEGER;

/**
 * One handler run for one delivery: timeout, heartbeat, then ack (with the
 * buffered publishes) or nack with backoff. The slot is held from `run()`
 * until the handler settles, times out or is aborted; the ack or nack that
 * follows runs in the pool's bounded ack window, so a slow durable ack does
 * not idle a worker. A handler that outlives its timeout is abandoned (its
 * later result is ignored, and the backend fences its receipt).
 * Timers live in the pool ({@link InvocationTimers}), not here.
 */
export class Invocation implements Timed, ContextTarget, AckSettler, HeartbeatListener {
  readonly delivery: Delivery;
  readonly #owner: InvocationOwner;
  readonly #lease: LeaseHeartbeat;
  #published: EnqueueItem[] | undefined;
  #phase: "running" | "settling" = "running";
  #handlerSettled = false;
  #isAbandoned = false;
  #startedAt = 0;
  #deadline = 0;
  // Created on first use of ctx.signal: AbortController is costly in Node, and most fast handlers never look.
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;
  /** Set by ctx.deadLetter: the run ends in a dead letter, even if the handler swallowed the throw. */
  #deadLetterReason: string | undefined;
  /** Set by ctx.rateLimited: the run ends in a back-off, even if the handler swallowed the throw. */
  #rateLimitMs: number | undefined;

  /** `lease`: the heartbeat that kept the delivery alive while it was held; this run takes it over. */
  constructor(owner: InvocationOwner, delivery: Delivery, lease: LeaseHeartbeat) {
    this.#owner = owner;
    this.delivery = delivery;
    this.#lease = lease;
    if (!owner.options.autoExtend) lease.stop();
    lease.listener = this;
  }

  /** The heartbeat's extend failed (it took over from the held delivery's listener). */
  heartbeatFailed(error: unknown, lost: boolean): void {
    if (this.#phase !== "running") return;
    this.#report("extend", error);
    // Someone else may get the message now; tell the handler to stop.
    if (lost) this.#abort(error);
  }

  /** True while the handler may still publish and its result counts. */
  get active(): boolean {
    return this.#phase === "running";
  }

  get deadline(): number {
    return this.#deadline;
  }

  get nextBeat(): number {
    return this.#phase === "running" ? this.#lease.nextBeat : Number.POSITIVE_INFINITY;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Starts the handler; never throws, never rejects. */
  run(): void {
    const owner = this.#owner;
    const { message, attempt } = this.delivery;
    this.#startedAt = owner.clock.monotonic();
    this.#deadline = this.#startedAt + owner.options.timeoutMs;
    if (owner.listening("started")) owner.emit("started", { queue: owner.queue, messageId: message.id, attempt, enqueuedAt: message.enqueuedAt });
    const ctx = new InvocationContext(this, owner.queue, owner.logger);
    const source = owner.source;
    // The common case (a fixed handler, no middleware) allocates no closure or promise chain of its own.
    if (owner.middleware.length === 0 && "fixed" in source) {
      void this.#runFixed(source.fixed, message.payload, ctx);
      return;
    }
    // Promise.resolve().then() turns a synchronous throw into a rejection we handle.
    const call = (c: HandlerContext<unknown>): Promise<unknown> =>
      "fixed" in source
        ? Promise.resolve().then(() => source.fixed(message.payload, c))
        : handlerFor(source, this.delivery).then((invoke) => invoke(message.payload, c));
    const result = owner.middleware.length === 0 ? call(ctx) : runMiddleware(owner.middleware, ctx, call);
    result.then(
      (value: unknown) => this.#onSettled(undefined, true, value),
      (error: unknown) => this.#onSettled(error, false),
    );
  }

  /** Calls a fixed handler from a microtask (never inside `run()`), then settles; never rejects. */
  async #runFixed(fixed: Invoke, payload: unknown, ctx: HandlerContext<unknown>): Promise<void> {
    await Promise.resolve();
    let value: unknown;
    try {
      value = await fixed(payload, ctx);
    } catch (error) {
      this.#onSettled(error, false);
      return;
    }
    this.#onSettled(undefined, true, value);
  }

  /** ctx.progress: an event, and the backend keeps it on the message while it runs. */
  reportProgress(value: unknown): void {
    const owner = this.#owner;
    const { message, attempt, receipt } = this.delivery;
    if (owner.listening("progress")) owner.emit("progress", { queue: owner.queue, messageId: message.id, attempt, value });
    owner.backend.progress?.(receipt, value).catch((error: unknown) => this.#report("progress", error));
  }

  markDeadLetter(reason: string): void {
    this.#deadLetterReason ??= reason;
  }

  markRateLimited(ms: number): void {
    this.#rateLimitMs ??= ms;
  }

  /** Buffers a message to publish with the ack (called through the context). */
  addPublish(item: EnqueueItem): void {
    (this.#published ??= []).push(item);
  }

  /** Extends the lease on the handler's request (the heartbeat moves accordingly). */
  async extendLease(ms: number): Promise<void> {
    if (this.#phase !== "running") throw new LeaseLostError(this.delivery.receipt, "the handler already timed out or was stopped");
    await this.#lease.extend(ms);
  }

  /** Drain deadline passed: abort the handler and hand its message back, ready at once, its attempt counted. */
  abortForShutdown(): void {
    if (this.#phase !== "running") return; // already acking or nacking; that finishes on its own
    this.#leaveRunning();
    const error = new AbortedError(`handler for "${this.#owner.queue}" (dispatcher stopping)`);
    this.#abort(error);
    this.#owner.record("interrupted");
    void this.#nack({ delayMs: 0, reason: toErrorInfo(error), maxAttempts: NEVER_DEAD_LETTER }, error, false);
  }

  /** Called by the timers when `deadline` has passed. */
  timeOut(): void {
    if (this.#phase !== "running") return;
    const owner = this.#owner;
    this.#leaveRunning();
    const error = new TimeoutError(`handler for "${owner.queue}"`, owner.options.timeoutMs);
    this.#abort(error);
    const { message, attempt } = this.delivery;
    owner.emit("timedOut", { queue: owner.queue, messageId: message.id, attempt, durationMs: this.#elapsed(), timeoutMs: owner.options.timeoutMs });
    owner.record("timedOut");
    this.#fail(error);
  }

  /** Called by the timers when `nextBeat` has passed: extend the lease by `leaseMs`. */
  beat(): void {
    if (this.#phase === "running") this.#lease.beat();
  }

  // ---------------------------------------------------------------------------

  #onSettled(error: unknown, ok: boolean, value?: unknown): void {
    this.#handlerSettled = true;
    if (this.#phase !== "running") {
      // A late result after timeout or shutdown: the message is already handed back.
      if (this.#isAbandoned) {
        this.#isAbandoned = false;
        this.#owner.abandoned(-1);
      }
      this.#owner.logger.debug({ queue: this.#owner.queue, messageId: this.delivery.message.id, ok }, "late handler result ignored");
      return;
    }
    this.#leaveRunning();
    const backOffMs = this.#rateLimitMs ?? (ok ? undefined : retryAfterOf(error));
    if (this.#deadLetterReason === undefined && backOffMs !== undefined) void this.#backOff(backOffMs);
    else if (this.#deadLetterReason !== undefined) this.#fail(ok || !MqError.hasCode(error, MQ_ERROR_CODES.UNRECOVERABLE) ? new UnrecoverableError(this.#deadLetterReason) : error);
    else if (ok) this.#ack(value);
    else this.#fail(error instanceof Error || MqError.isInstance(error) ? error : new HandlerError(this.#owner.queue, error));
  }

  /** Leaves the running phase and frees the slot; an unsettled handler becomes abandoned. */
  #leaveRunning(): void {
    this.#phase = "settling";
    this.#lease.stop();
    if (!this.#handlerSettled) {
      this.#isAbandoned = true;
      this.#owner.abandoned(1);
    }
    this.#owner.leftRunning(this);
  }

  #ack(value: unknown): void {
    this.#owner.ack(this.delivery.receipt, this.#published, value, this);
  }

  /** The ack is durable: count and report the success. */
  acked(): void {
    const owner = this.#owner;
    const { message, attempt } = this.delivery;
    owner.record("succeeded");
    if (owner.listening("succeeded")) {
      owner.emit("succeeded", { queue: owner.queue, messageId: message.id, attempt, durationMs: this.#elapsed(), published: this.#published?.length ?? 0 });
    }
    owner.finished();
  }

  /** The ack failed: nothing was acked or published (the ack is atomic). */
  ackFailed(error: unknown): void {
    const owner = this.#owner;
    const { message, attempt } = this.delivery;
    if (MqError.hasCode(error, MQ_ERROR_CODES.LEASE_LOST)) {
      // The lease ended before the ack: the message is (or will be) delivered again.
      this.#report("ack", error);
      owner.record("failed");
      owner.emit("failed", { queue: owner.queue, messageId: message.id, attempt, durationMs: this.#elapsed(), error: toErrorInfo(error) });
      owner.finished();
      return;
    }
    // Count the attempt as failed and retry.
    this.#fail(error);
  }

  #fail(error: unknown): void {
    const owner = this.#owner;
    const { message, attempt } = this.delivery;
    const info = toErrorInfo(error);
    owner.record("failed");
    owner.emit("failed", { queue: owner.queue, messageId: message.id, attempt, durationMs: this.#elapsed(), error: info });
    // A final error: no retry could succeed, so dead-letter now whatever attempts are left.
    if (MqError.hasCode(error, MQ_ERROR_CODES.UNRECOVERABLE)) {
      void this.#nack({ delayMs: 0, reason: info, deadLetter: true }, info, true);
      return;
    }
    // The message's own backoff, given at enqueue, wins over the handler's.
    const policy = message.backoff === undefined ? owner.options.backoff : resolveBackoff(message.backoff);
    const delayMs = computeBackoff(policy, attempt, owner.random);
    // The message's own maxAttempts wins; then the handler's maxRetries (its own policy, applied per nack); else the queue's maxAttempts.
    const { maxRetries } = owner.options;
    const maxAttempts = message.maxAttempts ?? (maxRetries === undefined ? undefined : maxRetries + 1);
    void this.#nack(maxAttempts === undefined ? { delayMs, reason: info } : { delayMs, reason: info, maxAttempts }, info, true);
  }

  async #nack(options: { delayMs: number; reason: ErrorInfo; maxAttempts?: number; deadLetter?: boolean }, error: unknown, report: boolean): Promise<void> {
    const owner = this.#owner;
    const { message, attempt, receipt } = this.delivery;
    try {
      const outcome = await owner.backend.nack(receipt, options);
      if (!report) return;
      const info = options.reason;
      if (outcome.action === "dead-lettered") {
        owner.record("deadLettered");
        owner.emit("deadLettered", { queue: owner.queue, messageId: message.id, attempt, error: info });
        owner.logger.warn({ queue: owner.queue, messageId: message.id, attempt, error: info.message }, "message dead-lettered");
      } else {
        owner.record("retried");
        owner.emit("retried", {
          queue: owner.queue,
          messageId: message.id,
          attempt,
          error: info,
          delayMs: options.delayMs,
          ...(outcome.availableAt === undefined ? {} : { availableAt: outcome.availableAt }),
        });
      }
    } catch (nackError) {
      // A lost lease here means the backend already took the message back (expiry); it is delivered again.
      this.#report("nack", nackError, error);
    } finally {
      owner.finished();
    }
  }

  /**
   * The handler asked to back off: the message goes back with its attempt
   * unused and its group (or queue) pauses, through `throttle`. A backend
   * without it retries after `ms` with the attempt counted, never dead-lettered for it.
   */
  async #backOff(ms: number): Promise<void> {
    const owner = this.#owner;
    const { message, attempt, receipt } = this.delivery;
    owner.record("rateLimited");
    if (owner.listening("rateLimited")) owner.emit("rateLimited", { queue: owner.queue, messageId: message.id, attempt, retryAfterMs: ms });
    try {
      if (owner.backend.throttle !== undefined) await owner.backend.throttle(receipt, ms);
      else await owner.backend.nack(receipt, { delayMs: ms, reason: toErrorInfo(new RateLimitedError("handler backed off", ms)), maxAttempts: NEVER_DEAD_LETTER });
    } catch (error) {
      this.#report("throttle", error);
    } finally {
      owner.finished();
    }
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  #elapsed(): number {
    return this.#owner.clock.monotonic() - this.#startedAt;
  }

  #report(operation: string, error: unknown, cause?: unknown): void {
    this.#owner.reportError(operation, error, {
      messageId: this.delivery.message.id,
      attempt: this.delivery.attempt,
      ...(cause === undefined ? {} : { handlerError: toErrorInfo(cause).message }),
    });
  }
}

/** The back-off a thrown `RateLimitedError` asks for (clamped to what a timer can wait), or undefined for any other error. */
function retryAfterOf(error: unknown): number | undefined {
  if (!MqError.hasCode(error, MQ_ERROR_CODES.RATE_LIMITED)) return undefined;
  const ms = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === "number" && Number.isFinite(ms) ? Math.min(Math.max(0, Math.ceil(ms)), MAX_TIMER_MS) : 1_000;
}
