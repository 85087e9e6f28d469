import { MQ_ERROR_CODES, MqError } from "@mq/core";
import type { Clock, QueueBackend } from "@mq/core";

/** What a heartbeat needs from the pool it belongs to. */
export interface HeartbeatDeps {
  readonly backend: QueueBackend;
  readonly clock: Clock;
  readonly options: { readonly leaseMs: number };
  /** Someone needs a heartbeat at monotonic time `at`: arm the pool's sweep timer earlier if needed. */
  heartbeatDue(at: number): void;
}

/** Told when a heartbeat's extend fails (an object, not a closure per delivery). */
export interface HeartbeatListener {
  /** `lost` when the lease is gone for good (someone else may get the message). */
  heartbeatFailed(error: unknown, lost: boolean): void;
}

/**
 * Keeps one delivery's lease alive: extends it by `leaseMs` once a third of it
 * has passed, one extend in flight at a time; a transient failure is retried
 * soon (well before the lease ends), a lost lease stops the beats. A
 * prefetched delivery and the invocation that later runs it share the same
 * heartbeat, so the lease deadline carries over exactly.
 */
export class LeaseHeartbeat {
  readonly receipt: string;
  /** Monotonic time the lease ends unless extended. */
  leaseEndsAt: number;
  /** Who hears about failures; the invocation takes it over from the held delivery. */
  listener: HeartbeatListener;
  readonly #deps: HeartbeatDeps;
  #nextBeat: number;
  #beating = true;

  constructor(deps: HeartbeatDeps, receipt: string, leaseEndsAt: number, listener: HeartbeatListener) {
    this.#deps = deps;
    this.receipt = receipt;
    this.leaseEndsAt = leaseEndsAt;
    this.listener = listener;
    this.#nextBeat = beatAfter(leaseEndsAt, deps.options.leaseMs);
  }

  /** Monotonic time of the next beat; Infinity while one is in flight or once stopped. */
  get nextBeat(): number {
    return this.#beating ? this.#nextBeat : Number.POSITIVE_INFINITY;
  }

  /** No more beats (handler done, released, lease lost, or `autoExtend: false`). */
  stop(): void {
    this.#beating = false;
  }

  /** Extends the lease to end `ms` from now on the handler's request, and moves the next beat accordingly. */
  async extend(ms: number): Promise<void> {
    const deps = this.#deps;
    const at = deps.clock.monotonic();
    await deps.backend.extend(this.receipt, ms);
    this.leaseEndsAt = Math.max(this.leaseEndsAt, at + ms);
    if (!this.#beating || this.#nextBeat === Number.POSITIVE_INFINITY) return; // stopped, or a beat in flight reschedules
    this.#nextBeat = beatAfter(this.leaseEndsAt, deps.options.leaseMs);
    deps.heartbeatDue(this.#nextBeat);
  }

  /** Called by the pool's sweep once `nextBeat` has passed. */
  beat(): void {
    if (!this.#beating || this.#nextBeat === Number.POSITIVE_INFINITY) return;
    const deps = this.#deps;
    const { leaseMs } = deps.options;
    const at = deps.clock.monotonic();
    this.#nextBeat = Number.POSITIVE_INFINITY; // one extend in flight at a time
    deps.backend.extend(this.receipt, leaseMs).then(
      () => {
        this.leaseEndsAt = Math.max(this.leaseEndsAt, at + leaseMs);
        this.#nextBeat = beatAfter(this.leaseEndsAt, leaseMs);
        if (this.#beating) deps.heartbeatDue(this.#nextBeat);
      },
      (error: unknown) => {
        if (!this.#beating) return;
        const lost = MqError.hasCode(error, MQ_ERROR_CODES.LEASE_LOST);
        if (lost) this.#beating = false;
        else {
          this.#nextBeat = deps.clock.monotonic() + Math.max(1, Math.floor(leaseMs / 6));
          deps.heartbeatDue(this.#nextBeat);
        }
        this.listener.heartbeatFailed(error, lost);
      },
    );
  }
}

/** Beat when a third of the lease has passed, i.e. two thirds remain. */
export function beatAfter(leaseEndsAt: number, leaseMs: number): number {
  return leaseEndsAt - (leaseMs * 2) / 3;
}
