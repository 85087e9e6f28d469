import { MQ_ERROR_CODES, MqError } from "@mq/core";
import type { EnqueueItem, QueueBackend } from "@mq/core";

interface PendingAck {
  readonly receipt: string;
  readonly publish: readonly EnqueueItem[] | undefined;
  /** The handler's return value (kept by the backend only on queues that keep completions). */
  readonly result: unknown;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces acks issued together (handlers that settle in the same burst)
 * into one `backend.ack` call: one journal record instead of many. The contract makes that call
 * all-or-nothing, so when it fails for a reason that may belong to a single
 * message (a fenced receipt, a refused publish), each ack is retried alone and
 * gets its own outcome.
 */
export class AckBatcher {
  readonly #backend: QueueBackend;
  readonly #schedule: (flush: () => void) => void;
  #pending: PendingAck[] = [];

  /** `schedule` runs the flush; the default, a microtask, adds no latency and still gathers the acks of one burst. */
  constructor(backend: QueueBackend, schedule: (flush: () => void) => void = queueMicrotask) {
    this.#backend = backend;
    this.#schedule = schedule;
  }

  /** Acks `receipt`, enqueuing `publish` atomically with it. */
  ack(receipt: string, publish: readonly EnqueueItem[] | undefined, result?: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ receipt, publish, result, resolve, reject }) === 1) this.#schedule(() => this.#flush());
    });
  }

  // ---------------------------------------------------------------------------

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 1) {
      this.#single(batch[0]!);
      return;
    }
    const receipts = batch.map((a) => a.receipt);
    const publish = batch.flatMap((a) => a.publish ?? []);
    // Results travel only when some handler returned one: the common void handler adds nothing to the ack.
    const results = batch.some((a) => a.result !== undefined) ? { results: batch.map((a) => a.result) } : undefined;
    (results === undefined ? this.#backend.ack(receipts, publish) : this.#backend.ack(receipts, publish, results)).then(
      () => {
        for (const a of batch) a.resolve();
      },
      (error: unknown) => {
        // Indeterminate or global failures are everyone's; anything else may be one message's.
        if (MqError.hasCode(error, MQ_ERROR_CODES.PERSISTENCE) || MqError.hasCode(error, MQ_ERROR_CODES.HOST_CLOSED)) {
          for (const a of batch) a.reject(error);
          return;
        }
        for (const a of batch) this.#single(a);
      },
    );
  }

  #single(a: PendingAck): void {
    const ack = a.result === undefined ? this.#backend.ack([a.receipt], a.publish) : this.#backend.ack([a.receipt], a.publish, { results: [a.result] });
    ack.then(a.resolve, a.reject);
  }
}
