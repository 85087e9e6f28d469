import { MQ_ERROR_CODES, MqError } from "@mq/core";
import type { Delivery, Logger, QueueBackend } from "@mq/core";

/** What the releaser needs from its pool. */
export interface ReleaserDeps {
  readonly queue: string;
  readonly backend: QueueBackend;
  readonly logger: Logger;
  /** Reports an unexpected failure (event + log). */
  reportError(operation: string, error: unknown, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * Hands leased-but-unstarted deliveries back (pause, scale down, stop, a
 * receive that lands after those) with `backend.release`: ready again at once,
 * the attempt count restored, no retry counted. One call per batch; the call is
 * all-or-nothing, so when it fails on a stale receipt each delivery is retried
 * alone and the others still go back.
 */
export class DeliveryReleaser {
  readonly #deps: ReleaserDeps;
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: ReleaserDeps) {
    this.#deps = deps;
  }

  release(deliveries: readonly Delivery[]): void {
    if (deliveries.length === 0) return;
    this.#track(
      this.#deps.backend.release(deliveries.map((d) => d.receipt)).then(
        () => undefined,
        (error: unknown) => {
          if (deliveries.length > 1 && MqError.hasCode(error, MQ_ERROR_CODES.LEASE_LOST)) {
            for (const delivery of deliveries) this.release([delivery]);
          } else this.#failed(deliveries, error);
        },
      ),
    );
  }

  /** Resolves once every release issued so far has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  // ---------------------------------------------------------------------------

  #track(pending: Promise<void>): void {
    const tracked = pending.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #failed(deliveries: readonly Delivery[], error: unknown): void {
    const deps = this.#deps;
    const fields = { queue: deps.queue, messageIds: deliveries.map((d) => d.message.id) };
    // A lost lease or a closed backend means the message is not ours any more: nothing to hand back.
    if (MqError.hasCode(error, MQ_ERROR_CODES.LEASE_LOST) || MqError.hasCode(error, MQ_ERROR_CODES.HOST_CLOSED)) {
      deps.logger.debug({ ...fields, error: String((error as Error).message) }, "release failed; the lease was already gone");
      return;
    }
    // Anything else leaves the messages leased until their leases end.
    deps.reportError("release", error, fields);
  }
}
