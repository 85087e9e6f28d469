import { AbortedError, type Clock, type Delivery, type MqError, type TimerHandle } from "@mq/core";

interface Waiter {
  readonly max: number;
  readonly leaseMs: number;
  readonly resolve: (deliveries: Delivery[]) => void;
  readonly reject: (error: unknown) => void;
  timer: TimerHandle;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * Long-poll receivers, first come first served per queue. A waiter is woken
 * by the change that makes a message ready, never by a polling timer; its only
 * timer is its own `waitMs` deadline.
 */
export class ReceiveWaiters {
  readonly #clock: Clock;
  readonly #byQueue = new Map<string, Waiter[]>();
  #size = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#size;
  }

  wait(queue: string, options: { max: number; leaseMs: number; waitMs: number; signal: AbortSignal | undefined }): Promise<Delivery[]> {
    if (options.signal?.aborted === true) return Promise.reject(new AbortedError("receive", options.signal.reason));
    return new Promise<Delivery[]>((resolve, reject) => {
      const waiter: Waiter = {
        max: options.max,
        leaseMs: options.leaseMs,
        resolve,
        reject,
        timer: undefined,
        signal: options.signal,
        onAbort: () => {
          this.#remove(queue, waiter);
          reject(new AbortedError("receive", options.signal?.reason));
        },
      };
      waiter.timer = this.#clock.setTimeout(() => {
        this.#remove(queue, waiter);
        resolve([]);
      }, options.waitMs);
      options.signal?.addEventListener("abort", waiter.onAbort, { once: true });
      let list = this.#byQueue.get(queue);
      if (list === undefined) this.#byQueue.set(queue, (list = []));
      list.push(waiter);
      this.#size++;
    });
  }

  /** Hands ready messages to waiting receivers in arrival order while `hasReady()` holds. */
  serve(queue: string, hasReady: () => boolean, lease: (max: number, leaseMs: number) => Promise<Delivery[]>): void {
    const list = this.#byQueue.get(queue);
    while (list !== undefined && list.length > 0 && hasReady()) {
      const waiter = list.shift()!;
      this.#detach(waiter);
      lease(waiter.max, waiter.leaseMs).then(waiter.resolve, waiter.reject);
    }
    if (list?.length === 0) this.#byQueue.delete(queue);
  }

  rejectAll(error: MqError): void {
    for (const list of this.#byQueue.values()) {
      for (const waiter of list) {
        this.#detach(waiter);
        waiter.reject(error);
      }
    }
    this.#byQueue.clear();
  }

  #remove(queue: string, waiter: Waiter): void {
    const list = this.#byQueue.get(queue);
    const i = list?.indexOf(waiter) ?? -1;
    if (list === undefined || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.#byQueue.delete(queue);
    this.#detach(waiter);
  }

  #detach(waiter: Waiter): void {
    this.#size--;
    this.#clock.clearTimeout(waiter.timer);
    waiter.signal?.removeEventListener("abort", waiter.onAbort);
  }
}
