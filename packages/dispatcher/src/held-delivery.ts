import { MQ_ERROR_CODES, MqError, toErrorInfo } from "@mq/core";
import type { Clock, Delivery, QueueBackend } from "@mq/core";
import type { Heartbeating } from "./invocation-timers";
import type { Logger } from "./logger";

/** What a held delivery needs from its pool. */
export interface HolderDeps {
  readonly queue: string;
  readonly backend: QueueBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: { readonly leaseMs: number };
  heartbeatDue(at: number): void;
}

/**
 * A delivery leased ahead (prefetch) and waiting for a free slot. Its lease is
 * kept alive while it waits, whatever `autoExtend` says: a prefetched message
 * whose lease lapsed would be delivered again and burn an attempt for nothing.
 */
export class HeldDelivery implements Heartbeating {
  readonly delivery: Delivery;
  /** Monotonic time the lease ends unless extended. */
  leaseEndsAt: number;
  /** False once started or released. */
  held = true;
  /** The backend reported the lease gone: do not run it. */
  lost = false;
  readonly #deps: HolderDeps;
  #nextBeat: number;

  constructor(deps: HolderDeps, delivery: Delivery, receivedAt: number) {
    this.#deps = deps;
    this.delivery = delivery;
    this.leaseEndsAt = receivedAt + deps.options.leaseMs;
    this.#nextBeat = beatAfter(this.leaseEndsAt, deps.options.leaseMs);
  }

  get nextBeat(): number {
    return this.held && !this.lost ? this.#nextBeat : Number.POSITIVE_INFINITY;
  }

  beat(): void {
    if (!this.held || this.lost || this.#nextBeat === Number.POSITIVE_INFINITY) return;
    const deps = this.#deps;
    const { leaseMs } = deps.options;
    const at = deps.clock.monotonic();
    this.#nextBeat = Number.POSITIVE_INFINITY;
    deps.backend.extend(this.delivery.receipt, leaseMs).then(
      () => {
        this.leaseEndsAt = Math.max(this.leaseEndsAt, at + leaseMs);
        this.#nextBeat = beatAfter(this.leaseEndsAt, leaseMs);
        if (this.held) deps.heartbeatDue(this.#nextBeat);
      },
      (error: unknown) => {
        if (MqError.hasCode(error, MQ_ERROR_CODES.LEASE_LOST)) {
          this.lost = true;
          deps.logger.debug("a prefetched delivery lost its lease; it will not run here", { queue: deps.queue, messageId: this.delivery.message.id });
          return;
        }
        deps.logger.warn("extending a prefetched lease failed; retrying", { queue: deps.queue, error: toErrorInfo(error).message });
        this.#nextBeat = deps.clock.monotonic() + Math.max(1, Math.floor(leaseMs / 6));
        if (this.held) deps.heartbeatDue(this.#nextBeat);
      },
    );
  }
}

/** Beat when a third of the lease has passed, i.e. two thirds remain. */
export function beatAfter(leaseEndsAt: number, leaseMs: number): number {
  return leaseEndsAt - (leaseMs * 2) / 3;
}
