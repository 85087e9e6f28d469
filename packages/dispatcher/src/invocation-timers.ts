import { MAX_TIMER_MS } from "@mq/core";
import type { Clock, TimerHandle } from "@mq/core";

/** Something whose lease the heartbeat sweep keeps alive. */
export interface Heartbeating {
  /** Monotonic time of its next heartbeat (Infinity when none is due: one in flight, or done). */
  readonly nextBeat: number;
  beat(): void;
}

/** What the timers need from a running invocation. */
export interface Timed extends Heartbeating {
  /** Still running (not acking, nacking or abandoned). */
  readonly active: boolean;
  /** Monotonic time at which it times out. */
  readonly deadline: number;
  timeOut(): void;
}

/**
 * Two timers per queue instead of two per message: one armed at the earliest
 * timeout, one at the earliest heartbeat. Invocations start in order and share
 * one `timeoutMs`, so the earliest deadline is simply the first running one in
 * start order; heartbeats are swept over the (at most `maxParallelism`) running ones.
 */
export class InvocationTimers {
  readonly #clock: Clock;
  readonly #running: ReadonlySet<Timed>;
  readonly #held: () => Iterable<Heartbeating>;
  #timeoutTimer: TimerHandle; // undefined when not armed
  #heartbeatTimer: TimerHandle; // undefined when not armed
  #heartbeatAt = Number.POSITIVE_INFINITY;

  /** `running` must iterate in start order (a Set in insertion order does); `held` are prefetched deliveries. */
  constructor(clock: Clock, running: ReadonlySet<Timed>, held: () => Iterable<Heartbeating>) {
    this.#clock = clock;
    this.#running = running;
    this.#held = held;
  }

  /** An invocation started: make sure its timeout and first heartbeat are covered. */
  started(invocation: Timed): void {
    if (this.#timeoutTimer === undefined) this.#armTimeout(invocation.deadline);
    this.heartbeatDue(invocation.nextBeat);
  }

  /** Some invocation needs a heartbeat at `at` (monotonic): arm earlier if needed. */
  heartbeatDue(at: number): void {
    if (at === Number.POSITIVE_INFINITY) return;
    if (this.#heartbeatTimer !== undefined) {
      if (this.#heartbeatAt <= at) return;
      this.#clock.clearTimeout(this.#heartbeatTimer);
    }
    this.#heartbeatAt = at;
    this.#heartbeatTimer = this.#clock.setTimeout(() => this.#sweepHeartbeats(), this.#delay(at));
  }

  /** Nothing is running or held: disarm, so an idle queue holds no timers. */
  idle(): void {
    if (this.#timeoutTimer !== undefined) this.#clock.clearTimeout(this.#timeoutTimer);
    if (this.#heartbeatTimer !== undefined) this.#clock.clearTimeout(this.#heartbeatTimer);
    this.#timeoutTimer = this.#heartbeatTimer = undefined;
    this.#heartbeatAt = Number.POSITIVE_INFINITY;
  }

  // ---------------------------------------------------------------------------

  #armTimeout(at: number): void {
    this.#timeoutTimer = this.#clock.setTimeout(() => this.#sweepTimeouts(), this.#delay(at));
  }

  #sweepTimeouts(): void {
    this.#timeoutTimer = undefined;
    const now = this.#clock.monotonic();
    for (const invocation of this.#running) {
      if (!invocation.active) continue;
      if (invocation.deadline > now) {
        this.#armTimeout(invocation.deadline);
        return;
      }
      invocation.timeOut();
    }
  }

  #sweepHeartbeats(): void {
    this.#heartbeatTimer = undefined;
    this.#heartbeatAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.monotonic();
    let next = Number.POSITIVE_INFINITY;
    for (const source of [this.#running, this.#held()]) {
      for (const item of source) {
        const due = item.nextBeat;
        if (due <= now) item.beat();
        else if (due < next) next = due;
      }
    }
    this.heartbeatDue(next);
  }

  #delay(at: number): number {
    return Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(at - this.#clock.monotonic())));
  }
}
