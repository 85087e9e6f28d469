import { MQ_ERROR_CODES, MqError } from "@mq/core";
import type { EnqueueItem, QueueBackend } from "@mq/core";

/** Told how one ack ended: an invocation, so acking allocates no promise or closure per message. */
export interface AckSettler {
  /** The ack is done (durable, as the backend's ack promises). */
  acked(): void;
  /** The ack failed; nothing of it was applied. */
  ackFailed(error: unknown): void;
}

/**
 * Coalesces acks issued together (handlers that settle in the same burst)
 * into one `backend.ack` call: one journal record instead of many. The contract makes that call
 * all-or-nothing, so when it fails for a reason that may belong to a single
 * message (a fenced receipt, a refused publish), each ack is retried alone and
 * gets its own outcome. The pending acks are kept in parallel arrays; publishes
 * and results only once some ack of the batch has one.
 */
export class AckBatcher {
  readonly #backend: QueueBackend;
  readonly #schedule: (flush: () => void) => void;
  readonly #flushFn = (): void => this.#flush();
  #receipts: string[] = [];
  #settlers: AckSettler[] = [];
  #publish: (readonly EnqueueItem[] | undefined)[] | undefined;
  #results: unknown[] | undefined;

  /** `schedule` runs the flush; the default, a microtask, adds no latency and still gathers the acks of one burst. */
  constructor(backend: QueueBackend, schedule: (flush: () => void) => void = queueMicrotask) {
    this.#backend = backend;
    this.#schedule = schedule;
  }

  /** Acks `receipt`, enqueuing `publish` atomically with it. */
  ack(receipt: string, publish: readonly EnqueueItem[] | undefined, result?: unknown): Promise<void> {
    return new Promise((resolve, reject) => this.submit(receipt, publish, result, { acked: resolve, ackFailed: reject }));
  }

  /** Like {@link ack}, reporting the outcome to `settler` instead of through a promise. */
  submit(receipt: string, publish: readonly EnqueueItem[] | undefined, result: unknown, settler: AckSettler): void {
    const n = this.#receipts.length;
    if (n === 0) this.#schedule(this.#flushFn);
    this.#receipts.push(receipt);
    this.#settlers.push(settler);
    if (publish !== undefined || this.#publish !== undefined) (this.#publish ??= new Array<undefined>(n).fill(undefined)).push(publish);
    if (result !== undefined || this.#results !== undefined) (this.#results ??= new Array<undefined>(n).fill(undefined)).push(result);
  }

  // ---------------------------------------------------------------------------

  #flush(): void {
    const receipts = this.#receipts;
    const settlers = this.#settlers;
    const publishes = this.#publish;
    const results = this.#results;
    this.#receipts = [];
    this.#settlers = [];
    this.#publish = this.#results = undefined;
    if (receipts.length === 1) {
      this.#single(receipts[0]!, publishes?.[0], results?.[0], settlers[0]!);
      return;
    }
    const publish: EnqueueItem[] = [];
    if (publishes !== undefined) for (const items of publishes) if (items !== undefined) for (const item of items) publish.push(item);
    // Results travel only when some handler returned one: the common void handler adds nothing to the ack.
    (results === undefined ? this.#backend.ack(receipts, publish) : this.#backend.ack(receipts, publish, { results })).then(
      () => {
        for (const settler of settlers) settler.acked();
      },
      (error: unknown) => {
        // Indeterminate or global failures are everyone's; anything else may be one message's.
        if (MqError.hasCode(error, MQ_ERROR_CODES.PERSISTENCE) || MqError.hasCode(error, MQ_ERROR_CODES.HOST_CLOSED)) {
          for (const settler of settlers) settler.ackFailed(error);
          return;
        }
        for (let i = 0; i < receipts.length; i++) this.#single(receipts[i]!, publishes?.[i], results?.[i], settlers[i]!);
      },
    );
  }

  #single(receipt: string, publish: readonly EnqueueItem[] | undefined, result: unknown, settler: AckSettler): void {
    const ack = result === undefined ? this.#backend.ack([receipt], publish) : this.#backend.ack([receipt], publish, { results: [result] });
    ack.then(
      () => settler.acked(),
      (error: unknown) => settler.ackFailed(error),
    );
  }
}
