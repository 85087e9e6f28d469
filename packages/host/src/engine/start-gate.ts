import { MAX_TIMER_MS, type Clock } from "@mq/core";
import type { LeaseManager } from "@mq/lease";
import { groupWakeId } from "./engine-state";
import type { CandidateCheck, QueueState } from "./queue-state";

/** What the gate needs from the engine. */
export interface StartGateContext {
  readonly clock: Clock;
  /** Held-back groups are woken through the lease heap (one schedule per group, `GROUP_PREFIX` ids). */
  readonly leases: LeaseManager;
  isOpen(): boolean;
  /** Wake a queue's waiting receivers and `ready` listeners. */
  wake(queue: QueueState): void;
}

/**
 * Decides whether a message may start now under a queue's limits (`throttle`
 * pauses, `maxInFlight`, `rateLimit`, `groupRateLimit`) and its ordering
 * groups, and arms the wake-up at the moment a limit frees: one timer per
 * queue, one lease-heap schedule per held-back group, never a polling loop.
 */
export class StartGate {
  readonly #ctx: StartGateContext;

  constructor(ctx: StartGateContext) {
    this.#ctx = ctx;
  }

  /**
   * True when a queue-wide limit holds the next start back; counts it when
   * `count` (a receive was held back) and arms the queue's wake-up timer
   * where time frees it (a freed `maxInFlight` slot wakes the queue through `onSlotFree`).
   */
  queueHeld(q: QueueState, now: number, mono: number, pending: number, bucket: ReturnType<QueueState["bucket"]>, count: boolean): boolean {
    if (q.throttledUntil > now) {
      this.#arm(q, q.throttledUntil - now);
      return true;
    }
    const cap = q.settings.maxInFlight;
    if (cap !== null && q.inFlight + pending >= cap) {
      if (count) q.throttleCounts.maxInFlight++;
      return true;
    }
    if (bucket !== undefined && !bucket.available(mono)) {
      if (count) q.throttleCounts.rateLimit++;
      this.#arm(q, bucket.msUntilToken(mono));
      return true;
    }
    return false;
  }

  /**
   * Whether a lane's entry may start: ungrouped ones always; a grouped one
   * only as its group's offered head, outside a pause, with a token in the
   * group's bucket. A held-back group is parked with a wake-up at the time it frees.
   */
  candidateCheck(q: QueueState, now: number, mono: number): CandidateCheck {
    const leases = this.#ctx.leases;
    return (entry) => {
      if (entry.group === undefined) return true;
      const g = q.groups.get(entry.group);
      if (g === undefined || g.queued !== entry) return false;
      if (g.throttledUntil > now) {
        leases.schedule(groupWakeId(q.name, g.name), g.throttledUntil);
        return false;
      }
      const bucket = q.groupBucket(g.name, mono);
      if (bucket !== undefined && !bucket.available(mono)) {
        // Counted whoever looks: a parked group leaves the lanes, so this happens once per park.
        q.throttleCounts.groupRateLimit++;
        g.parkedUntil = now + bucket.msUntilToken(mono);
        leases.schedule(groupWakeId(q.name, g.name), g.parkedUntil);
        return false;
      }
      return true;
    };
  }

  /** True when a receive on `q` would lease something now (arms the wake-ups of any limit in the way; counts nothing). */
  canStart(q: QueueState): boolean {
    if (q.ready === 0) return false;
    const clock = this.#ctx.clock;
    const now = clock.now();
    const mono = clock.monotonic();
    if (q.firstCandidate(this.candidateCheck(q, now, mono)) === undefined) return false;
    return !this.queueHeld(q, now, mono, 0, q.bucket(mono), false);
  }

  /** Cancels the queue's wake-up timer (on close). */
  disarm(q: QueueState): void {
    if (q.wakeTimer !== undefined) this.#ctx.clock.clearTimeout(q.wakeTimer);
    q.wakeTimer = undefined;
    q.wakeAt = undefined;
  }

  /** Wakes the queue in `ms`, unless an earlier wake-up is armed. */
  #arm(q: QueueState, ms: number): void {
    if (!this.#ctx.isOpen()) return;
    const clock = this.#ctx.clock;
    const at = clock.monotonic() + ms;
    if (q.wakeAt !== undefined && q.wakeAt <= at) return;
    this.disarm(q);
    q.wakeAt = at;
    q.wakeTimer = clock.setTimeout(() => {
      q.wakeTimer = undefined;
      q.wakeAt = undefined;
      this.#ctx.wake(q);
    }, Math.min(Math.max(1, Math.ceil(ms)), MAX_TIMER_MS));
  }
}
