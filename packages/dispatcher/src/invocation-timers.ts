import { MAX_TIMER_MS } from "@mq/core";
import type { Clock, TimerHandle } from "@mq/core";

/** What the timers need from a running invocation. */
export interface Timed {
  /** Still running (not acking, nacking or abandoned). */
  readonly active: boolean;
  /** Monotonic time at which it times out. */
  readonly deadline: number;
  /** Monotonic time of its next heartbeat (Infinity while one is in flight). */
  readonly nextBeat: number;
  timeOut(): void;
  beat(): void;
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
  #timeoutTimer: TimerHandle; // undefined when not armed
  #heartbeatTimer: TimerHandle; // undefined when not armed
  #heartbeatAt = Number.POSITIVE_INFINITY;

  /** `running` must iterate in start order (a Set in insertion order does). */
  constructor(clock: Clock, running: ReadonlySet<Timed>) {
    this.#clock = clock;
    this.#running = running;
  }

  /** An invocation started: make sure its timeout and first heartbeat are covered. */
  started(invocation: Timed, heartbeat: boolean): void {
    if (this.#timeoutTimer === undefined) this.#armTimeout(invocation.deadline);
    if (heartbeat) this.heartbeatDue(invocation.nextBeat);
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

  /** Nothing is running: disarm, so an idle queue holds no timers. */
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
    for (const invocation of this.#running) {
      if (!invocation.active) continue;
      const due = invocation.nextBeat;
      if (due <= now) invocation.beat();
      else if (due < next) next = due;
    }
    this.heartbeatDue(next);
  }

  #delay(at: number): number {
    return Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(at - this.#clock.monotonic())));
  }
}
