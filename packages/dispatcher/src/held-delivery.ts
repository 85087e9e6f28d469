import { toErrorInfo } from "@mq/core";
import type { Delivery, Logger } from "@mq/core";
import type { Heartbeating } from "./invocation-timers";
import { LeaseHeartbeat } from "./lease-heartbeat";
import type { HeartbeatDeps, HeartbeatListener } from "./lease-heartbeat";

/** What a held delivery needs from its pool. */
export interface HolderDeps extends HeartbeatDeps {
  readonly queue: string;
  readonly logger: Logger;
}

/**
 * A delivery leased ahead (prefetch) and waiting for a free slot. Its lease is
 * kept alive while it waits, whatever `autoExtend` says: a prefetched message
 * whose lease lapsed would be delivered again and burn an attempt for nothing.
 */
export class HeldDelivery implements Heartbeating, HeartbeatListener {
  readonly delivery: Delivery;
  /** Passed on to the invocation that runs this delivery. */
  readonly heartbeat: LeaseHeartbeat;
  /** The backend reported the lease gone: do not run it. */
  lost = false;
  readonly #deps: HolderDeps;

  constructor(deps: HolderDeps, delivery: Delivery, receivedAt: number) {
    this.delivery = delivery;
    this.#deps = deps;
    this.heartbeat = new LeaseHeartbeat(deps, delivery.receipt, receivedAt + deps.options.leaseMs, this);
  }

  get nextBeat(): number {
    return this.heartbeat.nextBeat;
  }

  beat(): void {
    this.heartbeat.beat();
  }

  /** Extending the held lease failed (until an invocation takes the heartbeat over). */
  heartbeatFailed(error: unknown, lost: boolean): void {
    const deps = this.#deps;
    const fields = { queue: deps.queue, messageId: this.delivery.message.id, error: toErrorInfo(error).message };
    if (lost) {
      this.lost = true;
      deps.logger.debug(fields, "a prefetched delivery lost its lease; it will not run here");
    } else deps.logger.warn(fields, "extending a prefetched lease failed; retrying");
  }
}
