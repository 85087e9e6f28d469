import { toMqError, type MqError } from "@mq/core";

/** What the scheduler needs from the backend. */
export interface SchedulerDeps {
  /** Longest gap between sweeps. */
  readonly intervalMs: number;
  /** Every queue in the shared registry (including queues only other processes serve). */
  queues(): Promise<string[]>;
  /** Sweeps one queue; returns its next due time and Redis's clock, both epoch ms. */
  tick(queue: string): Promise<{ due: number | undefined; now: number | undefined }>;
  onError(error: MqError): void;
}

/**
 * One per process: moves due delayed messages, expires TTLs and reclaims
 * expired leases by running the idempotent `tick` script on every queue. One
 * timer is armed at the earliest known due time (from the last sweep and from
 * this process's own enqueues and leases), capped at `intervalMs` so leases
 * of a process that died are reclaimed by the survivors. Due times are Redis
 * time; the timer converts them with the offset seen in the last reply.
 */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #running = false;
  #again = false;
  #stopped = false;
  /** Redis clock minus local clock, from the last sweep. */
  #offset = 0;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#arm(0);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sweep now (e.g. after a reconnect). */
  poke(): void {
    this.#arm(0);
  }

  /** Something is due at `due` (Redis epoch ms): make sure a sweep runs then. */
  noteDue(due: number | undefined): void {
    if (due === undefined || !Number.isFinite(due)) return;
    this.#arm(due - (Date.now() + this.#offset));
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    const delay = Math.min(Math.max(1, Math.ceil(delayMs) + 1), this.#deps.intervalMs);
    const at = performance.now() + delay;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => void this.#run(), delay);
  }

  async #run(): Promise<void> {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    let next = this.#deps.intervalMs;
    try {
      const queues = await this.#deps.queues();
      const results = await Promise.all(queues.map((q) => this.#deps.tick(q)));
      for (const r of results) {
        if (r.now !== undefined) this.#offset = r.now - Date.now();
        if (r.due !== undefined && r.now !== undefined) next = Math.min(next, r.due - r.now);
      }
    } catch (error) {
      if (!this.#stopped) this.#deps.onError(toMqError(error, "scheduler sweep failed"));
    } finally {
      this.#running = false;
    }
    if (this.#again) {
      this.#again = false;
      next = 0;
    }
    this.#arm(next);
  }
}
