import { toErrorInfo } from "@mq/core";
import type { Delivery, TimerHandle } from "@mq/core";
import { HeldDelivery } from "./held-delivery";
import type { HolderDeps } from "./held-delivery";
import { PrefetchDepth } from "./prefetch-depth";
import type { ResolvedHandlerOptions } from "./types";

/** What the prefetcher needs from its pool. */
export interface PrefetchHost extends HolderDeps {
  readonly options: ResolvedHandlerOptions;
  /** False while paused or stopping: leases that land then go straight back. */
  readonly accepting: boolean;
  /** Deliveries arrived (or a receive ended): start what fits. */
  pump(): void;
  /** Hands unstarted deliveries back to the backend. */
  release(deliveries: readonly Delivery[]): void;
  reportError(operation: string, error: unknown): void;
}

/** Backoff after failed receives: quick at first, never a spin. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Receives in flight at once: enough to overlap group commits, few enough to keep batches large. */
const MAX_RECEIVES_IN_FLIGHT = 4;

/**
 * Leases ahead of the slots. Receives run only when the backend says the
 * queue may have messages (its `ready` event) or a previous receive came back
 * with something. Several receives may be in flight, so a slot never waits on
 * a lease round trip (a group commit on a durable backend) that could have
 * started earlier; how much is held is {@link PrefetchDepth}'s call.
 */
export class Prefetcher {
  readonly depth: PrefetchDepth;
  readonly #host: PrefetchHost;
  /** Held deliveries, oldest first, from `#head` on. */
  #held: HeldDelivery[] = [];
  #head = 0;
  #lowWater = 0;
  /** Deliveries asked for by receives in flight. */
  #requested = 0;
  readonly #receives = new Set<Promise<void>>();
  /** False once a receive came back empty with no `ready` since it started. */
  #hasMore = true;
  /** Bumped on every `ready`; closes the lost wake-up race around a short receive. */
  #readyGeneration = 0;
  #retryTimer: TimerHandle; // undefined when not armed
  #failures = 0;

  constructor(host: PrefetchHost) {
    this.#host = host;
    this.depth = new PrefetchDepth(host.options.prefetch);
  }

  /** Deliveries held. */
  get size(): number {
    return this.#held.length - this.#head;
  }

  /** Held deliveries, for the heartbeat sweep. */
  *held(): IterableIterator<HeldDelivery> {
    for (let i = this.#head; i < this.#held.length; i++) yield this.#held[i]!;
  }

  /** The oldest held delivery still leased, or undefined. */
  take(): HeldDelivery | undefined {
    while (this.#head < this.#held.length) {
      const held = this.#held[this.#head]!;
      this.#held[this.#head++] = undefined as unknown as HeldDelivery;
      if (this.#head === this.#held.length) this.#reset();
      if (this.size < this.#lowWater) this.#lowWater = this.size;
      if (!held.lost) return held; // its heartbeat passes to the invocation; a lost one comes back through the backend
    }
    return undefined;
  }

  /** The backend says the queue may have ready messages. */
  onReady(): void {
    this.#readyGeneration++;
    this.#hasMore = true;
  }

  /** Look again even if the last receive came back empty (resume). */
  rearm(): void {
    this.#hasMore = true;
  }

  /** Lease more when the free slots plus the prefetch depth are not covered by what is held or on its way. */
  fill(free: number): void {
    if (this.#retryTimer !== undefined || !this.#hasMore) return;
    const inFlight = this.#receives.size;
    if (free > 0 && this.size === 0 && inFlight > 0) this.depth.starved();
    const depth = this.depth.value;
    const want = free + depth - this.size - this.#requested;
    if (want <= 0) return;
    // With a receive already on its way, ask again only for a batch worth a round trip.
    if (inFlight > 0 && (inFlight >= MAX_RECEIVES_IN_FLIGHT || want < Math.max(1, depth / 4))) return;
    this.#requested += want;
    const generation = this.#readyGeneration;
    // Called in this tick, not the next: a receive woken by an enqueue then leases before the journal
    // starts that enqueue's group commit, so enqueue → handler start costs one fdatasync, not two.
    // `#receive` is async, so a backend that throws synchronously rejects it instead of re-entering fill().
    const receiving: Promise<void> = this.#receive(want, generation).finally(() => this.#receives.delete(receiving));
    this.#receives.add(receiving);
  }

  /** Takes every held delivery out (to release them). */
  drain(): Delivery[] {
    return this.trim(0);
  }

  /** Takes the newest held deliveries out until at most `keep` remain (to release them). */
  trim(keep: number): Delivery[] {
    const out: Delivery[] = [];
    while (this.size > keep) {
      const held = this.#held.pop()!;
      held.heartbeat.stop();
      if (!held.lost) out.push(held.delivery);
    }
    if (this.size === 0) this.#reset();
    this.#lowWater = Math.min(this.#lowWater, this.size);
    return out.reverse();
  }

  /** Stop retrying failed receives. */
  cancel(): void {
    if (this.#retryTimer !== undefined) this.#host.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Resolves once no receive is in flight (what lands after a stop is handed back). */
  async settled(): Promise<void> {
    while (this.#receives.size > 0) await Promise.allSettled([...this.#receives]);
  }

  // ---------------------------------------------------------------------------

  #reset(): void {
    this.#held = [];
    this.#head = 0;
  }

  async #receive(want: number, generation: number): Promise<void> {
    const host = this.#host;
    let deliveries: Delivery[];
    try {
      deliveries = await host.backend.receive(host.queue, { max: want, leaseMs: host.options.leaseMs });
    } catch (error) {
      this.#requested -= want;
      this.#onError(error);
      return;
    }
    this.#requested -= want;
    this.#failures = 0;
    // Only an empty batch proves the queue ran dry (a backend may cap a batch below `max`),
    // and not even that if a `ready` arrived meanwhile: then look again.
    if (deliveries.length === 0 && this.#readyGeneration === generation) this.#hasMore = false;
    if (!host.accepting) {
      host.release(deliveries);
      return;
    }
    this.depth.receiveEnded(deliveries.length === want, this.#lowWater, host.options.maxParallelism);
    if (deliveries.length > 0) {
      const receivedAt = host.clock.monotonic();
      for (const delivery of deliveries) this.#held.push(new HeldDelivery(host, delivery, receivedAt));
      // Held deliveries are heartbeated from the start; these are due after any held earlier.
      host.heartbeatDue(this.#held[this.#held.length - 1]!.nextBeat);
    }
    this.#lowWater = this.size;
    host.pump();
  }

  /** Report a failed receive and try again after a growing delay (quietly once stopping). */
  #onError(error: unknown): void {
    const host = this.#host;
    if (!host.accepting) {
      // Paused or stopping: nothing to retry for (resume looks again).
      host.logger.debug({ queue: host.queue, error: toErrorInfo(error).message }, "receive failed while not accepting work");
      return;
    }
    this.#failures++;
    host.reportError("receive", error);
    if (this.#retryTimer !== undefined) return;
    const delay = Math.min(RETRY_MIN_MS * 2 ** (this.#failures - 1), RETRY_MAX_MS);
    this.#retryTimer = host.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#hasMore = true;
      host.pump();
    }, delay);
  }
}
